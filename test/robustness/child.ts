// Runs a script in a fresh Node process (with tsx, so it can require lib/ from source) and
// reports how it ended: crash cases must never take the test runner down with them.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const LIB = path.join(__dirname, '..', '..', 'lib', 'index.ts');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `code` (CommonJS; `lib` is bound to corepool's public exports) and waits for it to end. */
export function runChild(code: string, timeoutMs = 30_000): ChildResult {
  const script = `const lib = require(${JSON.stringify(LIB)});\n${code}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    timeout: timeoutMs,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A readable account of how the child ended, for assertion messages. */
export function explain(r: ChildResult): string {
  return `exit ${r.status} signal ${r.signal}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-2000)}`;
}
