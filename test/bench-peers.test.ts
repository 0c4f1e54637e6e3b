// The benchmark's peers run as their users run them (issue 12 item 14): their worker files
// are plain JS that loads without tsx, and their worker threads do not inherit tsx from
// this process (mocha runs under --import=tsx, as `npm run bench` runs under tsx). Before,
// each peer worker loaded tsx and compiled corepool's TypeScript sources before its first
// task, and the README quoted 100-450 ms to a peer's first result where a plain piscina
// pool takes ~50-70 ms.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

import { countPrimes } from '../bench/contenders/js-kernels.cjs';
import { plainExecArgv, workerFile } from '../bench/contenders/peers';
import { cpuContenders } from '../bench/contenders/pools';

function inWorker<T>(code: string, execArgv: string[] | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, ...(execArgv ? { execArgv } : {}) });
    w.once('message', (m: T) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('bench peers run plain JS workers', function () {
  this.timeout(30_000);

  it('plainExecArgv drops tsx loaders and the flags a Worker refuses, keeps other loaders', () => {
    assert.ok(process.execArgv.some((a) => a.includes('tsx')), `this test runs under tsx: ${process.execArgv.join(' ')}`);
    assert.deepEqual(
      plainExecArgv(['--import', 'tsx', '--import=tsx', '--expose-gc', '--stack-size=900',
        '--require', '/p/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///p/node_modules/tsx/dist/loader.mjs',
        '--import', './my-hooks.mjs', '-r', 'dotenv/config', '--conditions=dev', '--experimental-vm-modules']),
      ['--import', './my-hooks.mjs', '-r', 'dotenv/config', '--conditions=dev', '--experimental-vm-modules'],
    );
    assert.deepEqual(plainExecArgv(['--import', 'tsxish', '-r', 'not-tsx']), ['--import', 'tsxish', '-r', 'not-tsx']);
  });

  it('a worker thread given plainExecArgv() starts without tsx (a Worker inherits execArgv otherwise)', async () => {
    const code = "require('node:worker_threads').parentPort.postMessage(process.execArgv)";
    const inherited = await inWorker<string[]>(code, undefined);
    assert.ok(inherited.some((a) => a.includes('tsx')), `by default the worker inherits tsx: ${inherited.join(' ')}`);
    const plain = await inWorker<string[]>(code, plainExecArgv());
    assert.ok(!plain.some((a) => a.includes('tsx')), plain.join(' '));
  });

  it('every worker file of the peers is plain JS that loads and answers without tsx', async () => {
    for (const name of ['task-worker', 'raw-worker', 'noop'] as const) {
      const file = workerFile(name);
      assert.match(file, /\.cjs$/);
      assert.ok(fs.existsSync(file), file);
    }
    const answer = await new Promise<{ id: number; ok: boolean; value: unknown }>((resolve, reject) => {
      const w = new Worker(workerFile('raw-worker'), { execArgv: plainExecArgv() });
      w.once('message', (m: { id: number; ok: boolean; value: unknown }) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
      w.postMessage({ id: 7, task: { kernel: 'countPrimes', args: [0, 10_000], native: false } });
    });
    assert.deepEqual(answer, { id: 7, ok: true, value: countPrimes(0, 10_000) });
    assert.equal(countPrimes(0, 10_000), 1229);
  });

  for (const id of ['piscina-js', 'piscina-native', 'tinypool-js', 'worker_threads-js']) {
    it(`${id}: starts its plain-JS workers and gives the right result`, async function () {
      const contender = cpuContenders.find((c) => c.id === id);
      assert.ok(contender, id);
      const available = contender.available();
      if (!available.ok) this.skip(); // an optional peer not installed
      const runner = await contender.start(1);
      try {
        assert.equal(await runner.run({ kernel: 'countPrimes', args: [0, 100_000] }), 9592);
      } finally {
        await runner.close();
      }
    });
  }
});
