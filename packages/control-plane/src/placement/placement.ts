/**
 * Placement: which member runs an instance. Pure and deterministic (equal inputs, equal
 * answer), and explainable: every member gets a verdict, eligible or not and why, and a score.
 *
 * Filters, in order (the first that fails is the reason): the member is online; it is the
 * --target member (when one is asked for); it has the capabilities the instance needs (CRIU
 * for migration.stateful=true). Score: spread (default) prefers the member with the fewest
 * instances, pack the one with the most; ties go to the member name that sorts first.
 */
export interface Candidate {
  name: string;
  online: boolean;
  /** Instances on it, including those placed earlier in the same batch. */
  instances: number;
  criu: boolean;
}

export interface PlacementRequest {
  instance: string;
  /** A member name: place there or nowhere. */
  target?: string | undefined;
  stateful?: boolean | undefined;
  strategy?: 'spread' | 'pack' | undefined;
}

export interface Verdict {
  member: string;
  eligible: boolean;
  /** Why not (for an ineligible member), or how it scored. */
  reason: string;
  score: number;
}

export interface Placement {
  /** The chosen member; absent when none is eligible. */
  chosen?: string | undefined;
  verdicts: Verdict[];
  /** One line for an operation's error when nothing is eligible. */
  why?: string | undefined;
}

/**
 * The member place() would choose, without building its verdicts: what a placement pass
 * runs for each of thousands of intents over thousands of members. `sorted` must be sorted
 * by name. Undefined when none fits (call place() then, for the reasons).
 */
export function chooseMember(req: PlacementRequest, sorted: readonly Candidate[]): string | undefined {
  const pack = req.strategy === 'pack';
  let best: Candidate | undefined;
  for (const c of sorted) {
    if (!c.online || (req.target && req.target !== c.name) || (req.stateful && !c.criu)) continue;
    if (!best || (pack ? c.instances > best.instances : c.instances < best.instances)) best = c;
  }
  return best?.name;
}

export function place(req: PlacementRequest, candidates: readonly Candidate[]): Placement {
  const strategy = req.strategy ?? 'spread';
  const verdicts: Verdict[] = [...candidates].sort((a, b) => a.name.localeCompare(b.name)).map((c) => {
    if (!c.online) return { member: c.name, eligible: false, reason: 'offline', score: 0 };
    if (req.target && req.target !== c.name) return { member: c.name, eligible: false, reason: `not the target (${req.target})`, score: 0 };
    if (req.stateful && !c.criu) return { member: c.name, eligible: false, reason: 'no working CRIU (migration.stateful=true needs it)', score: 0 };
    const score = strategy === 'spread' ? -c.instances : c.instances;
    return { member: c.name, eligible: true, reason: `${strategy}: ${c.instances} instance(s)`, score };
  });
  let chosen: Verdict | undefined;
  for (const v of verdicts) if (v.eligible && (!chosen || v.score > chosen.score)) chosen = v;
  if (chosen) return { chosen: chosen.member, verdicts };
  if (req.target && !candidates.some((c) => c.name === req.target)) {
    return { verdicts, why: `no member named "${req.target}" (--target)` };
  }
  return { verdicts, why: `no member can take ${req.instance}: ${verdicts.map((v) => `${v.member}: ${v.reason}`).join('; ') || 'the cluster has no members'}` };
}
