// A short-lived cache for the lookups every request makes (domain, repository, resource
// policies, upstream search order). Writes through this process bump a generation, so they are
// seen at once here; another replica's writes are seen within the TTL, as with AWS's own
// eventually consistent policy and upstream changes.
export class LookupCache {
  private readonly entries = new Map<string, { at: number; gen: number; value: Promise<unknown> }>();
  private generation = 0;

  constructor(private readonly ttlMs: number) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.gen === this.generation && now - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const gen = this.generation;
    const value = load();
    // A failed load is not remembered.
    value.catch(() => this.entries.delete(key));
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(key, { at: now, gen, value });
    return value;
  }

  /** Forget everything: called after every write that could change a cached answer. */
  invalidate(): void {
    this.generation++;
  }
}
