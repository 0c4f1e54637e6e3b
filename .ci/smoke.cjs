// Smoke run for a runtime other than the ones the full suite runs on (see README, Runtimes):
//   <node or bun> .ci/smoke.cjs
// Loads the prebuilt binary (prebuilds/, never build/) through the compiled package (dist/),
// runs every built-in kernel once with a checked result, one pool of each kind, shuts them
// down, and then must exit by itself (nothing forces the exit: a pool that kept the process
// alive shows as a timeout in .ci/run). Prints one line per check and, last,
//   smoke <runtime>: N passed, N failed, N known gaps
// and exits 0 only if nothing failed. Plain CommonJS so that every runtime runs it as it is.
'use strict';

// node-gyp-build prefers build/Release; this makes it load prebuilds/ or fail.
process.env.PREBUILDS_ONLY = '1';

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { factorialRef, mandelbrotRef } = require('../test/reference/kernels.cjs');

const root = path.resolve(__dirname, '..');
const runtime = typeof Bun !== 'undefined' ? `bun-${Bun.version}` : `node-${process.versions.node}`;
const runtimeName = runtime.split('-')[0];

// A check that fails on a runtime for a reason the README's "Runtimes" section states. It is
// counted apart; if it passes, the entry (and the README's line) is stale, which is a failure.
// (Bun's BigInt cap over 2^20 bits was one: since the binding rejects that one Future
// cleanly, the factorial check passes on Bun too; the README states the limit.)
const KNOWN_GAPS = [];

const FACTORIAL_BIG = 100_000;

let passed = 0;
let failed = 0;
let gaps = 0;

async function check(name, fn) {
  const gap = KNOWN_GAPS.find((g) => g.runtime === runtimeName && g.check === name);
  try {
    await fn();
    if (gap) {
      failed++;
      console.log(`not ok - ${name}: listed as a known gap on ${runtimeName} but passes; remove it from KNOWN_GAPS and the README`);
    } else {
      passed++;
      console.log(`ok - ${name}`);
    }
  } catch (error) {
    const why = String(error && error.message ? error.message : error).split('\n').slice(0, 6).join(' | ');
    if (gap) {
      gaps++;
      console.log(`known gap - ${name}: ${gap.reason} (got: ${why})`);
    } else {
      failed++;
      console.log(`not ok - ${name}: ${why}`);
    }
  }
}

// n! mod m in plain numbers (m < 2^26, so products stay exact).
function factorialMod(n, m) {
  let r = 1;
  for (let i = 2; i <= n; i++) r = (r * (i % m)) % m;
  return r;
}

// The big factorial runs in a child process: on a runtime where converting the result kills
// the process, the parent lives to say so. The child must resolve the right value or reject
// its Future with an Error, then exit 0 by itself.
async function factorialBigChild() {
  const corepool = require(path.join(root, 'dist/index.js'));
  const pool = new corepool.NativePool({ maxWorkers: 1 });
  let outcome;
  try {
    const r = await pool.submit(corepool.kernels.factorial, [FACTORIAL_BIG]);
    assert.equal(typeof r, 'bigint');
    const m = 67_108_859; // a prime below 2^26
    assert.equal(Number(r % BigInt(m)), factorialMod(FACTORIAL_BIG, m), 'n! mod p');
    // 100000! has 1516705 bits (log2 of the product, summed).
    assert.equal(r.toString(16).length, Math.ceil(1516705 / 4), 'hex digits');
    outcome = 'resolved';
  } catch (error) {
    if (!(error instanceof Error) || error instanceof assert.AssertionError) throw error;
    outcome = `rejected cleanly: ${error.name}: ${error.message}`;
  }
  await pool.shutdown();
  console.log(`factorial-big: ${outcome}`);
}

