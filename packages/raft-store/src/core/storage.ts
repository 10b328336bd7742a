/**
 * LogStorage: the port through which the core READS the stable log. The core never writes it:
 * the caller writes (Ready.entries / hardState / snapshot) and then calls advance().
 *
 * Terms: the log holds entries (firstIndex-1, lastIndex]. Index firstIndex-1 is the "dummy"
 * position of the last snapshot (or 0 for a fresh log): its term is known but its entry is not.
 *
 * Contract (same as etcd's raft.Storage):
 *  - initialState(): the last persisted HardState and the ConfState of the latest snapshot.
 *  - entries(lo, hi, maxSize): entries [lo, hi), truncated to at most maxSize bytes by
 *    entrySize() but ALWAYS at least one entry if lo < hi. Throws CompactedError if
 *    lo <= firstIndex-1, UnavailableError if hi > lastIndex+1.
 *  - term(i): term of entry i for i in [firstIndex-1, lastIndex]. Throws CompactedError below,
 *    UnavailableError above.
 *  - firstIndex(): index of the first available entry (snapshot index + 1).
 *  - lastIndex(): index of the last entry (snapshot index if the log is empty).
 *  - snapshot(): the most recent snapshot (index 0 if none was ever taken).
 * All methods are synchronous: implementations keep an in-memory index of what is on disk.
 */
import type { ConfState, Entry, HardState, Snapshot } from './messages';

export interface LogStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  entries(lo: number, hi: number, maxSize: number): Entry[];
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}
