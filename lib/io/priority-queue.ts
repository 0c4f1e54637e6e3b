// A queue ordered by priority (higher first), first-in first-out within a priority.
// Each priority has a bucket: a plain array with a head index (O(1) push and shift).
// The buckets sit in a binary max-heap by priority, found by a Map, so a push to a new
// priority and the end of a bucket cost O(log b) for b distinct priorities, never a scan
// (20k distinct priorities were quadratic with a sorted list). Nearly every workload uses
// one priority: the bucket of the last push and the heap's top answer it with no lookup.
// Removal is lazy: the owner marks an entry dead and `shift` skips it, which keeps cancel
// O(1) even in a cancel storm; each dead entry is dropped once, when its turn comes.

export interface Queued {
  readonly priority: number;
}

class Bucket<T> {
  items: (T | undefined)[] = [];
  head = 0;
  constructor(readonly priority: number) {}
}

export class PriorityQueue<T extends Queued> {
  // heap[0] has the highest priority; heap[i]'s children are heap[2i+1] and heap[2i+2].
  private readonly heap: Bucket<T>[] = [];
  // Every bucket in the heap, by priority (Map keys are SameValueZero: -0 is 0, as ===).
  private readonly byPriority = new Map<number, Bucket<T>>();
  private last: Bucket<T> | undefined; // the bucket of the last push: the common case

  push(item: T): void {
    let bucket = this.last;
    if (bucket === undefined || bucket.priority !== item.priority) {
      bucket = this.bucketFor(item.priority);
      this.last = bucket;
    }
    bucket.items.push(item);
  }

  /** Removes and returns the first item `alive` accepts; dead items met on the way are dropped. */
  shift(alive: (item: T) => boolean): T | undefined {
    const heap = this.heap;
    while (heap.length > 0) {
      const bucket = heap[0]!;
      const items = bucket.items;
      while (bucket.head < items.length) {
        const item = items[bucket.head]!;
        items[bucket.head++] = undefined;
        if (alive(item)) {
          if (bucket.head > 1024 && bucket.head * 2 > items.length) {
            items.splice(0, bucket.head);
            bucket.head = 0;
          }
          return item;
        }
      }
      // An empty bucket goes, so the next shift looks at the next priority at once.
      this.popTop();
      this.byPriority.delete(bucket.priority);
      if (this.last === bucket) this.last = undefined;
    }
    return undefined;
  }

  private bucketFor(priority: number): Bucket<T> {
    const found = this.byPriority.get(priority);
    if (found !== undefined) return found;
    const bucket = new Bucket<T>(priority);
    this.byPriority.set(priority, bucket);
    // Sift up: move parents of lower priority down until the new bucket's place is found.
    const heap = this.heap;
    let i = heap.length;
    heap.push(bucket);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.priority >= priority) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = bucket;
    return bucket;
  }

  /** Removes heap[0]: the last bucket takes its place and sifts down. */
  private popTop(): void {
    const heap = this.heap;
    const moved = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right]!.priority > heap[left]!.priority ? right : left;
      if (heap[child]!.priority <= moved.priority) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = moved;
  }
}
