/**
 * Membership (thesis §4.1, single-server changes). A configuration takes effect on a member as
 * soon as its conf-change entry is APPENDED to that member's log, committed or not; if the entry
 * is later truncated away, the member reverts to the previous configuration. The leader appends
 * a new change only once the previous one is committed (and once an entry of its own term is
 * committed, which closes the single-server-change bug Ongaro described on raft-dev in 2015).
 *
 * ConfigHistory holds the configuration at the snapshot index (`base`) and every conf-change
 * entry above it, so the configuration in effect at any index >= base can be answered (needed
 * for snapshots) and truncation can roll back.
 */
import type { ConfChange, ConfState, Entry } from './messages';

export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set(cs.voters);
  const learners = new Set(cs.learners);
  switch (cc.type) {
    case 'add-voter':
    case 'promote-learner':
      learners.delete(cc.nodeId);
      voters.add(cc.nodeId);
      break;
    case 'add-learner':
      if (!voters.has(cc.nodeId)) learners.add(cc.nodeId);
      break;
    case 'remove':
      voters.delete(cc.nodeId);
      learners.delete(cc.nodeId);
      break;
  }
  const sort = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { voters: sort(voters), learners: sort(learners) };
}

export function confStatesEqual(a: ConfState, b: ConfState): boolean {
  return a.voters.join(',') === b.voters.join(',') && a.learners.join(',') === b.learners.join(',');
}

export class ConfigHistory {
  private changes: { index: number; conf: ConfState }[] = [];

  constructor(
    private baseIndex: number,
    private base: ConfState,
  ) {}

  current(): ConfState {
    return this.changes[this.changes.length - 1]?.conf ?? this.base;
  }

  /** The configuration in effect at `index` (index must be >= the snapshot index). */
  at(index: number): ConfState {
    let conf = this.base;
    for (const c of this.changes) {
      if (c.index > index) break;
      conf = c.conf;
    }
    return conf;
  }

  /** Index of the newest conf-change entry in the log (0 if none above the snapshot). */
  lastChangeIndex(): number {
    return this.changes[this.changes.length - 1]?.index ?? 0;
  }

  /** Entries from `index` on are being replaced: forget their config changes. Returns whether any was dropped. */
  truncateFrom(index: number): boolean {
    const before = this.changes.length;
    while (this.changes.length > 0 && this.changes[this.changes.length - 1]!.index >= index) this.changes.pop();
    return this.changes.length !== before;
  }

  /** Records the config-change entries among `ents` (appended in order). Returns whether any was found. */
  record(ents: readonly Entry[]): boolean {
    let found = false;
    for (const e of ents) {
      if (e.type === 'conf-change' && e.confChange) {
        this.changes.push({ index: e.index, conf: applyConfChange(this.current(), e.confChange) });
        found = true;
      }
    }
    return found;
  }

  /** A snapshot replaced the log. */
  reset(baseIndex: number, base: ConfState): void {
    this.baseIndex = baseIndex;
    this.base = base;
    this.changes = [];
  }

  snapshotIndex(): number {
    return this.baseIndex;
  }
}
