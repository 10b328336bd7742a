/**
 * Safety invariants of Raft (Figure 3 of the paper), checked by the simulator after every step
 * and on every persist/apply. The first violation throws SafetyViolation.
 */
import type { Entry, NodeId, Snapshot } from '../core/messages';
import type { RawNode } from '../core/raw-node';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

const digestCache = new WeakMap<Entry, number>();

/** A ~53-bit digest of an entry's content (term excluded). */
export function entryDigest(e: Entry): number {
  const cached = digestCache.get(e);
  if (cached !== undefined) return cached;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const feed = (b: number): void => {
    h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ b, 0x5bd1e995) >>> 0;
  };
  for (let i = 0; i < e.data.length; i++) feed(e.data[i]!);
  const extra = `${e.type}|${e.confChange?.type ?? ''}|${e.confChange?.nodeId ?? ''}|${e.clientId ?? ''}|${e.seq ?? ''}`;
  for (let i = 0; i < extra.length; i++) feed(extra.charCodeAt(i) & 0xff);
  const d = (h1 & 0x1fffff) * 4294967296 + h2;
  digestCache.set(e, d);
  return d;
}

function chainHash(prev: number, term: number, digest: number): number {
  let a = (prev % 4294967296) >>> 0;
  let b = Math.floor(prev / 4294967296) >>> 0;
  for (const x of [term >>> 0, digest >>> 0, Math.floor(digest / 4294967296) >>> 0]) {
    a = Math.imul(a ^ x, 0x9e3779b1) >>> 0;
    a = (a ^ (a >>> 15)) >>> 0;
    b = Math.imul(b ^ x ^ a, 0x85ebca77) >>> 0;
    b = (b ^ (b >>> 13)) >>> 0;
  }
  return (b & 0x1fffff) * 4294967296 + a;
}

interface CommitRecord {
  readonly entryTerm: number;
  /** Term of the first member observed committing it (an upper bound of the committing term). */
  readonly commitTerm: number;
}

export class SafetyChecker {
  /** Election safety, over the whole run. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Log matching: (index, term) -> hash of the whole log prefix up to that entry. */
  private readonly prefixHash = new Map<string, number>();
  /** Per member: prefix hash by index of its persisted log. */
  private readonly chains = new Map<NodeId, number[]>();
  /** Committed index -> what was committed there. */
  private readonly committed: CommitRecord[] = [];
  private maxCommitted = 0;
  private readonly lastSeenCommit = new Map<NodeId, number>();
  /** State machine safety: index -> term:digest of the entry applied there. */
  private readonly applied: string[] = [];
  /** Index -> state digest of snapshots taken there. */
  private readonly snapshotDigest = new Map<number, string>();
  private readonly leaderChecked = new Set<string>();
  appliedEntries: Entry[] = [];

  /** Log matching, checked on what a member persisted. */
  onPersistEntries(id: NodeId, ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    let chain = this.chains.get(id);
    if (!chain) this.chains.set(id, (chain = [0]));
    const first = ents[0]!.index;
    const prev = chain[first - 1];
    if (prev === undefined) throw new SafetyViolation('log-matching', `member ${id} appended at ${first} without a known predecessor`);
    chain.length = first;
    let h = prev;
    for (const e of ents) {
      h = chainHash(h, e.term, entryDigest(e));
      chain[e.index] = h;
      const key = `${e.index}:${e.term}`;
      const seen = this.prefixHash.get(key);
      if (seen === undefined) this.prefixHash.set(key, h);
      else if (seen !== h) {
        throw new SafetyViolation('log-matching', `member ${id}: entry (${e.index}, term ${e.term}) has a different log prefix than another member's`);
      }
    }
  }

  onPersistSnapshot(id: NodeId, s: Snapshot): void {
    const { index, term } = s.metadata;
    const h = this.prefixHash.get(`${index}:${term}`);
    if (h === undefined) throw new SafetyViolation('log-matching', `member ${id} got a snapshot at (${index}, ${term}) no member ever logged`);
    const chain: number[] = [];
    chain[index] = h;
    this.chains.set(id, chain);
  }

