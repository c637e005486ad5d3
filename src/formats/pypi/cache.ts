// A bounded in-process cache of immutable values: project documents keyed by package row and
// serial (every rebuild bumps the serial, so a key's value never changes). Each read still asks
// the database for the current serials, so replicas never serve a stale page; the cache only
// spares moving the same bytes out of the database again.
export class ImmutableCache<V> {
  private readonly map = new Map<string, { value: V; cost: number }>();
  private total = 0;

  constructor(
    private readonly maxCost: number,
    private readonly costOf: (v: V) => number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key); // most recently used goes last
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V): void {
    const cost = this.costOf(value);
    if (cost > this.maxCost / 4) return; // never let one value flush everything
    const old = this.map.get(key);
    if (old) {
      this.total -= old.cost;
      this.map.delete(key);
    }
    this.map.set(key, { value, cost });
    this.total += cost;
    for (const [k, v] of this.map) {
      if (this.total <= this.maxCost) break;
      this.map.delete(k);
      this.total -= v.cost;
    }
  }

  async getOrLoad(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const v = await load();
    if (v !== null) this.set(key, v);
    return v;
  }
}
