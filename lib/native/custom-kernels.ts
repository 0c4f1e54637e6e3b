// loadKernels: turns the kernel table a user's addon exports (a corepool_kernel_table
// behind a Node-API External) into typed Kernel handles that any NativePool can run.
// The native side checks the table's magic, ABI version and every kernel's schema, so a
// wrong or stale addon is a TypeError here, never a crash on a pool thread.
import headerDir = require('../include');
import { types } from 'node:util';

import { binding, RawKernel } from './binding';
import { describe } from '../core/validate';
import { Kernel } from './kernel';

/** The C ABI version this corepool loads (COREPOOL_ABI_VERSION in corepool.h). */
export const abiVersion: number = binding.abiVersion;

/** The directory holding corepool.h, for a kernel addon's `include_dirs`.
 * Without loading corepool: `require('corepool/include')` is the same path. */
export const includeDir: string = headerDir;

/** Argument and result types per kernel name, for typed handles:
 * `loadKernels<{ collatzMax: [[lo: number, hi: number], number] }>(addon)`. */
export type KernelSignatures = Record<string, readonly [args: readonly unknown[], result: unknown]>;

/** The handles loadKernels returns, one per kernel of the table, by name. */
export type KernelHandles<S extends KernelSignatures> = {
  readonly [N in keyof S]: Kernel<S[N][0], S[N][1]>;
};

/** The property of an addon's exports loadKernels looks for. */
export const TABLE_EXPORT = 'corepoolKernels';

// Per thread (the native registry is per environment): first kernel id -> handles. The
// native side returns the same ids when a table is loaded again, so this maps a table
// to the handles made for it the first time.
const loaded = new Map<number, Readonly<Record<string, Kernel<readonly unknown[], unknown>>>>();

/**
 * Loads the kernels of a user addon built against corepool.h. `addonExports` is what
 * `require('./build/Release/my_addon.node')` returned, with the table as its
 * `corepoolKernels` property, or that External itself. Loading the same table again
 * returns the same handles. Throws TypeError if the value is not a corepool kernel table,
 * was built for another ABI version, or declares a malformed kernel.
 */
export function loadKernels<S extends KernelSignatures = KernelSignatures>(
  addonExports: unknown,
): KernelHandles<S> {
  const table = findTable(addonExports);
  const raw: RawKernel[] = binding.loadKernelTable(table);
  const first = raw[0]!.id;
  let handles = loaded.get(first);
  if (handles === undefined) {
    const byName: Record<string, Kernel<readonly unknown[], unknown>> = Object.create(null);
    for (const k of raw) byName[k.name] = new Kernel<readonly unknown[], unknown>(k);
    handles = Object.freeze(byName);
    loaded.set(first, handles);
  }
  return handles as KernelHandles<S>;
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