  onSnapshotTaken(index: number, digest: string): void {
    const d = this.snapshotDigest.get(index);
    if (d === undefined) this.snapshotDigest.set(index, digest);
    else if (d !== digest) throw new SafetyViolation('state-machine-safety', `two snapshots at ${index} differ`);
  }

  onSnapshotInstalled(id: NodeId, index: number, digest: string): void {
    const d = this.snapshotDigest.get(index);
    if (d !== undefined && d !== digest) throw new SafetyViolation('state-machine-safety', `member ${id} installed a snapshot at ${index} that differs`);
  }

  /** State machine safety: no two members apply different entries at one index. */
  onApply(id: NodeId, e: Entry): void {
    const key = `${e.term}:${entryDigest(e)}`;
    const seen = this.applied[e.index];
    if (seen === undefined) {
      this.applied[e.index] = key;
      this.appliedEntries[e.index] = e;
    } else if (seen !== key) {
      throw new SafetyViolation('state-machine-safety', `member ${id} applied ${key} at ${e.index}, another member applied ${seen}`);
    }
    const c = this.committed[e.index];
    if (c === undefined && e.index > this.maxCommitted) {
      throw new SafetyViolation('state-machine-safety', `member ${id} applied ${e.index} which no member has seen committed`);
    }
  }

  /** Commit stability: an index, once committed on any member, never holds another entry. */
  observeCommits(id: NodeId, raw: RawNode): void {
    const r = raw.raft;
    const prevCommit = this.lastSeenCommit.get(id) ?? 0;
    const commit = r.log.committed;
    if (commit > prevCommit) {
      // Indexes below the first index were compacted or replaced by a snapshot: checked by whoever logged them.
      for (let i = Math.max(prevCommit + 1, r.log.firstIndex()); i <= commit; i++) {
        const t = r.log.term(i);
        if (t === undefined) continue;
        const rec = this.committed[i];
        if (rec === undefined) this.committed[i] = { entryTerm: t, commitTerm: r.term };
        else if (rec.entryTerm !== t) {
          throw new SafetyViolation('commit-stability', `member ${id} committed term ${t} at ${i}, earlier term ${rec.entryTerm} was committed there`);
        }
      }
      if (commit > this.maxCommitted) this.maxCommitted = commit;
    }
    this.lastSeenCommit.set(id, commit);
  }

  /** Election safety, commit stability and leader completeness, after every step. */
  afterStep(nodes: readonly { id: NodeId; raw: RawNode | undefined }[]): void {
    for (const n of nodes) {
      const raw = n.raw;
      if (!raw) continue;
      const r = raw.raft;
      this.observeCommits(n.id, raw);
      if (r.role !== 'leader') continue;
      const other = this.leaderOfTerm.get(r.term);
      if (other === undefined) this.leaderOfTerm.set(r.term, n.id);
      else if (other !== n.id) throw new SafetyViolation('election-safety', `members ${other} and ${n.id} both led term ${r.term}`);
      // Leader completeness: every entry committed in an earlier term is in the new leader's log.
      const key = `${r.term}`;
      if (this.leaderChecked.has(key)) continue;
      this.leaderChecked.add(key);
      const first = r.log.firstIndex();
      for (let i = first; i <= this.maxCommitted; i++) {
        const rec = this.committed[i];
        if (rec === undefined || rec.commitTerm >= r.term) continue;
        const t = r.log.term(i);
        if (t !== rec.entryTerm) {
          throw new SafetyViolation(
            'leader-completeness',
            `leader ${n.id} of term ${r.term} has term ${t} at ${i}, but term ${rec.entryTerm} was committed there in term ${rec.commitTerm}`,
          );
        }
      }
    }
  }

  /** Called when a member restarts from disk: its commit index is re-read. */
  onRestart(id: NodeId): void {
    this.lastSeenCommit.delete(id);
  }

  committedIndex(): number {
    return this.maxCommitted;
  }
}
