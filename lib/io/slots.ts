// IoPool's slots and the lending rule, in one place. A running task holds one of the
// pool's `capacity` slots or borrows its parent's: a parent with queued children is taken
// to be waiting for them, so when every slot is taken one child at a time may run on the
// parent's slot, and parents holding every slot cannot deadlock.
import type { PriorityQueue } from './priority-queue';
import { isQueued, RUNNING, TaskRecord } from './task-record';

export class SlotLedger {
  /** Slots of the pool's own in use (borrowed ones are not counted: they were lent). */
  used = 0;
  // Running parents with queued children and no slot lent out yet.
  readonly #lenders = new Set<TaskRecord>();

  constructor(readonly capacity: number) {}

  get full(): boolean {
    return this.used >= this.capacity;
  }

  /** The next task to start and its slot: the queue's head on a free slot of the pool's
   * own, else a queued child on its waiting parent's slot; undefined if neither. */
  take(queue: PriorityQueue<TaskRecord>): TaskRecord | undefined {
    if (this.used < this.capacity) {
      const rec = queue.shift(isQueued)!;
      this.used++;
      rec.holdsSlot = true;
      return rec;
    }
    return this.borrow();
  }

  /** `parent` now has a queued child: it may lend its slot. */
  offer(parent: TaskRecord): void {
    if (parent.lentTo === undefined) this.#lenders.add(parent);
  }

  /** `rec` ended: it can lend nothing any more. */
  forget(rec: TaskRecord): void {
    this.#lenders.delete(rec);
  }

  /** Gives back what `rec` holds. On success (`handOn`) a child running on its slot keeps it. */
  release(rec: TaskRecord, handOn: boolean): void {
    const borrower = rec.lentTo;
    if (borrower !== undefined) {
      rec.lentTo = undefined;
      if (handOn || borrower.state === RUNNING) {
        // The child on our slot keeps running: it takes the slot over (cancelled children
        // released it already, so this is the success path or a detached child).
        borrower.lender = rec.lender;
        borrower.holdsSlot = rec.holdsSlot;
        if (rec.lender !== undefined) rec.lender.lentTo = borrower;
        rec.lender = undefined;
        rec.holdsSlot = false;
        return;
      }
    }
    if (rec.holdsSlot) {
      rec.holdsSlot = false;
      this.used--;
    } else if (rec.lender !== undefined) {
      const lender = rec.lender;
      rec.lender = undefined;
      lender.lentTo = undefined;
      if (lender.state === RUNNING && lender.queuedChildren > 0) this.#lenders.add(lender);
    }
  }

  /** A queued child that may run on its waiting parent's slot, with the slot lent to it. */
  private borrow(): TaskRecord | undefined {
    for (const lender of this.#lenders) {
      this.#lenders.delete(lender);
      if (lender.state !== RUNNING || lender.lentTo !== undefined || lender.queuedChildren === 0) continue;
      const child = lender.childQueue!.shift(isQueued);
      if (child === undefined) continue;
      lender.lentTo = child;
      child.lender = lender;
      return child;
    }
    return undefined;
  }
}
