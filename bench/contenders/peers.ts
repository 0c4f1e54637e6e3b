// The optional peers (piscina, tinypool, p-limit, p-queue). corepool never depends on them: a peer
// that is not installed makes its contenders "skipped", with the command that installs it.
// Loaded with require(): Node >= 20.19 (corepool's floor) requires ES modules too, and
// resolution starts from this file, i.e. the project that installed corepool.

export type PeerName = 'piscina' | 'tinypool' | 'p-limit' | 'p-queue';

/** The versions the benchmark was written against (package.json peerDependencies). */
export const PEER_RANGES: Record<PeerName, string> = {
  piscina: '^5.0.0',
  tinypool: '^2.0.0',
  'p-limit': '^7.0.0',
  'p-queue': '^9.0.0',
};

export type Peer<T> = { ok: true; module: T; version: string } | { ok: false; reason: string; install: string };

const cache = new Map<PeerName, Peer<unknown>>();

export function loadPeer<T>(name: PeerName): Peer<T> {
  const hit = cache.get(name);
  if (hit) return hit as Peer<T>;
  let peer: Peer<unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(name) as { default?: unknown };
    peer = { ok: true, module: mod, version: versionOf(name) };
  } catch (error) {
    peer = {
      ok: false,
      reason: (error as NodeJS.ErrnoException).code ?? String(error),
      install: `npm install --save-dev ${name}@'${PEER_RANGES[name]}'`,
    };
  }
  cache.set(name, peer);
  return peer as Peer<T>;
}

// Some peers do not export ./package.json: find it above the resolved entry instead.
function versionOf(name: string): string {
  const path = require('node:path') as typeof import('node:path');
  const fs = require('node:fs') as typeof import('node:fs');
  let dir = path.dirname(require.resolve(name));
  for (let i = 0; i < 6; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level
    }
  }
  return '?';
}

/** A plain-JS worker file of bench/contenders/workers/ (build.mjs copies them into dist/bench as they are). */
export function workerFile(name: 'task-worker' | 'raw-worker' | 'noop'): string {
  return require('node:path').join(__dirname, 'workers', `${name}.cjs`) as string;
}

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);

/**
 * The Node flags for the peers' worker threads: this process's loaders and conditions,
 * without tsx's. A Worker inherits process.execArgv unless given its own; from source the
 * benchmark runs under tsx, but a piscina user's workers run compiled JS, and loading tsx
 * in each worker adds ~50 ms to every peer's time to first result here (a plain-JS worker
 * file's first message: 28 ms, 85 ms with --import tsx). Other flags are left out: V8 and
 * per-process flags (--expose-gc, --stack-size)
 * are refused in a Worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV) and apply to the
 * whole process anyway.
 */
export function plainExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!LOADER_FLAGS.has(flag) && !flag.startsWith('--experimental-')) continue;
    const separate = eq < 0 && LOADER_FLAGS.has(flag);
    const value = separate ? argv[++i] ?? '' : eq < 0 ? '' : arg.slice(eq + 1);
    if (/(^|[\\/])tsx([\\/@]|$)/.test(value)) continue;
    out.push(...(separate ? [arg, value] : [arg]));
  }
  return out;
}
