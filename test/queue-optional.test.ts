// bullmq is optional: loading corepool loads neither bullmq nor ioredis, and without
// them installed everything but QueuePool and serve works, and those say what to install.
// Each case runs in a child process, with a fresh module cache.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

function run(script: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

// Makes require('bullmq') and require('ioredis') fail as if they were not installed.
const HIDE = `
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'bullmq' || request === 'ioredis') {
    const e = new Error("Cannot find module '" + request + "'"); e.code = 'MODULE_NOT_FOUND'; throw e;
  }
  return resolve.call(this, request, ...rest);
};`;

describe('QueuePool is optional', () => {
  it('loading corepool and using the other pools loads neither bullmq nor ioredis', () => {
    const out = run(`
      const c = require('./lib/index');
      const pool = new c.NativePool({ maxWorkers: 1 });
      pool.submit(c.kernels.isPrime, [7]).then(async (r) => {
        await pool.shutdown();
        const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](bullmq|ioredis)[\\\\/]/.test(f));
        console.log(JSON.stringify({ r, loaded, hasQueuePool: typeof c.QueuePool, hasServe: typeof c.serve }));
      });`);
    assert.deepEqual(JSON.parse(out), { r: true, loaded: [], hasQueuePool: 'function', hasServe: 'function' });
  });

  it('without bullmq installed, corepool works and QueuePool/serve throw a clear error', () => {
    const out = run(`${HIDE}
      const c = require('./lib/index');
      const results = [];
      try { new c.QueuePool({ queue: 'q', connection: 'redis://127.0.0.1:1' }); } catch (e) { results.push(e.message); }
      c.serve({ queue: 'q', connection: 'redis://127.0.0.1:1' }).catch((e) => {
        results.push(e.message);
        const pool = new c.NativePool({ maxWorkers: 1 });
        pool.submit(c.kernels.isPrime, [7]).then(async (r) => { await pool.shutdown(); results.push(r); console.log(JSON.stringify(results)); });
      });`);
    const [a, b, r] = JSON.parse(out) as [string, string, boolean];
    assert.match(a, /QueuePool needs the optional packages bullmq and ioredis: npm install bullmq ioredis/);
    assert.match(b, /npm install bullmq ioredis/);
    assert.equal(r, true);
  });
});
