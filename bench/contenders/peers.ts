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

const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * This process's Node flags without tsx's loader, for the peers' worker threads (a Worker
 * inherits process.execArgv unless given its own). From source the benchmark runs under
 * tsx, but a piscina user's workers run compiled JS: loading tsx in each worker would add
 * its start-up (~100-400 ms here) to every peer's time to first result.
 */
export function plainExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (LOADER_FLAGS.has(flag)) {
      const value = eq < 0 ? argv[i + 1] ?? '' : arg.slice(eq + 1);
      if (eq < 0) i++;
      if (/(^|[\\/])tsx([\\/@]|$)/.test(value)) continue;
      out.push(...(eq < 0 ? [arg, value] : [arg]));
      continue;
    }
    out.push(arg);
  }
  return out;
}