const kernelChecks = {
  isPrime: async (pool, k) => {
    assert.equal(await pool.submit(k.isPrime, [1_000_003]), true);
  },
  countPrimes: async (pool, k) => assert.equal(await pool.submit(k.countPrimes, [0, 100_000]), 9592),
  sumRange: async (pool, k) => assert.equal(await pool.submit(k.sumRange, [100_000]), 4_999_950_000),
  spin: async (pool, k) => {
    const n = await pool.submit(k.spin, [5]);
    assert.ok(Number.isInteger(n) && n > 0, `spin iterations ${n}`);
  },
  sleep: async (pool, k) => {
    const t0 = Date.now();
    assert.equal(await pool.submit(k.sleep, [20]), undefined);
    assert.ok(Date.now() - t0 >= 15, 'slept');
  },
  sha256: async (pool, k) => {
    const data = crypto.randomBytes(1000);
    const got = await pool.submit(k.sha256, [new Uint8Array(data)]);
    assert.ok(got instanceof Uint8Array);
    assert.equal(Buffer.from(got).toString('hex'), crypto.createHash('sha256').update(data).digest('hex'));
  },
  noop: async (pool, k) => assert.equal(await pool.submit(k.noop, []), undefined),
  ioLoop: async (pool, k) => assert.equal(await pool.submit(k.ioLoop, [20, 100]), 20),
  factorial: async (pool, k) => {
    const r = await pool.submit(k.factorial, [3000]);
    assert.equal(typeof r, 'bigint');
    assert.ok(r === factorialRef(3000), '3000!');
  },
  matmul: async (pool, k) => {
    const a = new Float64Array([1, 2, 3, 4]);
    const b = new Float64Array([5, 6, 7, 8]);
    assert.deepEqual([...(await pool.submit(k.matmul, [a, b, 2]))], [19, 22, 43, 50]);
  },
  sortFloat64: async (pool, k) => {
    const a = new Float64Array(10_000).map(() => Math.random() - 0.5);
    a[17] = NaN;
    const want = Float64Array.from(a).sort();
    assert.equal(await pool.submit(k.sortFloat64, [a]), undefined);
    assert.deepEqual([...a], [...want]);
  },
  mandelbrot: async (pool, k) =>
    assert.deepEqual([...(await pool.submit(k.mandelbrot, [40, 30, 200]))], mandelbrotRef(40, 30, 200)),
  mandelbrot16: async (pool, k) =>
    assert.deepEqual([...(await pool.submit(k.mandelbrot16, [40, 30, 1000]))], mandelbrotRef(40, 30, 1000)),
};

// One entry per pool class the package exports. A new pool adds an entry here: an exported
// *Pool without one fails the run instead of going untested.
const poolChecks = {
  NativePool: async (corepool) => {
    const pool = new corepool.NativePool({ maxWorkers: 2 });
    const all = [];
    for await (const r of pool.map(corepool.kernels.isPrime, [2, 3, 4, 5, 6, 7], { chunksize: 2 })) all.push(r);
    assert.deepEqual(all, [true, true, false, true, false, true]);
    const cancelled = pool.submit(corepool.kernels.sleep, [10_000]);
    const ran = pool.submit(corepool.kernels.noop, []);
    cancelled.cancel();
    await ran;
    await assert.rejects(cancelled, { name: 'CancelledError' });
    await pool.shutdown();
    assert.throws(() => pool.submit(corepool.kernels.noop, []), { name: 'PoolShutdownError' });
  },
  IoPool: async (corepool) => {
    const io = new corepool.IoPool({ maxConcurrency: 2 });
    let running = 0;
    let most = 0;
    const task = async (ctx, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return i * 2;
    };
    const futures = [1, 2, 3, 4, 5].map((i) => io.submit(task, [i]));
    assert.deepEqual(await Promise.all(futures), [2, 4, 6, 8, 10]);
    assert.equal(most, 2, 'maxConcurrency held');
    await io.shutdown();
  },
  // A real round trip over Redis (.ci/run starts one and exports its URL): the client, and
  // serve() in this same process, loading the optional bullmq on first use.
  QueuePool: async (corepool) => {
    const connection = process.env.COREPOOL_TEST_REDIS_URL;
    assert.ok(connection, 'COREPOOL_TEST_REDIS_URL is not set (.ci/run starts Redis before the smoke runs)');
    const queue = `smoke-${runtimeName}-${process.pid}`;
    const server = await corepool.serve({ queue, connection, concurrency: 2 });
    const qp = new corepool.QueuePool({ queue, connection });
    try {
      assert.equal(await qp.submit(corepool.kernels.countPrimes, [0, 1000]), 168);
    } finally {
      await qp.shutdown();
      await server.close();
    }
  },
  WorkerPool: async (corepool) => {
    const pool = new corepool.WorkerPool({ maxWorkers: 2 });
    assert.equal(await pool.submit((ctx, a, b) => a + b, [2, 3]), 5);
    const spin = pool.submit((ctx) => {
      for (;;) ctx.checkpoint();
    }, []);
    while (spin.state !== 'RUNNING') await new Promise((r) => setImmediate(r));
    spin.cancel();
    await assert.rejects(spin, { name: 'CancelledError' });
    assert.equal(pool.stats().killed, 0, 'cancelled at its checkpoint, not killed');
    await pool.shutdown();
  },
};

