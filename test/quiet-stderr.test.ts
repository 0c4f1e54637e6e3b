// `npm test` writes nothing to stderr: a test that triggers a warning catches and asserts it
// (helpers.ts catchWarnings). Two files that used to warn (MockTimers' ExperimentalWarning on
// Node 20; map's unread TimeoutErrors, 'exception of task spin was never retrieved') run here
// in a child mocha with a GC after every test, and its stderr must hold no warning.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

describe('test output', function () {
  this.timeout(120_000);
  it('io-pool-retry and map tests pass with no warning on stderr, even with a GC after every test', () => {
    const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const r = spawnSync(
      process.execPath,
      [mocha, '--no-config', '--node-option', 'import=tsx', '--node-option', 'expose-gc', '--timeout', '20000',
        '--require', path.join(root, 'test', 'fixtures', 'gc-after-each.cjs'),
        'test/io-pool-retry.test.ts', 'test/map.test.ts'],
      { cwd: root, encoding: 'utf8', timeout: 100_000 },
    );
    assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /\d+ passing/);
    assert.doesNotMatch(r.stderr, /Warning|warning/, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
  });
});
