// The README's "From one machine to many" runs as written: its task module is served by
// a real `corepool worker`, its client code runs against the same Redis, and it prints
// what the README's comment says.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { redisOrSkip, root, startWorker, stopWorkers } from './queue-helpers';

function section(): { tasks: string; client: string } {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## From one machine to many');
  assert.ok(start >= 0, 'README has the section');
  const body = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const block = (lang: string): string => {
    const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(body);
    assert.ok(m, `a \`\`\`${lang} block`);
    return m[1]!;
  };
  return { tasks: block('js'), client: block('ts') };
}

describe("README: 'From one machine to many' runs as written", function () {
  this.timeout(60_000);

  it('its worker module and client code work against a real Redis and worker', async function () {
    const redis = await redisOrSkip(this);
    const { tasks, client } = section();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-readme-'));
    fs.writeFileSync(path.join(dir, 'tasks.mjs'), tasks);
    // The one change: 'corepool' is this checkout.
    fs.writeFileSync(path.join(dir, 'client.mts'), client.replace("from 'corepool'", `from ${JSON.stringify(path.join(root, 'lib', 'index.ts'))}`));
    // The README's queue name, on this test's Redis: nothing else serves it here.
    const worker = await startWorker(redis, 'primes', ['--module', path.join(dir, 'tasks.mjs')]);
    try {
      const out = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(dir, 'client.mts')], { cwd: root, env: { ...process.env, REDIS_URL: redis }, timeout: 50_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
        );
      });
      const promised = /console\.log\(count, primes, square\);\s*\/\/ (.*)/.exec(client)![1]!.trim();
      assert.equal(out.trim(), promised);
    } finally {
      await stopWorkers([worker]);
    }
  });
});
