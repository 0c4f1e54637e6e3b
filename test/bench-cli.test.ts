// The `corepool` command as the repository runs it (bench/cli.ts through tsx): --version,
// --help, every benchmark the README quotes as a subcommand with its own --help, and a
// --filter that names nothing fails with the names it knows. The installed bin is checked
// the same way in packaging.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
export const SUBCOMMANDS = ['bench', 'bench:tiny', 'bench:gil', 'bench:cancel', 'bench:kernels', 'bench:io'];

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

describe('the corepool CLI', function () {
  this.timeout(60_000);

  it('--version prints package.json version', function () {
    const r = cli('--version');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });

  it('--help lists every benchmark the README quotes, each with its own --help', function () {
    const help = cli('--help');
    assert.equal(help.status, 0, help.stderr);
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const quoted = new Set([...readme.matchAll(/npm run (bench(?::[a-z]+)?)/g)].map((m) => m[1]!));
    for (const name of quoted) assert.ok(SUBCOMMANDS.includes(name), `the README quotes 'npm run ${name}', which is not a subcommand`);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of SUBCOMMANDS) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'), `--help does not list ${name}`);
      const r = cli(name, '--help');
      assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: corepool ${name}\\b`, 'm'));
      assert.equal(pkg.scripts[name], `node --import tsx bench/cli.ts ${name}`, `npm run ${name} does not go through the CLI`);
    }
  });

  it('an unknown command exits 1 with the usage', function () {
    const r = cli('bench:nope');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown command 'bench:nope'/);
    assert.match(r.stderr, /bench:gil/);
  });

  it('--filter that names nothing exits 1 and lists the names it knows, before running anything', function () {
    const r = cli('bench', '--no-write', '--filter', 'countPrimes,nosuch');
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /--filter 'nosuch' names no workload or contender/);
    assert.match(r.stderr, /workloads: +countPrimes sha256 .*isolation/);
    assert.match(r.stderr, /contenders: +corepool .*piscina-js/);
    assert.doesNotMatch(r.stdout, /==/, 'the suite ran');
  });
});
