// A lazily created shared NativePool, for scripts and libraries that do not want to
// manage one. Own pools are better where isolation matters: a slow job on the shared
// pool delays everyone else's (the lesson of asyncio's default executor).
import { NativePool } from './pool';

let shared: NativePool | undefined;

/** The shared pool; a fresh one if there is none yet or the last was shut down. */
export function defaultPool(): NativePool {
  if (shared === undefined || shared.isShutdown) shared = new NativePool({ name: 'corepool-default' });
  return shared;
}

/** Makes `pool` the shared pool. */
export function setDefaultPool(pool: NativePool): void {
  if (!(pool instanceof NativePool)) throw new TypeError('setDefaultPool: pool must be a NativePool');
  shared = pool;
}
