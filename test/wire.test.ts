// The wire format between lib/native and the addon is defined once per side and compared
// at load: an addon from other sources must fail to load by name, never misread records.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';

import { kernels, NativePool } from '../lib/index';
import { checkWire } from '../lib/native/wire';

describe('wire format', () => {
  it('the loaded addon matches the JS side (the library loaded and runs)', async () => {
    await using pool = new NativePool({ maxWorkers: 1 });
    assert.equal(await pool.submit(kernels.countPrimes, [0, 100]), 25);
  });

  it('a drifted constant is a load error naming it', () => {
    // The real addon's own constants, one changed: exactly what a stale build would give.
    const raw = execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require('node-gyp-build')(${JSON.stringify(process.cwd())}).wire))`]);
    const wire = JSON.parse(raw.toString()) as Record<string, number>;
    assert.doesNotThrow(() => checkWire(wire));
    assert.throws(() => checkWire({ ...wire, submitHeader: 6 }), /wire format \(submitHeader: JS 5, addon 6\); rebuild it/);
    assert.throws(() => checkWire({ ...wire, statusOk: 7 }), /statusOk: JS 2, addon 7/);
    assert.throws(() => checkWire(undefined), /submitHeader: JS 5, addon undefined/);
  });
});
