// The submissions of one tick: records in one Float64Array plus the objects they point
// to (typed arrays, strings, sizes), handed to the native side in one call. The record
// layout is wire.ts's SUBMIT_HEADER, then one number per argument (per item for a chunk).
import type { AnyKernel, SlotTable } from './slots';
import type { NumberArray } from './typed-items';
import { NO_DEADLINE_FROM_MS, SUBMIT_HEADER as HEADER } from './wire';

// A local constant: module imports are getters under some loaders, and this is per task.
const SUBMIT_HEADER = HEADER;

export class SubmitBatch {
  records = new Float64Array(1024);
  length = 0;
  objects: unknown[] = [];
  /** Tasks in the batch that will run (cancelled ones are skipped, not removed). */
  count = 0;
  /** Bumped at every hand-over: a slot whose `batch` differs from it was sent. */
  seq = 0;

  constructor(private readonly slots: SlotTable) {}

  /** Appends the record of slot `id`: one task (`single` args) or a chunk of `items`. */
  append(
    id: number,
    kernel: AnyKernel,
    single: readonly unknown[] | undefined,
    // A chunk: values (one-argument kernels) or argument arrays, or a typed slice of
    // numbers for a kernel of one number argument (checked: typed-items.ts).
    items: readonly unknown[] | NumberArray | undefined,
    timeout: number | undefined,
    runTimeout: number | undefined,
  ): void {
    this.slots.batch[id] = this.seq;
    this.slots.pos[id] = this.length;
    const count = items !== undefined ? items.length : 1;
    const need = SUBMIT_HEADER + count * kernel.arity;
    if (this.length + need > this.records.length) this.grow(need);
    const b = this.records;
    let p = this.length;
    b[p++] = id;
    b[p++] = kernel.id;
    b[p++] = count;
    b[p++] = timeout === undefined || timeout >= NO_DEADLINE_FROM_MS ? -1 : timeout;
    b[p++] = runTimeout === undefined || runTimeout >= NO_DEADLINE_FROM_MS ? -1 : runTimeout;
    if (items === undefined) p = this.writeArgs(kernel, single!, p);
    else if (!Array.isArray(items)) {
      // One copy of the whole slice, converted to doubles by the engine: no JS per item.
      b.set(items as NumberArray, p);
      p += items.length;
    } else if (kernel.arity === 1) for (let k = 0; k < items.length; k++) p = this.writeValue(kernel, (items as readonly unknown[])[k], p);
    else for (let k = 0; k < items.length; k++) p = this.writeArgs(kernel, (items as readonly unknown[])[k] as readonly unknown[], p);
    this.length = p;
    this.count++;
  }

  /** True once slot `id`'s task went to the native side. */
  sent(id: number): boolean {
    return this.slots.batch[id] !== this.seq;
  }

  /** Marks an unsent task's record skipped, so that no worker can ever start it. */
  skip(id: number): void {
    this.records[this.slots.pos[id]!] = -1 - id;
    this.count--;
  }

  /** Starts the next batch; the caller sends the one it read before (records, length, objects). */
  reset(): void {
    this.length = 0;
    this.count = 0;
    this.objects = [];
    this.seq = (this.seq + 1) >>> 0; // every task appended so far is now sent
  }

  /** Numbers and booleans go into the record; typed arrays, strings and sizes by index
   * into the batch's objects (the kernel's spec says which). */
  private writeArgs(kernel: AnyKernel, args: readonly unknown[], p: number): number {
    for (let i = 0; i < args.length; i++) p = this.writeValue(kernel, args[i], p, i);
    return p;
  }

  private writeValue(kernel: AnyKernel, v: unknown, p: number, index = 0): number {
    if (kernel.byObject[index]) {
      this.records[p] = this.objects.length;
      this.objects.push(v);
    } else if (typeof v === 'number') this.records[p] = v;
    else this.records[p] = v === true ? 1 : 0;
    return p + 1;
  }

  private grow(need: number): void {
    let size = this.records.length * 2;
    while (size < this.length + need) size *= 2;
    const bigger = new Float64Array(size);
    bigger.set(this.records.subarray(0, this.length));
    this.records = bigger;
  }
}
