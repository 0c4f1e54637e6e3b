// The published package, as a user gets it: the tarball ships the prebuilt addon,
// the CommonJS entry (which ESM imports too: Node reads its named exports) and the sources for a fallback build, and it installs
// and runs on a machine with no compiler, loading the prebuild instead of building.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { SUBCOMMANDS } from './bench-subcommands';

const root = path.resolve(__dirname, '..');
const npmCli = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const STALE = 'a stale prebuild from an earlier build\n';

function prebuilds(dir: string): string[] {
  const d = path.join(dir, 'prebuilds', 'linux-x64');
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.node')) : [];
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${what} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
}

// npm run/mocha leave the outer project's npm settings in the environment; a nested npm
// must not mistake the repo for its project.
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/.test(k) || k === 'npm_config_local_prefix' || k === 'INIT_CWD' || k === 'npm_command') {
      continue;
    }
    env[k] = v;
  }
  return env;
}

function which(cmd: string): string {
  return fs.realpathSync(execFileSync('/bin/sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim());
}

/** The rows of one `== title` section of `corepool bench`'s text report, cells split on runs of 2+ spaces. */
function reportSection(out: string, title: string): string[][] {
  const lines = out.split('\n');
  const at = lines.indexOf(`== ${title}`);
  if (at < 0) return [];
  const rows: string[][] = [];
  // The header, the dashes, then rows up to the blank line before the next section.
  for (let i = at + 3; i < lines.length && lines[i]!.trim() !== ''; i++) rows.push(lines[i]!.trim().split(/\s{2,}/));
  return rows;
}

describe('packaging', function () {
  this.timeout(180_000);

  let tmp: string;
  let tarball: string;
  let entries: string[];
  let freshBinary: Buffer;
  let shippedName: string;

  before(function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    // Two native builds (npm ci's fallback build, then prepack's prebuildify) on a shared machine.
    this.timeout(900_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-pack-'));
    // Exactly as a maintainer packs: a clean clone of the committed tree, npm ci, npm pack.
    // Nothing of this worktree's build/, dist/ or prebuilds/ can leak into the tarball.
    const clone = path.join(tmp, 'clone');
    check(spawnSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone], { encoding: 'utf8', env: cleanEnv() }), 'git clone');
    check(
      spawnSync(npmCli, ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: clone, encoding: 'utf8', env: cleanEnv() }),
      'npm ci in the clone',
    );
    // A stale prebuild left from an earlier build must not be what ships: prepack replaces it.
    const staleDir = path.join(clone, 'prebuilds', 'linux-x64');
    fs.mkdirSync(staleDir, { recursive: true });
    fs.writeFileSync(path.join(staleDir, 'corepool.napi.node'), STALE);
    const packStart = Date.now();
    // Lifecycle scripts write to stdout too, so the JSON is found from the last line that opens an array.
    const out = check(
      spawnSync(npmCli, ['pack', '--json', '--pack-destination', tmp], { cwd: clone, encoding: 'utf8', env: cleanEnv() }),
      'npm pack',
    );
    const start = out.lastIndexOf('\n[') + 1;
    const info = JSON.parse(out.slice(start)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(tmp, info[0].filename);
    assert.ok(fs.existsSync(tarball), `no tarball at ${tarball}`);
    entries = info[0].files.map((f) => f.path);
    const built = prebuilds(clone);
    assert.equal(built.length, 1, `prebuilds/linux-x64 after npm pack: ${built.join(', ')}`);
    const builtPath = path.join(clone, 'prebuilds', 'linux-x64', built[0]!);
    assert.ok(fs.statSync(builtPath).mtimeMs >= packStart - 1000, 'the prebuild was not written by npm pack');
    freshBinary = fs.readFileSync(builtPath);
    shippedName = `prebuilds/linux-x64/${built[0]}`;
  });

  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the prebuild, the compiled entry, the types and the sources for a fallback build', function () {
    assert.ok(
      entries.some((e) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(e)),
      `no prebuilds/linux-x64/*.node in ${entries.join(', ')}`,
    );
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'native/src/pool.cc',
      'native/include/corepool.h',
      'binding.gyp',
      'package.json',
    ]) {
      assert.ok(entries.includes(f), `${f} missing from the tarball`);
    }
  });

  it('ships the prebuild that npm pack just built, not a stale prebuilds/', function () {
    const shipped = execFileSync('tar', ['-xzOf', tarball, `package/${shippedName}`]);
    assert.notEqual(shipped.toString('utf8'), STALE, 'the stale prebuild was packed');
    assert.ok(shipped.equals(freshBinary), 'the shipped binary differs from the one prepack built');
    assert.equal(shipped.subarray(0, 4).toString('latin1'), '\x7fELF');
  });

  // Issue 12 item 2: the README names the glibc and libstdc++ versions the prebuild needs;
  // they are read from the binary itself, so a new build host that raises them fails here.
  it('states in the README the GLIBC and GLIBCXX versions the prebuild needs', function () {
    const bin = path.join(tmp, 'shipped.node');
    fs.writeFileSync(bin, execFileSync('tar', ['-xzOf', tarball, `package/${shippedName}`]));
    const symbols = execFileSync('objdump', ['-T', bin], { encoding: 'utf8' });
    const highest = (prefix: string): string => {
      const versions = [...symbols.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]!);
      versions.sort((a, b) => {
        const x = a.split('.').map(Number);
        const y = b.split('.').map(Number);
        for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
        return 0;
      });
      return `${prefix}_${versions.at(-1)}`;
    };
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const need of [highest('GLIBC'), highest('GLIBCXX')]) {
      assert.ok(readme.includes(`\`${need}\``), `the README does not state that the prebuild needs ${need}`);
    }
  });

  it('ships the custom-kernel example, and the README links to it where an npm user finds it', function () {
    for (const f of ['examples/custom-kernel/README.md', 'examples/custom-kernel/binding.gyp', 'examples/custom-kernel/index.js', 'examples/custom-kernel/package.json', 'examples/custom-kernel/src/kernels.c']) {
      assert.ok(entries.includes(f), `${f} missing from the tarball`);
    }
    const readme = execFileSync('tar', ['-xzOf', tarball, 'package/README.md'], { encoding: 'utf8' });
    assert.match(readme, /node_modules\/corepool\/examples\/custom-kernel/);
  });

  it('ships no build output, dependencies, tests or native test builds', function () {
    const stray = entries.filter((e) => /^(build|node_modules|test|native\/test|bench|\.ci|lib)\//.test(e) || /^examples\/[^/]+\/(build|node_modules)\//.test(e) || e.endsWith('.tgz'));
    assert.deepEqual(stray, []);
  });

  it("keeps 'install: node-gyp-build' so a platform without a prebuild compiles", function () {
    const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    assert.equal(pkg.scripts?.install, 'node-gyp-build');
    assert.equal(pkg.gypfile, true);
  });

  describe('installed where no compiler can be found', function () {
    let project: string;
    let env: NodeJS.ProcessEnv;

    before(function () {
      project = path.join(tmp, 'project');
      const bin = path.join(tmp, 'bin');
      fs.mkdirSync(project);
      fs.mkdirSync(bin);
      fs.writeFileSync(
        path.join(project, 'package.json'),
        JSON.stringify({ name: 'corepool-consumer', version: '1.0.0', private: true }, null, 2),
      );
      // Only node, npm and the sh npm runs scripts with on PATH: no g++, make, cmake or
      // python for node-gyp to use.
      fs.symlinkSync(fs.realpathSync(process.execPath), path.join(bin, 'node'));
      fs.symlinkSync(which('npm'), path.join(bin, 'npm'));
      fs.symlinkSync(which('sh'), path.join(bin, 'sh'));
      env = { ...cleanEnv(), PATH: bin, CC: 'false', CXX: 'false' };

      const tools = spawnSync('/bin/sh', ['-c', 'command -v g++ || command -v c++ || command -v gcc || command -v make || command -v cmake || command -v python3'], {
        env,
        encoding: 'utf8',
      });
      assert.notEqual(tools.status, 0, `a build tool is reachable: ${tools.stdout}`);

      check(
        spawnSync('npm', ['install', tarball, '--no-audit', '--no-fund'], { cwd: project, env, encoding: 'utf8' }),
        'npm install <tarball>',
      );
    });

    it('used the prebuild: nothing was compiled', function () {
      const installed = path.join(project, 'node_modules', 'corepool');
      assert.ok(fs.existsSync(path.join(installed, 'package.json')));
      assert.equal(fs.existsSync(path.join(installed, 'build')), false, 'node_modules/corepool/build exists');
      const loaded = check(
        spawnSync('node', ['-p', "require('node-gyp-build').resolve(require('path').dirname(require.resolve('corepool/package.json')))"], {
          cwd: project,
          env,
          encoding: 'utf8',
        }),
        'node-gyp-build resolve',
      ).trim();
      assert.match(loaded, /[\\/]prebuilds[\\/]linux-x64[\\/][^\\/]+\.node$/);
    });

    it('runs a kernel through require()', function () {
      const script = `
        const { NativePool, kernels } = require('corepool');
        const pool = new NativePool({ maxWorkers: 2 });
        pool.submit(kernels.countPrimes, [0, 1000]).then((v) => { console.log(v); return pool.shutdown(); });
      `;
      const out = check(spawnSync('node', ['-e', script], { cwd: project, env, encoding: 'utf8' }), 'CommonJS run');
      assert.equal(out.trim(), '168');
    });

    it('runs a kernel through import', function () {
      const script = `
        import { NativePool, kernels } from 'corepool';
        import corepool from 'corepool';
        if (corepool.NativePool !== NativePool) throw new Error('default and named exports differ');
        const pool = new NativePool({ maxWorkers: 2 });
        console.log(await pool.submit(kernels.countPrimes, [0, 1000]));
        await pool.shutdown();
      `;
      const out = check(
        spawnSync('node', ['--input-type=module', '-e', script], { cwd: project, env, encoding: 'utf8' }),
        'ESM run',
      );
      assert.equal(out.trim(), '168');
    });

    // Issue 7: the `corepool` bin of the installed package runs the benchmark with none of
    // the optional peers installed; their contenders are listed as skipped, with the command
    // that installs them. --quick and two workloads keep this to a few seconds.
    it('runs `corepool bench` from node_modules/.bin without the optional peers', function () {
      this.timeout(60_000);
      const modules = path.join(project, 'node_modules');
      for (const peer of ['piscina', 'tinypool', 'p-limit']) {
        assert.equal(fs.existsSync(path.join(modules, peer)), false, `installing corepool pulled in its optional peer ${peer}`);
      }
      const bin = path.join(modules, '.bin', 'corepool');
      assert.ok(fs.existsSync(bin), 'no node_modules/.bin/corepool');

      const r = spawnSync(bin, ['bench', '--quick', '--no-write', '--filter', 'countPrimes,tiny'], {
        cwd: project,
        env,
        encoding: 'utf8',
        timeout: 55_000,
      });
      const out = check(r, 'corepool bench --quick');
      const context = `\n--- stdout\n${out}\n--- stderr\n${r.stderr}`;
      assert.doesNotMatch(out, /^== ERRORS/m, `the report lists errors${context}`);
      assert.equal(fs.existsSync(path.join(project, 'corepool-bench-results')), false, '--no-write wrote results');

      // Issue 12 item 11: the load line and the column meanings are in the terminal too.
      assert.match(out, /^load average \(1, 5, 15 min\) at start [0-9.]+ [0-9.]+ [0-9.]+, at end [0-9.]+ [0-9.]+ [0-9.]+; (the controls look quiet|the machine was NOT quiet: .+)$/m, `no load line${context}`);
      assert.match(out, /^speedup = wall time at 1 worker/m, `no column meanings${context}`);
      // Issue 12 item 10: every benchmark is a subcommand of the installed bin, with --help.
      assert.equal(check(spawnSync(bin, ['--version'], { cwd: project, env, encoding: 'utf8' }), 'corepool --version').trim(), '0.1.0');
      for (const sub of SUBCOMMANDS) {
        assert.match(check(spawnSync(bin, [sub, '--help'], { cwd: project, env, encoding: 'utf8' }), `corepool ${sub} --help`), new RegExp(`^usage: corepool ${sub}\\b`, 'm'));
      }

      // The CPU table: countPrimes through corepool, agreeing with the JS reference.
      const cpu = reportSection(out, 'CPU workloads');
      const corepoolRows = cpu.filter((row) => row[0] === 'countPrimes' && row[1] === 'corepool');
      assert.ok(corepoolRows.length > 0, `no countPrimes/corepool row in the CPU table${context}`);
      for (const row of cpu) assert.equal(row.at(-1), 'yes', `results disagree: ${row.join(' | ')}${context}`);
      assert.ok(!cpu.some((row) => /^(piscina|tinypool)-/.test(row[1]!)), `a missing peer ran${context}`);
      assert.ok(
        cpu.some((row) => row[1] === 'worker_threads-js') && cpu.some((row) => row[1] === 'main-js'),
        `the peer-free contenders did not run${context}`,
      );
      // Only the filtered workloads ran; a key ratio with no data is '-', never a verdict.
      assert.deepEqual([...new Set(cpu.map((row) => row[0]))], ['countPrimes']);
      const mapRatio = reportSection(out, 'Key ratios (all from this run)').find((row) => row[0]!.startsWith('map(chunksize)'));
      assert.deepEqual(mapRatio?.slice(1), ['-, -', '>= 5x', '-'], `map did not run: its ratio${context}`);
      // Issue 12 item 12: a --filter that names nothing fails before running, listing the names.
      const none = spawnSync(bin, ['bench', '--quick', '--no-write', '--filter', 'nomatch'], { cwd: project, env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(none.status, 1, `--filter nomatch: ${none.stdout}${none.stderr}`);
      assert.match(none.stderr, /--filter 'nomatch' names no workload or contender\n {2}workloads: +countPrimes .*\n {2}contenders: +corepool /);
      assert.equal(none.stdout, '');
      assert.equal(reportSection(out, 'Mixed IO + CPU').length, 0);

      const tiny = reportSection(out, 'Tiny tasks (noop, one task each)');
      assert.ok(tiny.some((row) => row[0] === 'corepool'), `no corepool row in the tiny-task table${context}`);

      // Every piscina and tinypool contender is skipped, with the command that installs it.
      const skipped = reportSection(out, 'Skipped contenders');
      for (const id of ['piscina-native', 'piscina-js', 'tinypool-native', 'tinypool-js', 'p-limit']) {
        const row = skipped.find((k) => k[0] === id);
        assert.ok(row, `${id} is not listed as skipped${context}`);
        const peer = id.replace(/-(native|js)$/, '');
        assert.match(row[2] ?? '', new RegExp(`^npm install --save-dev ${peer}@`), `${id}: no install command${context}`);
      }

      // `npx corepool` (npm exec) finds the same bin; --offline so that a missing link
      // fails here instead of fetching corepool from the registry.
      const usage = check(
        spawnSync('npm', ['exec', '--offline', '--', 'corepool', 'bench', '--help'], { cwd: project, env, encoding: 'utf8' }),
        'npm exec corepool bench --help',
      );
      assert.match(usage, /^usage: corepool bench/m);
    });
  });
  // Issue 12 item 2: where the prebuild cannot load (an older glibc or libstdc++, musl),
  // `node-gyp-build` at install tries to load it (node-gyp-build-test) and builds from
  // source instead, so require() never meets the broken binary. The prebuild is replaced by
  // one that cannot load, as a too-old glibc would make it.
  describe('installed where the prebuild cannot load', function () {
    let project: string;

    before(function () {
      this.timeout(600_000);
      const unpacked = path.join(tmp, 'unloadable');
      fs.mkdirSync(unpacked);
      execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);
      fs.writeFileSync(path.join(unpacked, 'package', shippedName), '\x7fELF but not a loadable object');
      const broken = path.join(tmp, 'corepool-unloadable-prebuild.tgz');
      execFileSync('tar', ['-czf', broken, '-C', unpacked, 'package']);
      project = path.join(tmp, 'fallback-project');
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'corepool-fallback', version: '1.0.0', private: true }));
      check(
        spawnSync(npmCli, ['install', broken, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, env: cleanEnv(), encoding: 'utf8' }),
        'npm install <tarball with an unloadable prebuild>',
      );
    });

    it('built the addon from source and loads that build', function () {
      const installed = path.join(project, 'node_modules', 'corepool');
      assert.ok(fs.existsSync(path.join(installed, 'build', 'Release', 'corepool.node')), 'no source build in node_modules/corepool/build');
      const script = `
        const { NativePool, kernels } = require('corepool');
        console.log(require('node-gyp-build').resolve(require('path').dirname(require.resolve('corepool/package.json'))));
        const pool = new NativePool({ maxWorkers: 2 });
        pool.submit(kernels.countPrimes, [0, 1000]).then((v) => { console.log(v); return pool.shutdown(); });
      `;
      const [loaded, count] = check(spawnSync('node', ['-e', script], { cwd: project, env: cleanEnv(), encoding: 'utf8' }), 'run').trim().split('\n');
      assert.match(loaded ?? '', /[\\/]build[\\/]Release[\\/]corepool\.node$/);
      assert.equal(count, '168');
    });
  });
});
