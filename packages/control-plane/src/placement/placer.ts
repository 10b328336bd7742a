/**
 * The leader's placement pass: every unplaced instance intent gets a member (or the reason
 * none fits), all written in one txn — one Raft commit per pass however many it placed.
 * Counts include what the same pass placed, so a burst of launches spreads.
 */
import type { ClusterStore } from '../cluster/cluster-store';
import { place } from './placement';
import type { Candidate } from './placement';

export class Placer {
  constructor(private readonly store: ClusterStore) {}

  /** The members as placement sees them: online from liveness, instance counts from intents. */
  async candidates(): Promise<Candidate[]> {
    const [members, live, intents] = await Promise.all([this.store.members(), this.store.live(), this.store.instances()]);
    const counts = new Map<string, number>();
    for (const { value } of intents) if (value.location) counts.set(value.location, (counts.get(value.location) ?? 0) + 1);
    return members.map((m) => {
      const l = live.get(m.name);
      return { name: m.name, online: !!l, instances: counts.get(m.name) ?? 0, criu: l?.criu ?? false };
    });
  }

  /** Places what waits; returns how many intents it wrote (0 when another writer raced it). */
  async runOnce(): Promise<number> {
    const intents = await this.store.instances();
    const waiting = intents.filter((i) => !i.value.location && !i.value.deleting).sort((a, b) => a.modRevision - b.modRevision);
    if (waiting.length === 0) return 0;
    const candidates = await this.candidates();
    const updates = waiting.map((w) => {
      const stateful = w.value.config['migration.stateful'] === 'true';
      const p = place({ instance: w.value.name, target: w.value.target, stateful }, candidates);
      const c = p.chosen ? candidates.find((x) => x.name === p.chosen) : undefined;
      if (c) c.instances++;
      const next = { ...w.value, location: p.chosen, placementError: p.chosen ? undefined : p.why };
      return { value: next, modRevision: w.modRevision };
    }).filter((u, i) => u.value.location !== waiting[i]!.value.location || u.value.placementError !== waiting[i]!.value.placementError);
    return (await this.store.updateInstances(updates)) ? updates.length : 0;
  }
}
