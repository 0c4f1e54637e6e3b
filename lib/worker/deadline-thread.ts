// The deadline thread of a WorkerPool: a worker thread that runs no user code, only
// timers, so that a deadline raises its task's DEADLINE bit on time however busy the
// main event loop or the task's own worker is (a timer in the task's worker could not
// fire while a synchronous task runs there). Workers send it [slot, generation, epoch ms]
// on their own port (epoch ms 0: that task ended, forget its deadline), in batches; at the
// time it sets the bit unless the slot holds another task by then (its generation
// changed), wakes the task's signal watcher, and tells the pool.
//
// One deadline per slot and one timer per worker, for the earliest deadline: a slot holds
// one task at a time, so its table is fixed-size whatever the timeouts and the task rate,
// and a task that ended early leaves no timer behind (its entry is cleared, or replaced by
// the slot's next task).
import { parentPort } from 'node:worker_threads';

import { clearLongTimeout, LongTimer, setLongTimeout } from '../core/timers';
import { DEADLINE, DeadlineConnect, DeadlineRequest, epochNow, GEN_SHIFT, SLOTS_PER_WORKER } from './protocol';

const pool = parentPort!;

class WorkerDeadlines {
  /** Epoch ms of each slot's deadline, 0 = none. */
  private readonly at = new Float64Array(SLOTS_PER_WORKER);
  private readonly generation = new Int32Array(SLOTS_PER_WORKER);
  private timer: LongTimer | undefined = undefined;
  private armedAt = Infinity;

  constructor(
    private readonly words: Int32Array,
    private readonly key: number,
  ) {}

  update(request: number[]): void {
    let earliest = Infinity;
    for (let i = 0; i < request.length; i += 3) {
      const slot = request[i]!;
      const generation = request[i + 1]!;
      const at = request[i + 2]!;
      if (at === 0) {
        // The task ended: its entry goes (the timer, if it was for it, finds nothing and
        // re-arms for the next one). A later task's entry is left alone.
        if (this.generation[slot] === generation) this.at[slot] = 0;
        continue;
      }
      // A task may arm twice (timeout at dispatch, an earlier runTimeout at its start).
      const known = this.at[slot]!;
      this.at[slot] = known !== 0 && this.generation[slot] === generation ? Math.min(known, at) : at;
      this.generation[slot] = generation;
      earliest = Math.min(earliest, this.at[slot]!);
    }
    if (earliest < this.armedAt) this.arm(earliest);
  }

  private arm(at: number): void {
    clearLongTimeout(this.timer);
    this.armedAt = at;
    // Any length: a plain setTimeout past 2^31 ms would fire after 1 ms and stop the task early.
    this.timer = at === Infinity ? undefined : setLongTimeout(() => this.fire(), Math.max(0, at - epochNow()));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = epochNow();
    let next = Infinity;
    let hits: number[] | undefined;
    for (let slot = 0; slot < SLOTS_PER_WORKER; slot++) {
      const at = this.at[slot]!;
      if (at === 0) continue;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.at[slot] = 0;
      if (raise(this.words, slot, this.generation[slot]!)) (hits ??= []).push(this.key, slot, this.generation[slot]!);
    }
    if (hits !== undefined) pool.postMessage({ hits });
    this.arm(next);
  }
}

pool.on('message', (message: DeadlineConnect) => {
  const deadlines = new WorkerDeadlines(new Int32Array(message.words), message.key);
  message.port.on('message', (request: DeadlineRequest) => deadlines.update(request.at));
});

/** Sets DEADLINE on the slot's word if it still holds that generation; true if it did. */
function raise(words: Int32Array, slot: number, generation: number): boolean {
  for (;;) {
    const value = Atomics.load(words, slot);
    if (value >>> GEN_SHIFT !== generation) return false; // the task ended; the slot moved on
    if (Atomics.compareExchange(words, slot, value, value | DEADLINE) === value) break;
  }
  Atomics.notify(words, slot);
  return true;
}
