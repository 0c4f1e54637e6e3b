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
export { setSwitchInterval, getSwitchInterval, setCheckInterval, getCheckInterval, globalLockStats } from './global-lock';
export type { GlobalLockStats, GlobalLockCounters } from './global-lock';
export { CorepoolError, CancelledError, TimeoutError, PoolShutdownError, QueueFullError, KernelError, QueueUnavailableError, RemoteTaskError, JobLostError } from './errors';
export { IoPool, DEFAULT_IO_CONCURRENCY } from './io-pool';
export type { IoPoolOptions, IoPoolStats, IoSubmitOptions, IoTask, IoOnFull, TaskContext } from './io-pool';
export { RetryError } from './retry';
export type { RetryOptions } from './retry';
export type { RateLimit } from './rate-limit';
export { loadKernels, includeDir, abiVersion } from './custom-kernels';
export type { KernelSignatures, KernelHandles } from './custom-kernels';
// QueuePool and serve load bullmq (an optional peer dependency) only when used.
export { QueuePool } from './queue/pool';
export type { QueuePoolOptions, QueuePoolStats, RemoteTask, QueueTask } from './queue/pool';
export { serve } from './queue/server';
export type { ServeOptions, ServePools, QueueServer, QueueServerStats, CloseOptions } from './queue/server';
export type { QueueConnection, QueueConnectionOptions } from './queue/protocol';
