/**
 * RaftLog: the core's view of the log = stable part (LogStorage, written by the caller) followed
 * by the unstable part (entries and/or a snapshot not yet handed to / persisted by the caller).
 *
 * Indexes: snapshotIndex = firstIndex()-1 <= applied <= committed <= lastIndex().
 */
import { CompactedError, RaftInvariantError, UnavailableError } from './errors';
import type { Entry, Snapshot } from './messages';
import { entrySize } from './messages';
import type { LogStorage } from './storage';

/** Entries (and possibly a snapshot) that the caller has not persisted yet. */
class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];
  /** Index of entries[0]. */
  constructor(public offset: number) {}

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot ? this.snapshot.metadata.index : undefined;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && this.snapshot.metadata.index === i ? this.snapshot.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** The caller persisted entries up to (i, t): drop them, unless they were replaced meanwhile. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (after <= this.offset) {
      // Replaces everything unstable; the stable suffix from `after` is overwritten by the caller.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

export class RaftLog {
  private readonly unstable: Unstable;
  /** Highest index known to be committed (stored on a quorum). */
  committed: number;
  /** Highest index handed to the caller for applying AND acknowledged via advance(). */
  applied: number;

  constructor(
    private readonly storage: LogStorage,
    /** Upper bound on the bytes of committed entries per Ready (at least one entry). */
    private readonly maxApplyBytes: number,
  ) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new RaftInvariantError('term of last index unavailable');
    return t;
  }

  /** Term of entry i, or undefined if i is compacted away or beyond the last index. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * First index in `ents` whose term differs from ours (or that we lack); 0 if all match. Used by
   * followers: entries that match are kept, so a stale or duplicated MsgApp never truncates.
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`, with that term (0 when
   * the answer lies in the compacted prefix). Every index above it cannot match a log whose entry
   * at `index` has term `term`.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    let i = Math.min(index, this.lastIndex());
    for (;;) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
      i--;
    }
  }

  /** Appends (truncating a conflicting unstable/stable suffix). Never truncates committed entries. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(`append after ${after} would truncate committed ${this.committed}`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  commitTo(i: number): void {
    if (i <= this.committed) return;
    if (i > this.lastIndex()) throw new RaftInvariantError(`commit ${i} beyond last index ${this.lastIndex()}`);
    this.committed = i;
  }

  /** §5.4.2: commit `index` only if its entry is from the leader's current `term`. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new RaftInvariantError(`applied ${i} outside [${this.applied}, ${this.committed}]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  unstableEntries(): Entry[] {
    return [...this.unstable.entries];
  }

  /** The last index the caller has persisted (advance()d): everything before the unstable part. */
  stableLastIndex(): number {
    return this.unstable.offset - 1;
  }

  unstableSnapshot(): Snapshot | undefined {
    return this.unstable.snapshot;
  }

  hasNextCommittedEnts(): boolean {
    if (this.unstable.snapshot) return false; // install the snapshot first
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  nextCommittedEnts(): Entry[] {
    if (!this.hasNextCommittedEnts()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, this.maxApplyBytes);
  }

  /** The latest snapshot: an unstable one received from the leader, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Entries [lo, lastIndex] limited to maxSize bytes (at least one entry). [] if lo > last. */
  entries(lo: number, maxSize: number): Entry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxSize);
  }

  /** Installs a snapshot received from the leader: the whole log is replaced by it. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries [lo, hi) limited to maxSize bytes (at least one entry). lo must be >= firstIndex. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    if (lo < this.firstIndex() || hi > this.lastIndex() + 1 || lo > hi) {
      throw new RaftInvariantError(`slice [${lo}, ${hi}) out of bounds [${this.firstIndex()}, ${this.lastIndex() + 1})`);
    }
    if (lo === hi) return [];
    let out: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      out = this.storage.entries(lo, Math.min(hi, uoff), maxSize);
      // Storage stopped early because of the size limit: do not look at unstable entries.
      if (out.length < Math.min(hi, uoff) - lo) return out;
    }
    if (hi > uoff) {
      const u = this.unstable.slice(Math.max(lo, uoff), hi);
      out = out.length > 0 ? out.concat(u) : u;
    }
    return limitSize(out, maxSize);
  }
}

function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}
