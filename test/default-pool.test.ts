// defaultPool(): one shared pool, created on first use, replaceable, and never handed out
// dead: after it was shut down the next call gives a fresh one.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { defaultPool, kernels, NativePool, setDefaultPool } from '../lib/index';

describe('defaultPool', () => {
  after(() => defaultPool().shutdown());

  it('is created lazily: importing corepool starts no pool threads', () => {
    // In a fresh process, so that no other test has created it yet.
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `const fs = require('node:fs');
         const names = () => fs.readdirSync('/proc/self/task').map((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim(); } catch { return ''; } });
         const corepool = require('./lib/index');
         const before = names().filter((n) => /default-\\d+$/.test(n)).length;
         const pool = corepool.defaultPool();
         pool.submit(corepool.kernels.noop, []).then(() => {
           const after = names().filter((n) => /default-\\d+$/.test(n)).length;
           console.log(JSON.stringify({ before, after, same: corepool.defaultPool() === pool }));
         });`,
      ],
      { cwd: path.resolve(__dirname, '..'), encoding: 'utf8', timeout: 15_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { before: number; after: number; same: boolean };
    assert.equal(got.before, 0);
    assert.ok(got.after >= 1, `no default-pool threads after first use: ${r.stdout}`);
    assert.equal(got.same, true);
  });

  it('returns the same shared pool every time, with default settings', async () => {
    const a = defaultPool();
    const b = defaultPool();
    assert.equal(a, b);
    assert.ok(a instanceof NativePool);
    assert.equal(a.maxWorkers, os.availableParallelism());
    assert.equal(await a.submit(kernels.isPrime, [17]), true);
  });

  it('setDefaultPool replaces it', async () => {
    const mine = new NativePool({ maxWorkers: 1, name: 'mine' });
    const previous = defaultPool();
    setDefaultPool(mine);
    try {
      assert.equal(defaultPool(), mine);
      assert.equal(await defaultPool().submit(kernels.sumRange, [4]), 6);
    } finally {
      setDefaultPool(previous);
      await mine.shutdown();
    }
    assert.equal(defaultPool(), previous);
  });

  it('after the default pool was shut down, gives a fresh working one', async () => {
    const old = defaultPool();
    await old.shutdown();
    const fresh = defaultPool();
    assert.notEqual(fresh, old);
    assert.equal(fresh.isShutdown, false);
    assert.equal(await fresh.submit(kernels.isPrime, [19]), true);
    assert.equal(defaultPool(), fresh);
  });

  it('a pool set with setDefaultPool and then shut down is replaced too', async () => {
    const mine = new NativePool({ maxWorkers: 1, name: 'mine2' });
    setDefaultPool(mine);
    await mine.shutdown();
    const fresh = defaultPool();
    assert.notEqual(fresh, mine);
    assert.equal(await fresh.submit(kernels.noop, []), undefined);
  });

  it('setDefaultPool refuses what is not a NativePool', () => {
    assert.throws(() => setDefaultPool({} as never), (e: Error) => e instanceof TypeError && /pool/.test(e.message));
    assert.throws(() => setDefaultPool(undefined as never), TypeError);
  });
});
