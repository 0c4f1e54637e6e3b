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
