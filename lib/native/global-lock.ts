// Controls and counters of the process-wide lock that emulates CPython's GIL.
import { binding } from './binding';
import { describe } from '../core/validate';

/** sys.setswitchinterval's analogue, in milliseconds (default 5). */
export function setSwitchInterval(ms: number): void {
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new TypeError(`setSwitchInterval: ms must be a number, got ${describe(ms)}`);
  if (!(ms > 0 && ms <= 10000)) throw new RangeError(`setSwitchInterval: ms must be in (0, 10000], got ${ms}`);
  binding.setSwitchInterval(ms);
}

/** sys.getswitchinterval's analogue, in milliseconds. */
export function getSwitchInterval(): number {
  return binding.getSwitchInterval();
}

/**
 * sys.setcheckinterval's analogue for `globalLock: { mode: 'legacy' }` (Python < 3.2):
 * a legacy holder releases the lock and races to take it back every `ticks` ticks
 * (default 100). A tick is one bytecode of Python's count loop on a current core, 12.5 ns.
 */
export function setCheckInterval(ticks: number): void {
  if (typeof ticks !== 'number' || Number.isNaN(ticks)) throw new TypeError(`setCheckInterval: ticks must be a number, got ${describe(ticks)}`);
  if (!Number.isInteger(ticks) || ticks < 1 || ticks > 1e6) throw new RangeError(`setCheckInterval: ticks must be an integer in [1, 1000000], got ${ticks}`);
  binding.setCheckInterval(ticks);
}

/** sys.getcheckinterval's analogue: the legacy lock's ticks between releases. */
export function getCheckInterval(): number {
  return binding.getCheckInterval();
}

/** Counters of the global lock: of one pool's threads (pool.lockStats()), or overall. */
export interface LockStats {
  /** Acquisitions by a thread other than the last holder. */
  switches: number;
  /** Times a waiter timed out (the switch interval) and asked the holder to drop the lock. */
  dropRequests: number;
  /** Times a holder dropped the lock on request and waited for another thread to take it. */
  forcedWaits: number;
  /** Times the lock was taken. */
  acquisitions: number;
  /** Time spent waiting to take the lock, in nanoseconds, in total. */
  waitNsTotal: number;
  /** The longest single wait to take the lock, in nanoseconds. */
  waitNsMax: number;
}

export interface GlobalLockStats {
  /** Counters of the one process-wide lock. */
  overall: LockStats;
  /** Counters of each live pool with the lock on, by pool name (pools sharing a name are summed). */
  pools: Record<string, LockStats>;
}

interface LockPool {
  readonly name: string;
  isShutdown: boolean;
  lockStats(): LockStats;
}

const lockPools = new Set<WeakRef<LockPool>>();

/** @internal NativePool registers itself when created with the lock on. */
export function registerLockPool(pool: LockPool): void {
  lockPools.add(new WeakRef(pool));
}

/** Switches, drop requests, forced waits and time waited in take, overall and per pool. */
export function globalLockStats(): GlobalLockStats {
  const pools: Record<string, LockStats> = {};
  for (const ref of lockPools) {
    const pool = ref.deref();
    if (pool === undefined) lockPools.delete(ref);
    else if (!pool.isShutdown) {
      const mine = pool.lockStats();
      const same = pools[pool.name];
      pools[pool.name] = same === undefined ? mine : addCounters(same, mine);
    }
  }
  return { overall: binding.globalLockStats(), pools };
}

/** Pools that share a name share an entry: counts add up, the longest wait is the longest. */
function addCounters(a: LockStats, b: LockStats): LockStats {
  return {
    switches: a.switches + b.switches,
    dropRequests: a.dropRequests + b.dropRequests,
    forcedWaits: a.forcedWaits + b.forcedWaits,
    acquisitions: a.acquisitions + b.acquisitions,
    waitNsTotal: a.waitNsTotal + b.waitNsTotal,
    waitNsMax: Math.max(a.waitNsMax, b.waitNsMax),
  };
}
