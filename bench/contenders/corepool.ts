// The corepool the benchmarks measure. Run from source (tsx, in the repository) it is the
// repository's lib/; compiled into dist/bench (the `corepool bench` command of an installed
// package) it is the package's own build two directories up. The path is computed at run
// time so that tsc neither rewrites it nor compiles lib/ a second time into dist/bench.
import type * as Corepool from '../../lib/index';

/** True when this file runs as TypeScript source (tsx), false when compiled. */
export const fromSource = __filename.endsWith('.ts');

/** Which build of corepool a benchmark measures, for its report. From source every import
 * of lib/ is a getter call under tsx (measured: 1.08M noop tasks/s vs 1.25-1.5M compiled). */
export const measuredBuild = fromSource ? 'lib/ from the TypeScript sources via tsx (slower than the compiled package)' : 'the compiled build (dist/), as the installed package runs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const corepool = require(fromSource ? '../../lib/index' : '../../index') as typeof Corepool;

export const { NativePool, kernels, wait, CancelledError, TimeoutError } = corepool;
/** The code the sha256 kernel runs (the host's OpenSSL or corepool's own): internal, for labels. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sha256Backend = (require(fromSource ? '../../lib/native/binding' : '../../native/binding') as { binding: { sha256Backend: string } }).binding.sha256Backend;
export type NativePool = Corepool.NativePool;
export type Future<T> = Corepool.Future<T>;
