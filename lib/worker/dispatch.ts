// How a WorkerPool's queued jobs reach its workers: the FIFO of jobs that hold no slot yet,
// and flush(), run once per tick, which gives each job a slot in the least-loaded worker
// (starting a worker when every one is busy and there is room) and sends each worker its
// share in one message. A job whose arguments cannot be cloned fails alone, by name.
import { DISPATCHED, Job, QUEUED } from './job';
import { Outcome, RunBatch, TASK_FIELDS } from './protocol';
import type { Thread } from './thread';

/** What dispatch needs from its pool. */
export interface DispatchHost {
  /** Starts a worker, or undefined when no more may start (maxWorkers, a tripped breaker). */
  spawnIfRoom(): Thread | undefined;
  settle(job: Job, outcome: Outcome, value: unknown): void;
}

export class Dispatch {
  readonly threads: Thread[] = [];
  /** Jobs in the FIFO still QUEUED (a cancelled one stays linked until flush passes it). */
  queued = 0;
  private head: Job | undefined = undefined;
  private tail: Job | undefined = undefined;

  constructor(private readonly host: DispatchHost) {}

  get isEmpty(): boolean {
    return this.head === undefined;
  }

  push(job: Job): void {
    if (this.tail === undefined) this.head = job;
    else this.tail.next = job;
    this.tail = job;
    this.queued++;
  }

  /** Puts jobs back at the front, in their order: they were first and lose nothing. */
  pushFront(jobs: readonly Job[]): void {
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i]!;
      job.state = QUEUED;
      job.thread = undefined;
      job.slot = -1;
      job.next = this.head;
      this.head = job;
      if (this.tail === undefined) this.tail = job;
      this.queued++;
    }
  }

  /** The QUEUED jobs, in order. */
  *queuedJobs(): Generator<Job> {
    for (let job = this.head; job !== undefined; job = job.next) if (job.state === QUEUED) yield job;
  }

  /** Empties the FIFO and returns what was QUEUED in it (the breaker rejects them). */
  takeAll(): Job[] {
    const jobs = [...this.queuedJobs()];
    this.head = this.tail = undefined;
    this.queued = 0;
    return jobs;
  }

  /** Workers not on their way out. */
  liveThreads(): number {
    let n = 0;
    for (const thread of this.threads) if (thread.exiting === undefined) n++;
    return n;
  }

  /** Hands every queued job that finds a slot to a worker: one message per worker. */
  flush(): void {
    while (this.head !== undefined) {
      const job = this.head;
      if (job.state !== QUEUED) {
        this.pop();
        continue;
      }
      const thread = this.pickThread();
      if (thread === undefined) break;
      this.pop();
      this.queued--;
      this.assign(job, thread);
    }
    for (const thread of this.threads) if (thread.batch.length > 0) this.send(thread);
  }

  private pop(): void {
    const job = this.head!;
    this.head = job.next;
    job.next = undefined;
    if (this.head === undefined) this.tail = undefined;
  }

  private assign(job: Job, thread: Thread): void {
    job.state = DISPATCHED;
    job.thread = thread;
    job.slot = thread.take(job);
    if (thread.idleTimer !== undefined) {
      clearTimeout(thread.idleTimer);
      thread.idleTimer = undefined;
    }
    if (typeof job.key === 'number') {
      const id = job.key < 0 ? -job.key - 1 : job.key;
      if (!thread.knownFunctions.has(id)) {
        thread.knownFunctions.add(id);
        (thread.defs ??= []).push(id, job.source!);
      }
    }
    thread.batch.push(job.slot, job.key, job.args, job.deadlineAt, job.runTimeout);
    if (job.transfer !== undefined) thread.transfer.push(...job.transfer);
  }

  /** The least-loaded worker with a free slot; a new one if every worker is busy and there is room. */
  private pickThread(): Thread | undefined {
    let best: Thread | undefined;
    for (const thread of this.threads) {
      if (thread.hasRoom && (best === undefined || thread.inflight < best.inflight)) best = thread;
    }
    if (best === undefined || best.inflight > 0) return this.host.spawnIfRoom() ?? best;
    return best;
  }

  private send(thread: Thread): void {
    const message: RunBatch = { tasks: thread.batch, defs: thread.defs };
    const transfer = thread.transfer;
    thread.batch = [];
    thread.transfer = [];
    thread.defs = undefined;
    try {
      thread.worker.postMessage(message, transfer.length > 0 ? transfer : undefined);
    } catch (error) {
      this.sendEach(thread, message, error);
    }
  }

  // Some argument cannot be cloned: reject the jobs whose arguments cannot travel, naming
  // the task and the argument, and send the others.
  private sendEach(thread: Thread, message: RunBatch, batchError: unknown): void {
    const good: unknown[] = [];
    const goodTransfer: ArrayBuffer[] = [];
    for (let i = 0; i < message.tasks.length; i += TASK_FIELDS) {
      const slot = message.tasks[i] as number;
      const job = thread.jobs[slot]!;
      const bad = findUncloneable(job.args, job.transfer);
      if (bad === undefined && !(batchError instanceof Error && /transfer/i.test(batchError.message) && job.transfer !== undefined)) {
        for (let f = 0; f < TASK_FIELDS; f++) good.push(message.tasks[i + f]);
        if (job.transfer !== undefined) goodTransfer.push(...job.transfer);
        continue;
      }
      thread.release(slot);
      const what = bad === undefined ? `its transfer list cannot be transferred (${(batchError as Error).message})` : `argument ${bad.index} cannot be sent to a worker: ${bad.message}`;
      this.host.settle(job, Outcome.Error, new TypeError(`task '${job.future.task}': ${what}`));
    }
    if (good.length === 0 && message.defs === undefined) return;
    thread.worker.postMessage({ tasks: good, defs: message.defs } satisfies RunBatch, goodTransfer.length > 0 ? goodTransfer : undefined);
  }
}

function findUncloneable(args: readonly unknown[], transfer: readonly ArrayBuffer[] | undefined): { index: number; message: string } | undefined {
  for (let i = 0; i < args.length; i++) {
    try {
      structuredClone(args[i], transfer === undefined ? undefined : { transfer: [] });
    } catch (error) {
      return { index: i, message: (error as Error).message };
    }
  }
  return undefined;
}
