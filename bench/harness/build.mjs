// Compiles bench/ into dist/bench: the `corepool bench` command (package.json "bin").
// tsc must see lib/ for the benchmark's types, so it compiles into a scratch directory
// and only bench/ is kept: at run time dist/bench/contenders/corepool.js loads the
// package's own dist/index.js, so a second copy of lib/ would be dead weight in the tarball.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bench = join(root, 'bench');
const scratch = join(root, 'dist', '.bench-build');
const target = join(root, 'dist', 'bench');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(scratch, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(bench, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
rmSync(target, { recursive: true, force: true });
renameSync(join(scratch, 'bench'), target);
rmSync(scratch, { recursive: true, force: true });
// The files tsc does not copy: the peers' worker files, the JS kernels they load, the
// WorkerPool benchmarks' task module (their .d.cts/.d.mts types are for tsc only), and
// bench:tiny --mallocs's counter, which it compiles at run time.
for (const entry of readdirSync(bench, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.(cjs|mjs|c)$/.test(entry.name)) continue;
  const from = join(entry.parentPath ?? entry.path, entry.name);
  if (from === fileURLToPath(import.meta.url)) continue;
  cpSync(from, join(target, relative(bench, from)));
}
if (!existsSync(join(target, 'cli.js'))) throw new Error('bench/harness/build.mjs: dist/bench/cli.js was not produced');
chmodSync(join(target, 'cli.js'), 0o755);
console.log('wrote dist/bench (the corepool bench command)');
