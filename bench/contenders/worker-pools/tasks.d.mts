import type { WorkerTaskContext } from '../../../lib/index';
export function noop(ctx: WorkerTaskContext): void;
export function factorial(ctx: WorkerTaskContext, n: number): number;
export function spin(ctx: WorkerTaskContext): never;
export function started(ctx: WorkerTaskContext): number;
