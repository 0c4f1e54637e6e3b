// The table of a NativePool's tasks in flight, indexed by slot id: the id the native side
// knows a task by. Ids are reused through a free list, so the table is as large as the
// most tasks ever in flight at once, and a completion finds its Future by index.
import type { Future } from '../core/future';
import type { Kernel } from './kernel';

export type AnyKernel = Kernel<readonly unknown[], unknown>;

/** The shape of a slot's result. */
export const SINGLE = 0; // a plain task: one result
export const CHUNK = 1; // map's chunk of several items: results come back together
export const WRAP = 2; // map's chunk of one item: the native side returns it like a plain task's

export class SlotTable {
  readonly future: (Future<unknown> | undefined)[] = [];
  readonly kernel: (AnyKernel | undefined)[] = [];
  shape = new Uint8Array(1024);
  /** The sequence number of the batch each slot's task went out in (SubmitBatch.seq). */
  batch = new Uint32Array(1024);
  /** Where each unsent task's record starts in its batch, to skip it if cancelled. */
  pos = new Float64Array(1024);
  private readonly freeIds: number[] = [];

  /** Takes a free slot for `future` and sets the Future's key to it. */
  open(future: Future<unknown>, kernel: AnyKernel, shape: number): number {
    const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.future.length;
    future._key = id;
    this.future[id] = future;
    this.kernel[id] = kernel;
    if (id >= this.shape.length) this.grow();
    this.shape[id] = shape;
    return id;
  }

  /** Frees slot `id`; every way a task ends passes here exactly once. */
  free(id: number): void {
    this.future[id] = undefined;
    this.kernel[id] = undefined;
    this.freeIds.push(id);
  }

  /** Tasks submitted and not yet settled: every slot id handed out and not yet free. */
  get inflight(): number {
    return this.future.length - this.freeIds.length;
  }

  private grow(): void {
    const shape = new Uint8Array(this.shape.length * 2);
    shape.set(this.shape);
    this.shape = shape;
    const batch = new Uint32Array(this.batch.length * 2);
    batch.set(this.batch);
    this.batch = batch;
    const pos = new Float64Array(this.pos.length * 2);
    pos.set(this.pos);
    this.pos = pos;
  }
}