async function main() {
  if (process.argv[2] === '--factorial-big') return factorialBigChild();
  console.log(`smoke on ${runtime} (${process.execPath})`);
  let corepool;
  await check('the prebuild loads (not build/)', async () => {
    const resolved = require('node-gyp-build').resolve(root);
    assert.ok(resolved.startsWith(path.join(root, 'prebuilds') + path.sep), `loaded ${resolved}`);
    corepool = require(path.join(root, 'dist/index.js'));
  });
  if (!corepool) return finish();

  const pool = new corepool.NativePool({ maxWorkers: 2 });
  const names = new Set([...Object.keys(corepool.kernels), ...Object.keys(kernelChecks)]);
  for (const name of names) {
    await check(`kernel ${name}`, async () => {
      assert.ok(name in corepool.kernels, 'a smoke check for a kernel the package does not export');
      assert.ok(name in kernelChecks, 'no smoke check for this kernel: add one to kernelChecks');
      await kernelChecks[name](pool, corepool.kernels);
    });
  }
  await pool.shutdown();

  await check(`factorial(${FACTORIAL_BIG}) in a child process`, async () => {
    const r = spawnSync(process.execPath, [__filename, '--factorial-big'], { encoding: 'utf8', timeout: 120_000 });
    const said = `${r.stdout}${r.stderr}`.trim();
    assert.equal(r.status, 0, `child exited ${r.status} (signal ${r.signal}): ${said}`);
    assert.match(r.stdout, /^factorial-big: (resolved|rejected cleanly: \w+: .+)$/m, said);
    console.log(`  ${r.stdout.trim()}`);
  });

  const exportedPools = Object.keys(corepool).filter((k) => /^[A-Z]\w*Pool$/.test(k) && typeof corepool[k] === 'function');
  for (const name of new Set([...exportedPools, ...Object.keys(poolChecks)])) {
    await check(`pool ${name}`, async () => {
      assert.ok(exportedPools.includes(name), 'a smoke check for a pool the package does not export');
      assert.ok(name in poolChecks, 'no smoke check for this pool: add one to poolChecks');
      await poolChecks[name](corepool);
    });
  }

  await check('known gaps are listed in the README', async () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.split(/^## /m).find((s) => s.startsWith('Runtimes'));
    assert.ok(section, 'README has no "## Runtimes" section');
    for (const g of KNOWN_GAPS) assert.ok(section.includes(g.check), `README Runtimes does not list "${g.check}"`);
  });
  finish();
}

function finish() {
  console.log(`smoke ${runtime}: ${passed} passed, ${failed} failed, ${gaps} known gaps`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((error) => {
  console.log(`not ok - smoke script: ${error && error.stack ? error.stack : error}`);
  process.exitCode = 1;
});
