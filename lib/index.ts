// corepool's public surface: everything here, nothing else.
export { Future } from './core/future';
export type { FutureState, WaitOptions, FutureOwner, FutureResolvers } from './core/future';
export type { Executor, SubmitOptions, MapOptions, ShutdownOptions } from './core/executor';
export { NativePool } from './native/pool';
export type { NativePoolOptions, OnFull, PoolStats, GlobalLockOptions } from './native/pool';
export { Kernel } from './native/kernel';
export { kernels } from './native/kernels';
export type { BuiltinKernels } from './native/kernels';
export { asCompleted, wait } from './core/waiting';
export type { ReturnWhen, AsCompletedOptions, WaitForOptions, DoneAndNotDone } from './core/waiting';
export { TaskGroup } from './core/task-group';
export { defaultPool, setDefaultPool } from './native/default-pool';
export { setSwitchInterval, getSwitchInterval, setCheckInterval, getCheckInterval, globalLockStats } from './native/global-lock';
export type { GlobalLockStats, GlobalLockCounters } from './native/global-lock';
export { CorepoolError, CancelledError, TimeoutError, PoolShutdownError, QueueFullError, KernelError, RetryError, QueueUnavailableError, RemoteTaskError, JobLostError } from './core/errors';
export { IoPool, DEFAULT_IO_CONCURRENCY } from './io/pool';
export type { IoPoolOptions, IoPoolStats, IoSubmitOptions, IoTask, IoOnFull, TaskContext } from './io/pool';
export type { RetryOptions } from './io/retry';
export type { RateLimit } from './io/rate-limit';
export { loadKernels, includeDir, abiVersion } from './native/custom-kernels';
export type { KernelSignatures, KernelHandles } from './native/custom-kernels';
// QueuePool and serve load bullmq (an optional peer dependency) only when used.
export { QueuePool } from './queue/pool';
export type { QueuePoolOptions, QueuePoolStats, RemoteTask, QueueTask } from './queue/pool';
export { serve } from './queue/server';
export type { ServeOptions, ServePools, QueueServer, QueueServerStats, CloseOptions } from './queue/server';
export type { QueueConnection, QueueConnectionOptions } from './queue/protocol';
