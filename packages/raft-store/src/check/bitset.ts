// Bitsets over Uint32Array words for the "set of already linearized
// operations" in the search cache. Scales to any history length.
//
// Cache entries store compact snapshots: ops are numbered in call order, so
// a linearized set is (almost) always "every op up to some point, plus a
// few concurrent ones after it". A snapshot keeps only the count of leading
// all-ones words and the words after them, which makes storing one O(window)
// instead of O(history) and keeps thousands-of-ops histories out of the GC.

const FULL = 0xffffffff;

export interface BitsetSnapshot {
  /** Number of leading words that are all ones. */
  readonly lead: number;
  /** Words from `lead` up to the last non-zero word. */
  readonly tail: Uint32Array;
}

export class Bitset {
  private readonly words: Uint32Array;

  constructor(bits: number) {
    this.words = new Uint32Array(Math.ceil(bits / 32));
  }

  set(i: number): void {
    const w = i >>> 5;
    this.words[w] = (this.words[w] ?? 0) | (1 << (i & 31));
  }

  clear(i: number): void {
    const w = i >>> 5;
    this.words[w] = (this.words[w] ?? 0) & ~(1 << (i & 31));
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
  }

  /** Number of leading all-ones words. */
  lead(): number {
    const w = this.words;
    let i = 0;
    while (i < w.length && w[i] === FULL) i++;
    return i;
  }

  snapshot(lead = this.lead()): BitsetSnapshot {
    const w = this.words;
    let end = w.length;
    while (end > lead && w[end - 1] === 0) end--;
    return { lead, tail: w.slice(lead, end) };
  }

  /** True if every bit set in `snap` is set here. `lead` must be `this.lead()`. */
  includes(snap: BitsetSnapshot, lead: number): boolean {
    if (snap.lead > lead) return false;
    const w = this.words;
    const t = snap.tail;
    for (let j = 0; j < t.length; j++) {
      if (((t[j] as number) & ~(w[snap.lead + j] ?? 0)) !== 0) return false;
    }
    return true;
  }
}
