/**
 * The leader's placement pass: up to `batch` waiting intents (the /berth/pending/ copies,
 * first by name, then placed oldest first) each get a member, or the reason none fits, all written in ONE txn — one Raft
 * commit per pass however many it placed. Instance counts per member come from a full scan
 * at most every `recountMs` plus what this placer placed since, so a burst spreads and a pass
 * costs what waits, not what exists.
 */
import { instancesPerMember } from '../cluster/cluster-store';
import type { ClusterStore, InstanceIntent } from '../cluster/cluster-store';
import { chooseMember, place } from './placement';
import type { Candidate } from './placement';

export interface PlacerOptions {
  /** Intents per pass (and per txn). */
  batch?: number;
  /** How old the instance counts may get before a full scan. */
  recountMs?: number;
}

export class Placer {
  private counts: Map<string, number> | undefined;
  private countedAt = 0;
  private readonly batch: number;
  private readonly recountMs: number;

  constructor(private readonly store: ClusterStore, opts: PlacerOptions = {}) {
    this.batch = opts.batch ?? 1000;
    this.recountMs = opts.recountMs ?? 5000;
  }

  /** Forget the counts (a new leader, or a failed pass): the next pass scans again. */
  reset(): void {
    this.counts = undefined;
    this.membersSeen = undefined;
  }

  private membersSeen: { at: number; members: Awaited<ReturnType<ClusterStore['members']>>; live: Awaited<ReturnType<ClusterStore['live']>> } | undefined;

  /** The members as placement sees them: online from liveness (read at most every second), counts as described above. */
  async candidates(): Promise<Candidate[]> {
    if (!this.membersSeen || Date.now() - this.membersSeen.at > 1000) {
      const [members, live] = await Promise.all([this.store.members(), this.store.live()]);
      this.membersSeen = { at: Date.now(), members, live };
    }
    const { members, live } = this.membersSeen;
    if (!this.counts || Date.now() - this.countedAt > this.recountMs) {
      this.counts = instancesPerMember(await this.store.instances());
      this.countedAt = Date.now();
    }
    const counts = this.counts;
    return members.map((m) => {
      const l = live.get(m.name);
      return { name: m.name, online: !!l, instances: counts.get(m.name) ?? 0, criu: l?.criu ?? false };
    });
  }

  /** Places what waits; returns how many intents it placed (0 when another writer raced it). */
  async runOnce(): Promise<number> {
    const waiting = (await this.store.pending(this.batch)).filter((w) => !w.value.deleting);
    if (waiting.length === 0) return 0;
    const candidates = (await this.candidates()).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const byName = new Map(candidates.map((c) => [c.name, c]));
    const updates: Array<{ value: InstanceIntent; modRevision: number }> = [];
    let placed = 0;
    for (const w of waiting) {
      const req = { instance: w.value.name, target: w.value.target, stateful: w.value.config['migration.stateful'] === 'true' };
      const chosen = chooseMember(req, candidates);
      if (chosen) {
        byName.get(chosen)!.instances++;
        placed++;
        updates.push({ value: { ...w.value, location: chosen, placementError: undefined }, modRevision: w.modRevision });
        continue;
      }
      const why = place(req, candidates).why;
      if (why !== w.value.placementError) updates.push({ value: { ...w.value, placementError: why }, modRevision: w.modRevision });
    }
    if (!(await this.store.updateInstances(updates))) {
      this.reset();
      return 0;
    }
    for (const c of candidates) this.counts?.set(c.name, c.instances);
    return placed;
  }
}
