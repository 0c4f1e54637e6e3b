// The deadline thread of a WorkerPool: a worker thread that runs no user code, only
// timers, so that a deadline raises its task's DEADLINE bit on time however busy the
// main event loop or the task's own worker is (a timer in the task's worker could not
// fire while a synchronous task runs there). Workers send it [slot, generation, epoch ms]
// on their own port; at the time it sets the bit unless the slot holds another task by
// then (its generation changed), wakes the task's signal watcher, and tells the pool.
import { parentPort } from 'node:worker_threads';

import { setLongTimeout } from '../core/timers';
import { DEADLINE, DeadlineConnect, DeadlineRequest, epochNow, GEN_SHIFT } from './protocol';

const pool = parentPort!;

pool.on('message', (message: DeadlineConnect) => {
  const words = new Int32Array(message.words);
  const key = message.key;
  message.port.on('message', (request: DeadlineRequest) => {
    const at = request.at;
    for (let i = 0; i < at.length; i += 3) {
      const slot = at[i]!;
      const generation = at[i + 1]!;
      const fire = (): void => raise(words, key, slot, generation);
      // Any length: a plain setTimeout past 2^31 ms would fire after 1 ms and stop the task early.
      setLongTimeout(fire, Math.max(0, at[i + 2]! - epochNow()));
    }
  });
});

function raise(words: Int32Array, key: number, slot: number, generation: number): void {
  for (;;) {
    const value = Atomics.load(words, slot);
    if (value >>> GEN_SHIFT !== generation) return; // the task ended; the slot moved on
    if (Atomics.compareExchange(words, slot, value, value | DEADLINE) === value) break;
  }
  Atomics.notify(words, slot);
  pool.postMessage({ hits: [key, slot, generation] });
}
