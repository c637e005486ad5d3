// The one bounded in-process cache (lru-cache), bounded by bytes, with no single value allowed to
// flush the rest. Its users key it so that a replica never serves what it must not: served
// documents by the revision the database says is current (formats), upstream documents only while
// their TTL lasts (core/upstreams.ts).
import { LRUCache } from 'lru-cache';

export function byteCache<V extends {}>(maxBytes: number, sizeOf: (v: V) => number): LRUCache<string, V> {
  return new LRUCache<string, V>({
    maxSize: maxBytes,
    maxEntrySize: Math.floor(maxBytes / 4),
    sizeCalculation: (v) => Math.max(1, sizeOf(v)),
  });
}
