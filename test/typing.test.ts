// The public types, checked by the compiler: each file of test/types must compile under
// `tsc --strict` (idioms.ts: the README's idioms with no cast; tight-types.ts: TaskGroup,
// map and loadKernels checked as submit is; `@ts-expect-error` lines pin what must stay an
// error), and a file with a known type error must not (the check can fail). What the
// published .d.ts hides is checked against the built package in api-surface.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const flags = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node10', '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--skipLibCheck'];

function compile(file: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [tsc, ...flags, file], { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('types', function () {
  this.timeout(60_000);

  it('the README idioms compile under strict TypeScript with no cast', () => {
    const r = compile(path.join(root, 'test', 'types', 'idioms.ts'));
    assert.equal(r.status, 0, r.output);
  });

  it('TaskGroup, map and loadKernels are typed as tightly as submit (test/types/tight-types.ts)', () => {
    const r = compile(path.join(root, 'test', 'types', 'tight-types.ts'));
    assert.equal(r.status, 0, r.output);
  });

  it('the check fails on a type error (await of a Future is its result, not a Future)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-types-'));
    const file = path.join(dir, 'wrong.ts');
    fs.writeFileSync(file, `import { kernels, NativePool } from ${JSON.stringify(path.join(root, 'lib', 'index'))};
export async function wrong(): Promise<void> {
  (await new NativePool().submit(kernels.isPrime, [7])).cancel();
}
`);
    try {
      const r = compile(file);
      assert.notEqual(r.status, 0);
      assert.match(r.output, /TS2339: Property 'cancel' does not exist on type 'boolean'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
