/**
 * A set of pair ids (non-negative integers below 2^53) by open addressing in a
 * Float64Array: no limit but memory, where a JavaScript Set stops at 2^24
 * entries (a million council records give tens of millions of candidate
 * pairs), and about 16 bytes an entry instead of a Set's 40 or so.
 */
export class PairIdSet {
  private table = new Float64Array(1 << 16).fill(-1);
  private size = 0;

  /** Adds an id; false when it was there already. */
  add(id: number): boolean {
    if (this.size * 2 >= this.table.length) this.grow();
    const mask = this.table.length - 1;
    for (let at = PairIdSet.hash(id) & mask; ; at = (at + 1) & mask) {
      const v = this.table[at]!;
      if (v === id) return false;
      if (v === -1) {
        this.table[at] = id;
        this.size++;
        return true;
      }
    }
  }

  private static hash(id: number): number {
    const lo = id >>> 0;
    const hi = Math.floor(id / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(-1);
    this.size = 0;
    for (const v of old) if (v !== -1) this.add(v);
  }
}
