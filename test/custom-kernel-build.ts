// Builds examples/custom-kernel as a user would (node-gyp against corepool's include
// directory), for the tests that load its kernels: custom-kernel and queue-pool.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { includeDir } from '../lib/index';

const root = path.resolve(__dirname, '..');
const example = path.join(root, 'examples', 'custom-kernel');
export const addonPath = path.join(example, 'build', 'Release', 'custom_kernel.node');

function mtime(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
}

// What `npm install corepool` would give the example: node_modules/corepool, here a link
// to this checkout, so that binding.gyp's require('corepool/include') resolves.
export function linkCorepool(): void {
  const modules = path.join(example, 'node_modules');
  const link = path.join(modules, 'corepool');
  fs.mkdirSync(modules, { recursive: true });
  if (fs.existsSync(path.join(link, 'package.json'))) return;
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(root, link, 'junction');
}

// Builds the example unless its binary is newer than its source and corepool.h.
export function buildExample(): void {
  const built = mtime(addonPath);
  const inputs = ['src/kernels.c', 'binding.gyp'].map((f) => mtime(path.join(example, f)));
  inputs.push(mtime(path.join(includeDir, 'corepool.h')));
  if (built > Math.max(...inputs)) return;
  const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '-j', '2'];
  // Use the running Node's own headers when it ships them (no download); otherwise
  // node-gyp fetches them as it did for corepool's own build.
  const prefix = path.resolve(process.execPath, '..', '..');
  if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  }
  execFileSync(process.execPath, args, { cwd: example, stdio: 'pipe', timeout: 280_000 });
}

