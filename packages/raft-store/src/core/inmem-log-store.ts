/**
 * InMemoryLogStore: a LogStorage kept in memory, for tests and the simulator. It is also the
 * reference for the write side every durable store must offer to the caller of the core:
 * setHardState, append, applySnapshot, createSnapshot, compact.
 *
 * In the simulator this object IS the node's disk: it survives a simulated crash, and only what
 * the node wrote here during the persist duty survives.
 */
import { dummyEntry, WindowedLogStorage } from './entry-window';
import { RaftInvariantError, SnapshotOutOfDateError, UnavailableError } from './errors';
import type { ConfState, Entry, HardState, Snapshot } from './messages';
import { EMPTY_CONF_STATE } from './messages';
import type { LogStorage } from './storage';

export class InMemoryLogStore extends WindowedLogStorage implements LogStorage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE }, data: new Uint8Array() };

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  // ---- write side (the caller's persist duty) ----

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /**
   * Appends entries, replacing any conflicting suffix from entries[0].index on. Entries at or below
   * the snapshot index are ignored (they are already covered by the snapshot).
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    let es = entries;
    if (es[es.length - 1]!.index < first) return;
    if (es[0]!.index < first) es = es.slice(first - es[0]!.index);
    const start = es[0]!.index;
    if (start > this.lastIndex() + 1) {
      throw new RaftInvariantError(`append at ${start} leaves a gap after last index ${this.lastIndex()}`);
    }
    this.win.ents.length = start - this.win.offset();
    for (const e of es) this.win.ents.push(e);
  }

  /** Replaces the whole log with `snap` (a snapshot received from the leader). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index < this.snap.metadata.index) {
      throw new SnapshotOutOfDateError(`snapshot ${snap.metadata.index} older than ${this.snap.metadata.index}`);
    }
    this.snap = snap;
    this.win.ents = [dummyEntry(snap.metadata.index, snap.metadata.term)];
  }

  /**
   * Records a snapshot the state machine took at `index` (<= applied). Does not drop entries: call
   * compact() for that (keeping some entries lets slow followers catch up without a snapshot).
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) {
      throw new SnapshotOutOfDateError(`snapshot at ${index} not newer than ${this.snap.metadata.index}`);
    }
    if (index > this.lastIndex()) throw new UnavailableError(`snapshot at ${index} beyond last index ${this.lastIndex()}`);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; entry compactIndex becomes the dummy position. */
  compact(compactIndex: number): void {
    if (compactIndex <= this.win.offset()) return;
    if (compactIndex > this.lastIndex()) throw new UnavailableError(`compact(${compactIndex}) beyond last index`);
    this.win.compactTo(compactIndex);
  }

  /**
   * Writes the initial configuration of a brand-new cluster as committed conf-change entries at
   * term 1, indexes 1..n (every founding member bootstraps identically). Members added later
   * start with an empty store and learn everything from the leader.
   */
  bootstrap(voters: readonly number[]): void {
    if (this.lastIndex() !== 0) throw new RaftInvariantError('bootstrap on a non-empty log');
    const ents: Entry[] = voters.map((id, i) => ({
      index: i + 1,
      term: 1,
      type: 'conf-change',
      data: new Uint8Array(),
      confChange: { type: 'add-voter', nodeId: id },
    }));
    this.append(ents);
    this.hardState = { term: 1, vote: 0, commit: ents.length };
  }
}
