// The baseline every worker pool library improves on: N worker_threads, postMessage per
// task, a FIFO of tasks waiting for an idle worker. No library, ~40 lines.
import { Worker } from 'node:worker_threads';

import type { Task } from './js-kernels.cjs';
import { plainExecArgv, workerFile } from './peers';

type Job = { id: number; task: Task & { native: boolean }; resolve: (v: unknown) => void; reject: (e: Error) => void };

export class RawPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private nextId = 0;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(workerFile('raw-worker'), { execArgv: plainExecArgv() });
      w.on('message', (msg: { id: number; ok: boolean; value: unknown }) => {
        const job = this.running.get(w)!;
        this.running.delete(w);
        if (msg.ok) job.resolve(msg.value);
        else job.reject(new Error(String(msg.value)));
        this.dispatch(w);
      });
      w.on('error', (error) => {
        this.running.get(w)?.reject(error);
        this.running.delete(w);
      });
      this.all.push(w);
      this.idle.push(w);
    }
  }

  run(task: Task & { native: boolean }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      const w = this.idle.pop();
      if (w !== undefined) this.dispatch(w);
    });
  }

  private dispatch(w: Worker): void {
    const job = this.queue.shift();
    if (job === undefined) {
      this.idle.push(w);
      return;
    }
    this.running.set(w, job);
    w.postMessage({ id: job.id, task: job.task });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
