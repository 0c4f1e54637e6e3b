// The main-thread side of a WorkerPool's deadline thread (deadline-thread.ts): started on
// the first task with a deadline, connected to each worker by its own port, and told back
// which deadlines it raised, so that a task that ignores its DEADLINE bit is armed for the
// kill even while this thread's own timers are late.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { DISPATCHED, Job } from './job';
import { DeadlineConnect, DeadlineHits, GEN_SHIFT, RunBatch } from './protocol';
import { Thread, workerEntry } from './thread';

const DEADLINE_THREAD = path.join(__dirname, `deadline-thread${path.extname(__filename)}`);

export class Deadlines {
  private worker: Worker | undefined = undefined;

  constructor(
    private readonly name: string,
    private readonly threads: readonly Thread[],
    /** A running job passed its deadline (the bit is set): arm its kill. */
    private readonly onHit: (job: Job) => void,
  ) {}

  start(): void {
    if (this.worker !== undefined) return;
    const entry = workerEntry(DEADLINE_THREAD);
    const worker = new Worker(entry.file, { eval: entry.eval, name: `${this.name}-deadlines` });
    worker.on('message', (message: DeadlineHits) => {
      const hits = message.hits;
      for (let i = 0; i < hits.length; i += 3) {
        const owner = this.threads.find((t) => t.key === hits[i]);
        const slot = hits[i + 1]!;
        // The slot may hold the next task by now: only the generation that hit is the one late.
        if (owner === undefined || Atomics.load(owner.words, slot) >>> GEN_SHIFT !== hits[i + 2]) continue;
        const job = owner.jobs[slot];
        if (job !== undefined && job.state === DISPATCHED) this.onHit(job);
      }
    });
    worker.unref(); // after on('message'), which refs it again
    this.worker = worker;
    for (const thread of this.threads) this.connect(thread);
  }

  /** Gives a worker its port to the deadline thread, once, if that thread runs. */
  connect(thread: Thread): void {
    if (thread.hasDeadlinePort || this.worker === undefined) return;
    thread.hasDeadlinePort = true;
    const { port1, port2 } = new MessageChannel();
    this.worker.postMessage({ port: port1, words: thread.words.buffer as SharedArrayBuffer, key: thread.key } satisfies DeadlineConnect, [port1]);
    thread.worker.postMessage({ tasks: [], deadlines: port2 } satisfies RunBatch, [port2]);
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
