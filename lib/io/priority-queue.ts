// A queue ordered by priority (higher first), first-in first-out within a priority.
// Nearly every workload uses one priority, so the buckets are plain arrays with a head
// index (O(1) push and shift) rather than a heap; distinct priorities are few and kept
// sorted. Removal is lazy: the owner marks an entry dead and `shift` skips it, which
// keeps cancel O(1) even in a cancel storm.

export interface Queued {
  readonly priority: number;
}

class Bucket<T> {
  items: (T | undefined)[] = [];
  head = 0;
  constructor(readonly priority: number) {}
}

export class PriorityQueue<T extends Queued> {
  private buckets: Bucket<T>[] = []; // sorted by priority, highest first
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
    const buckets = this.buckets;
    while (buckets.length > 0) {
      const bucket = buckets[0]!;
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
      buckets.shift();
      if (this.last === bucket) this.last = undefined;
    }
    return undefined;
  }

  /** Drops every entry. */
  clear(): void {
    this.buckets = [];
    this.last = undefined;
  }

  private bucketFor(priority: number): Bucket<T> {
    const buckets = this.buckets;
    let i = 0;
    while (i < buckets.length && buckets[i]!.priority > priority) i++;
    if (i < buckets.length && buckets[i]!.priority === priority) return buckets[i]!;
    const bucket = new Bucket<T>(priority);
    buckets.splice(i, 0, bucket);
    return bucket;
  }
}
