// corepool's public surface: everything here, nothing else.
export { Future } from './future';
export type { FutureState, WaitOptions } from './future';
export type { Executor, SubmitOptions, MapOptions, ShutdownOptions } from './executor';
export { NativePool } from './native-pool';
export type { NativePoolOptions, OnFull, PoolStats, GlobalLockOptions } from './native-pool';
export { Kernel } from './kernel';
export { kernels } from './kernels';
export type { BuiltinKernels } from './kernels';
export { asCompleted, wait } from './waiting';
export type { ReturnWhen, AsCompletedOptions, WaitForOptions, DoneAndNotDone } from './waiting';
export { TaskGroup } from './task-group';
export { defaultPool, setDefaultPool } from './default-pool';
export { setSwitchInterval, getSwitchInterval, globalLockStats } from './global-lock';
export type { GlobalLockStats, GlobalLockCounters } from './global-lock';
export { CorepoolError, CancelledError, TimeoutError, PoolShutdownError, QueueFullError, KernelError } from './errors';
