// The published package, as a user gets it: the tarball ships the prebuilt addon,
// both entries (CommonJS and ESM) and the sources for a fallback build, and it installs
// and runs on a machine with no compiler, loading the prebuild instead of building.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const npmCli = process.platform === 'win32' ? 'npm.cmd' : 'npm';

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

describe('packaging', function () {
  this.timeout(180_000);

  let tmp: string;
  let tarball: string;
  let entries: string[];

  before(function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-pack-'));
    if (prebuilds(root).length === 0) {
      execFileSync('npx', ['prebuildify', '--napi', '--strip'], { cwd: root, stdio: 'inherit', env: cleanEnv() });
    }
    // `npm pack` runs `prepare` (tsc + the ESM entry), so dist/ is fresh. Its scripts
    // write to stdout too, so the JSON is found from the last line that opens an array.
    const out = check(
      spawnSync(npmCli, ['pack', '--json', '--pack-destination', tmp], { cwd: root, encoding: 'utf8', env: cleanEnv() }),
      'npm pack',
    );
    const start = out.lastIndexOf('\n[') + 1;
    const info = JSON.parse(out.slice(start)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(tmp, info[0].filename);
    assert.ok(fs.existsSync(tarball), `no tarball at ${tarball}`);
    entries = info[0].files.map((f) => f.path);
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

  it('ships no build output, dependencies, tests or native test builds', function () {
    const stray = entries.filter((e) => /^(build|node_modules|test|native\/test|bench|\.ci|lib)\//.test(e) || e.endsWith('.tgz'));
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
  });
});
