// The one bounded in-process cache of the protocol faces (lru-cache): served documents keyed so
// that a key's value never changes (a package row and its document revision), bounded by bytes,
// with no single value allowed to flush the rest. Every read still asks the database which
// revision is current, so a replica never serves a stale document from here.
import { LRUCache } from 'lru-cache';

export function byteCache<V extends {}>(maxBytes: number, sizeOf: (v: V) => number): LRUCache<string, V> {
  return new LRUCache<string, V>({
    maxSize: maxBytes,
    maxEntrySize: Math.floor(maxBytes / 4),
    sizeCalculation: (v) => Math.max(1, sizeOf(v)),
  });
}
