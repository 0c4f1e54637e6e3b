// The task function piscina and tinypool run: the JS algorithm, or the very same native
// kernel corepool runs (kernel.runSync on this worker thread), so that comparing the two
// isolates pool overhead from kernel speed.
import { kernels } from '../corepool';
import { runJs, Task } from '../js-kernels';

type SyncKernel = { runSync(args: unknown[]): unknown };

export = function runTask(task: Task & { native: boolean }): unknown {
  if (!task.native) return runJs(task);
  const kernel = (kernels as unknown as Record<string, SyncKernel | undefined>)[task.kernel];
  if (kernel === undefined) throw new Error(`corepool has no kernel '${task.kernel}'`);
  return kernel.runSync(task.args);
};
