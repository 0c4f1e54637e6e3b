// The corepool the benchmarks measure. Run from source (tsx, in the repository) it is the
// repository's lib/; compiled into dist/bench (the `corepool bench` command of an installed
// package) it is the package's own build two directories up. The path is computed at run
// time so that tsc neither rewrites it nor compiles lib/ a second time into dist/bench.
import type * as Corepool from '../../lib/index';

/** True when this file runs as TypeScript source (tsx), false when compiled. */
export const fromSource = __filename.endsWith('.ts');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const corepool = require(fromSource ? '../../lib/index' : '../../index') as typeof Corepool;

export const { NativePool, kernels, wait, CancelledError, TimeoutError } = corepool;
export type NativePool = Corepool.NativePool;
export type Future<T> = Corepool.Future<T>;
