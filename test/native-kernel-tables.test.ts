// loadKernels against hostile tables (issue 11, item 5), and a kernel that never
// checkpoints (item 14): test/fixtures/hostile-kernels/hostile.c, compiled here with the
// system C compiler against Node-API's headers (an addon needs nothing more on Linux).
// Every malformed table is a TypeError naming what is wrong; a crash would end mocha.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CancelledError, includeDir, loadKernels, NativePool, TimeoutError } from '../lib/index';

const fixture = path.join(__dirname, 'fixtures', 'hostile-kernels');
const addonPath = path.join(fixture, 'build', 'hostile.node');

function buildHostile(): void {
  const source = path.join(fixture, 'hostile.c');
  const header = path.join(includeDir, 'corepool.h');
  const built = fs.existsSync(addonPath) ? fs.statSync(addonPath).mtimeMs : 0;
  if (built > Math.max(fs.statSync(source).mtimeMs, fs.statSync(header).mtimeMs)) return;
  fs.mkdirSync(path.dirname(addonPath), { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const napiHeaders = (require('node-api-headers') as { include_dir: string }).include_dir;
  execFileSync(process.env.CC ?? 'cc', ['-std=c99', '-D_GNU_SOURCE', '-O1', '-shared', '-fPIC', '-DNAPI_VERSION=8',
    `-I${napiHeaders}`, `-I${includeDir}`, source, '-o', addonPath], { stdio: 'pipe' });
}

type Hostile = Record<string, unknown>;
type GoodKernels = { neverCheckpoints: [[ms: number], number]; echoInt: [[n: number], number] };
const GOOD = { neverCheckpoints: 1, echoInt: 1 } as const;

describe('loadKernels refuses malformed tables (issue 11, item 5)', function () {
  this.timeout(60_000);
  let addon: Hostile;

  before(function () {
    if (process.platform !== 'linux') this.skip(); // the fixture uses mmap/mprotect and cc
    buildHostile();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(addonPath) as Hostile;
  });

  const cases: [string, RegExp][] = [
    ['countPastArray', /declares 3 kernels but its array is not readable that far/],
    ['argCountPastSpecs', /kernel 'specsPastEnd' declares 4 arguments but its spec array is not readable that far/],
    ['namePastEnd', /kernel #0 has no readable name of at most 200 bytes/],
    ['unreadable', /the External points to unreadable memory/],
    ['nullTable', /kernel table is null/],
    ['foreign', /not a corepool kernel table \(magic 0x[0-9a-f]{8}, expected 0x544b5043\)/],
    ['badMagic', /magic 0xdeadbeef/],
    ['oldVersion', /built for corepool ABI version 1, this corepool has version \d+/],
    ['countZero', /no kernels or more than 4096 \(count 0\)/],
    ['countHuge', /no kernels or more than 4096 \(count 5000\)/],
    ['noName', /kernel #0 has no readable name/],
    ['emptyName', /kernel #0 has no name/],
    ['tooLongName', /kernel #0 has no readable name of at most 200 bytes/],
    ['nameTwice', /kernel 'same' appears twice in the table/],
    ['noRun', /kernel 'noRun' has no run function/],
    ['manyArgs', /kernel 'manyArgs' declares more than 16 arguments/],
    ['nullSpecs', /kernel 'nullSpecs' has no argument specs/],
    ['badResult', /kernel 'badResult' has an unknown result kind 99/],
    ['badKind', /kernel 'badKind' argument #0 \('x'\) has an unknown kind 12/],
    ['unnamedArg', /kernel 'unnamedArg' argument #0 has no readable name/],
    ['hugeInt', /kernel 'hugeInt' argument #0 \('n'\) has bounds outside int64/],
    ['negativeLength', /kernel 'negativeLength' argument #0 \('data'\) has a negative minimum/],
  ];
  for (const [name, message] of cases) {
    it(`${name}: a TypeError, the process lives on`, () => {
      assert.throws(() => loadKernels(addon[name]), (e: unknown) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.match(e.message, /^loadKernels: /);
        assert.match(e.message, message);
        return true;
      });
      // ... also when given as an addon's exports
      assert.throws(() => loadKernels({ corepoolKernels: addon[name] }), TypeError);
    });
  }

  it('the good table of the same addon still loads, and its kernel runs', async () => {
    const k = loadKernels<GoodKernels>(addon, GOOD);
    const pool = new NativePool({ maxWorkers: 1 });
    try {
      assert.ok((await pool.submit(k.neverCheckpoints, [1])) >= 1);
    } finally {
      await pool.shutdown();
    }
  });

  it('INT bounds of the whole int64 range: 2^63 (the double nearest 2^63 - 1) is refused, not wrapped', async () => {
    const k = loadKernels<GoodKernels>(addon, GOOD);
    const pool = new NativePool({ maxWorkers: 1 });
    try {
      assert.equal(await pool.submit(k.echoInt, [-(2 ** 63)]), -(2 ** 63));
      assert.equal(await pool.submit(k.echoInt, [2 ** 62]), 2 ** 62);
      assert.throws(() => pool.submit(k.echoInt, [2 ** 63]), { name: 'RangeError', message: /'n'/ });
      assert.throws(() => k.echoInt.runSync([2 ** 63]), { name: 'RangeError', message: /'n'/ });
    } finally {
      await pool.shutdown();
    }
  });

  describe('a kernel that never checkpoints (issue 11, item 14)', () => {
    let pool: NativePool;
    let k: ReturnType<typeof loadKernels<GoodKernels>>;
    before(() => {
      k = loadKernels<GoodKernels>(addon, GOOD);
      pool = new NativePool({ maxWorkers: 2 });
    });
    after(() => pool.shutdown());

    it('ends TimeoutError when it returns past its deadline, as a cancelled one ends CANCELLED', async () => {
      const timed = pool.submit(k.neverCheckpoints, [400], { timeout: 100 });
      const cancelled = pool.submit(k.neverCheckpoints, [400]);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(cancelled.running(), true);
      assert.equal(cancelled.cancel(), true);
      await assert.rejects(timed.result(), TimeoutError);
      await assert.rejects(cancelled.result(), CancelledError);
      // It could not be stopped: both ran to their end (the pool was busy meanwhile).
      assert.equal(pool.stats().timedOut >= 1, true);
    });

    it('runTimeout alike', async () => {
      await assert.rejects(pool.submit(k.neverCheckpoints, [300], { runTimeout: 50 }).result(), TimeoutError);
    });

    it('a task that finishes before its deadline keeps its result', async () => {
      assert.ok((await pool.submit(k.neverCheckpoints, [5], { timeout: 10_000 })) >= 5);
    });
  });
});
