// loadKernels: turns the kernel table a user's addon exports (a corepool_kernel_table
// behind a Node-API External) into typed Kernel handles that any NativePool can run.
// The native side checks the table's magic, ABI version and every kernel's schema, so a
// wrong or stale addon is a TypeError here, never a crash on a pool thread.
import headerDir = require('../include');
import { types } from 'node:util';

import { binding, RawKernel } from './binding';
import { describe } from '../core/validate';
import { Kernel, makeKernel } from './kernel';

/** The C ABI version this corepool loads (COREPOOL_ABI_VERSION in corepool.h). */
export const abiVersion: number = binding.abiVersion;

/** The directory holding corepool.h, for a kernel addon's `include_dirs`.
 * Without loading corepool: `require('corepool/include')` is the same path. */
export const includeDir: string = headerDir;

/** Argument and result types per kernel name, for typed handles:
 * `loadKernels<{ collatzMax: [[lo: number, hi: number], number] }>(addon, { collatzMax: 2 })`. */
export type KernelSignatures = Record<string, readonly [args: readonly unknown[], result: unknown]>;

/** The handles loadKernels returns, one per kernel of the table, by name. */
export type KernelHandles<S extends KernelSignatures> = {
  readonly [N in keyof S]: Kernel<S[N][0], S[N][1]>;
};

/**
 * What typed loadKernels checks against the table it loads: every declared kernel by
 * name, with its number of arguments. The compiler holds it to the signatures (a name
 * missing or extra, or a count that is not its tuple's length, is a type error); the
 * load holds the table to it.
 */
export type KernelArities<S extends KernelSignatures> = {
  readonly [N in keyof S]: S[N][0]['length'];
};

/** The property of an addon's exports loadKernels looks for. */
export const TABLE_EXPORT = 'corepoolKernels';

type AnyKernelHandles = Readonly<Record<string, Kernel<readonly unknown[], unknown>>>;

// Per thread (the native registry is per environment): first kernel id -> handles. The
// native side returns the same ids when a table is loaded again, so this maps a table
// to the handles made for it the first time.
const loaded = new Map<number, AnyKernelHandles>();

/**
 * Loads the kernels of a user addon built against corepool.h. `addonExports` is what
 * `require('./build/Release/my_addon.node')` returned, with the table as its
 * `corepoolKernels` property, or that External itself. Loading the same table again
 * returns the same handles. Throws TypeError if the value is not a corepool kernel table,
 * was built for another ABI version, or declares a malformed kernel.
 *
 * Typed, it takes the signatures as its type parameter and, since types are gone at run
 * time, each declared kernel's argument count as `expected`: a kernel the table lacks,
 * or one with another number of arguments, is a TypeError naming it here, at load.
 */
export function loadKernels(addonExports: unknown): KernelHandles<KernelSignatures>;
export function loadKernels<S extends KernelSignatures>(addonExports: unknown, expected: KernelArities<S>): KernelHandles<S>;
export function loadKernels(addonExports: unknown, expected?: unknown): AnyKernelHandles {
  const table = findTable(addonExports);
  if (expected !== undefined && (typeof expected !== 'object' || expected === null)) {
    throw new TypeError(`loadKernels: expected must be { kernelName: argumentCount, ... }, got ${describe(expected)}`);
  }
  const raw: RawKernel[] = binding.loadKernelTable(table);
  const first = raw[0]!.id;
  let handles = loaded.get(first);
  if (handles === undefined) {
    const byName: Record<string, Kernel<readonly unknown[], unknown>> = Object.create(null);
    for (const k of raw) byName[k.name] = makeKernel<readonly unknown[], unknown>(k);
    handles = Object.freeze(byName);
    loaded.set(first, handles);
  }
  if (expected !== undefined) checkExpected(handles, expected as Record<string, unknown>);
  return handles;
}

/** Holds the table to the declared names and argument counts; every mismatch in one error. */
function checkExpected(handles: AnyKernelHandles, expected: Record<string, unknown>): void {
  const problems: string[] = [];
  for (const name of Object.keys(expected)) {
    const arity = expected[name];
    if (typeof arity !== 'number' || !Number.isInteger(arity) || arity < 0) {
      throw new TypeError(`loadKernels: expected.${name} must be the kernel's argument count (an integer >= 0), got ${describe(arity)}`);
    }
    const kernel = handles[name];
    if (kernel === undefined) problems.push(`no kernel '${name}'`);
    else if (kernel.arity !== arity) problems.push(`kernel '${name}' takes ${kernel.arity} argument(s), not ${arity}`);
  }
  if (problems.length > 0) {
    throw new TypeError(
      `loadKernels: the addon's table does not match the declared kernels: ${problems.join('; ')} (the table has: ${Object.keys(handles).join(', ')})`,
    );
  }
}

function findTable(value: unknown): unknown {
  if (types.isExternal(value)) return value;
  if (typeof value === 'object' && value !== null && TABLE_EXPORT in value) {
    const inner = (value as Record<string, unknown>)[TABLE_EXPORT];
    if (types.isExternal(inner)) return inner;
    throw new TypeError(
      `loadKernels: addonExports.${TABLE_EXPORT} must be the External the addon made from its corepool_kernel_table, got ${describe(inner)}`,
    );
  }
  throw new TypeError(
    `loadKernels: expected an addon's exports with a '${TABLE_EXPORT}' External (or the External itself), got ${describe(value)}`,
  );
}
