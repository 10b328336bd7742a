/**
 * EntryWindow: the read side every LogStorage shares. It holds the entries after the last
 * snapshot, led by a dummy entry standing for the snapshot position (its index and term),
 * and answers term(), entries(), firstIndex() and lastIndex() per the LogStorage contract.
 * Stores own one and replace its contents as they persist, truncate and compact.
 */
import { CompactedError, RaftInvariantError, UnavailableError } from './errors';
import type { Entry } from './messages';
import { entrySize } from './messages';

export function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: 'normal', data: new Uint8Array() };
}

export class EntryWindow {
  /** ents[0] is the dummy for the snapshot position; real entries follow. */
  ents: Entry[] = [dummyEntry(0, 0)];

  offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new CompactedError(`term(${i}): compacted below ${off}`);
    if (i > this.lastIndex()) throw new UnavailableError(`term(${i}): beyond last index ${this.lastIndex()}`);
    const e = this.ents[i - off];
    if (e === undefined || e.index !== i) throw new RaftInvariantError(`term(${i}): the log window holds ${e ? `entry ${e.index}` : 'nothing'} there (offset ${off}, ${this.ents.length} slots)`);
    return e.term;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(`entries(${lo}): compacted up to ${off}`);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(`entries(..${hi}): last index ${this.lastIndex()}`);
    const out: Entry[] = [];
    let size = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - off]!;
      size += entrySize(e);
      if (out.length > 0 && size > maxSize) break;
      out.push(e);
    }
    return out;
  }

  /** Drops entries before `index`; entry `index` becomes the dummy. */
  compactTo(index: number): void {
    const off = this.offset();
    const d = this.ents[index - off]!;
    this.ents = [dummyEntry(d.index, d.term), ...this.ents.slice(index - off + 1)];
  }
}

/** The LogStorage read side over an EntryWindow: stores extend it and add their write side. */
export abstract class WindowedLogStorage {
  protected readonly win = new EntryWindow();

  firstIndex(): number {
    return this.win.firstIndex();
  }

  lastIndex(): number {
    return this.win.lastIndex();
  }

  term(i: number): number {
    return this.win.term(i);
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    return this.win.entries(lo, hi, maxSize);
  }
}
