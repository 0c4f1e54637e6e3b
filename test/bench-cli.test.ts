// The `corepool` command as the repository runs it (bench/cli.ts through tsx): --version,
// --help, every benchmark the README quotes as a subcommand with its own --help, and a
// --filter that names nothing fails with the names it knows. The installed bin is checked
// the same way in packaging.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SUBCOMMANDS } from './bench-subcommands';

const root = path.resolve(__dirname, '..');
const isSubcommand = (name: string): boolean => (SUBCOMMANDS as readonly string[]).includes(name);

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
    for (const readme of ['README.md', 'bench/README.md']) {
      const text = fs.readFileSync(path.join(root, readme), 'utf8');
      const quoted = new Set([...text.matchAll(/npm run (bench(?::[a-z]+)?)/g)].map((m) => m[1]!));
      assert.ok(quoted.size > 0, `${readme} quotes no benchmark`);
      for (const name of quoted) assert.ok(isSubcommand(name), `${readme} quotes 'npm run ${name}', which is not a subcommand`);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const name of SUBCOMMANDS) {
      assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'), `--help does not list ${name}`);
      const r = cli(name, '--help');
      assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: corepool ${name}\\b`, 'm'));
      // Compiled first: the repository measures the build users run, not lib/ under tsx.
      assert.equal(pkg.scripts[name], `npm run -s bench:build && node dist/bench/cli.js ${name}`, `npm run ${name} does not go through the compiled CLI`);
    }
  });

  it("bench/README.md's table gives each subcommand's entry file, and the CLI loads that file", function () {
    const text = fs.readFileSync(path.join(root, 'bench', 'README.md'), 'utf8');
    const rows = [...text.matchAll(/^\| `npm run (bench(?::[a-z]+)?)` \| `([^`]+)`/gm)].map((m) => ({ name: m[1]!, entry: m[2]! }));
    assert.deepEqual(rows.map((r) => r.name).sort(), [...SUBCOMMANDS].sort(), 'one table row per subcommand');
    const cli = fs.readFileSync(path.join(root, 'bench', 'cli.ts'), 'utf8');
    for (const { name, entry } of rows) {
      assert.ok(fs.existsSync(path.join(root, 'bench', entry)), `${name}: bench/${entry} does not exist`);
      // The COMMANDS entry of this name imports the file the table names.
      const at = cli.indexOf(`'${name}': {`) >= 0 ? cli.indexOf(`'${name}': {`) : cli.indexOf(`${name}: {`);
      assert.ok(at >= 0, `${name} is not in bench/cli.ts COMMANDS`);
      const module = /import\('\.\/([^']+)'\)/.exec(cli.slice(at))?.[1];
      assert.equal(`${module}.ts`, entry, `${name}: bench/cli.ts loads ./${module}, the README says ${entry}`);
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

describe('the bench report', function () {
  // A result shaped as runSuite returns it, with the controls set to what a busy machine gives.
  async function render(overrides: { tinypoolEfficiency: number; gil: number | null; tiny: number | null }) {
    const { renderText } = await import('../bench/harness/report');
    const row = (contender: string, workers: number, efficiency: number) => ({
      workload: 'countPrimes', contender, workers, tasks: 10, wallMs: 100, throughput: 100, speedup: efficiency * workers,
      efficiency, latencyP50Ms: 1, latencyP99Ms: 2, eventLoopP99Ms: 1, startupMs: 5, peakRssMB: 50, agrees: true,
    });
    const res = {
      machine: { cpus: 2, availableParallelism: 2, cpuModel: 'test', node: process.version, loadAverageStart: '0.10 0.10 0.10', loadAverageEnd: '0.20 0.10 0.10' },
      options: { quick: true, workers: [1, 2], defaultWorkers: 2, filter: [], quiet: true },
      contenders: [], skipped: [], workloads: [], cpu: [row('tinypool-js', 2, overrides.tinypoolEfficiency)], mixed: [], tiny: [], map: [], io: [], isolation: [], errors: [],
      summary: { tinyCorepoolOverPiscina: overrides.tiny, speedupGlobalLockAt2: overrides.gil },
      durationSec: 1,
    };
    return renderText(res as unknown as Parameters<typeof renderText>[0]);
  }
  const verdict = (text: string, measure: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(measure));
    assert.ok(line, `no row '${measure}'`);
    return line.trim().split(/\s{2,}/).at(-1)!;
  };

  it("says 'noisy', not 'NO', for a missed goal when the controls show a busy machine, and why", async function () {
    const text = await render({ tinypoolEfficiency: 1.38, gil: 2.33, tiny: 3 });
    assert.equal(verdict(text, 'tiny tasks/s, corepool / piscina'), 'noisy');
    assert.match(text, /the machine was NOT quiet: tinypool-js at 2 workers \(countPrimes\): 138% efficiency; global-lock mode speedup 2\.33x/);
    assert.match(text, /^'noisy': the goal was missed/m);
  });

  it("says 'NO' when the controls look quiet, and '-' for a measure that did not run", async function () {
    const text = await render({ tinypoolEfficiency: 0.97, gil: 1.0, tiny: 3 });
    assert.match(text, /^load average \(1, 5, 15 min\) at start 0\.10 0\.10 0\.10, at end 0\.20 0\.10 0\.10; the controls look quiet$/m);
    assert.equal(verdict(text, 'tiny tasks/s, corepool / piscina'), 'NO');
    assert.equal(verdict(text, 'global-lock mode speedup at 2 workers'), 'yes');
    const none = await render({ tinypoolEfficiency: 0.97, gil: null, tiny: null });
    assert.equal(verdict(none, 'tiny tasks/s, corepool / piscina'), '-');
    assert.equal(verdict(none, 'global-lock mode speedup at 2 workers'), '-');
  });
});
