// A Map split into a fixed number of smaller Maps by a hash of the key. A JavaScript Map that grows past a power of
// two copies all its entries into a new table at once: at 131,072 series that is one synchronous step of ~80 ms on
// this machine, and /ping waits for it. Split in 16, each table is a sixteenth of the size and they grow at
// different moments, so no single step is long. Same semantics as Map for the operations the series registry uses.
import { fnv1a } from '../fnv1a.js';

const SHARDS = 16;

function hash(key: string | number): number {
  if (typeof key === 'number') return key & (SHARDS - 1);
  // The last 16 characters: series keys and tag values differ mostly at their ends.
  return fnv1a(key, Math.max(0, key.length - 16)) & (SHARDS - 1);
}

export class ShardedMap<K extends string | number, V> {
  private readonly shards: Map<K, V>[] = Array.from({ length: SHARDS }, () => new Map<K, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return this.shards[hash(key)]!.get(key);
  }

  set(key: K, value: V): this {
    const shard = this.shards[hash(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: K): boolean {
    const gone = this.shards[hash(key)]!.delete(key);
    if (gone) this.count--;
    return gone;
  }

  /** Values shard by shard (not in insertion order). */
  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }
}
