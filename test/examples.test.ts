// The examples as a user copies them: examples/crawl-and-hash.ts run unchanged as an ES
// module (a .mts copy, so Node loads it as ESM, with its import of the package pointed at
// this checkout) and as CommonJS (the repository's own .ts: this package is CommonJS).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

describe('examples copied as ESM and CommonJS', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-examples-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const ext of ['mts', 'ts']) {
    it(`crawl-and-hash.${ext} (${ext === 'mts' ? 'ESM' : 'CommonJS'}) runs to its summary and exits on its own`, function () {
      const source = fs.readFileSync(path.join(root, 'examples', 'crawl-and-hash.ts'), 'utf8');
      assert.match(source, /from '\.\.\/lib\/index'/);
      let file = path.join(root, 'examples', 'crawl-and-hash.ts');
      if (ext === 'mts') {
        file = path.join(tmp, 'crawl-and-hash.mts');
        fs.writeFileSync(file, source.replace("from '../lib/index'", `from ${JSON.stringify(path.join(root, 'lib', 'index.ts'))}`));
      }
      const r = spawnSync(process.execPath, ['--import', 'tsx', file, '12'], { encoding: 'utf8', timeout: 100_000 });
      assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^pages: 12 fetched/m);
      assert.match(r.stdout, /^sha256 verified: 12\/12;/m);
    });
  }
});
