/**
 * Placement: which member runs an instance. Pure and deterministic (equal inputs, equal
 * answer, whatever the order of the candidates), and explainable: every member gets a
 * verdict, eligible or not and why, and a score. The contract is in ../../design.md
 * ("Placement").
 *
 * Filters, in order (the first that fails is the member's reason):
 * 1. online, and not evacuated;
 * 2. the target: `--target NAME` is that member only; `--target @GROUP` the members of that
 *    member group (`default` holds every member);
 * 3. capabilities: working CRIU for migration.stateful=true;
 *    image availability: when the cluster knows the image (request.image), a member that
 *    neither holds it nor can pull it from an online holder is passed by;
 * 4. capacity: `limits.cpu` (a count, or a CPU set whose CPUs the member must have) and
 *    `limits.memory` (bytes, or a percentage of the member's memory) within what is free:
 *    the member's CPUs and memory minus what its placed instances ask. Instances without
 *    limits ask nothing.
 * Score of an eligible member: spread (default) -instances, pack +instances; anti-affinity
 * (instances sharing a `placement.group` value) takes 1,000,000 per such instance already
 * on the member, so they go to distinct members while possible and, when every eligible
 * member holds one, to the member with the fewest (then by the strategy). The highest score
 * wins; ties go to the member name that sorts first.
 */
import { formatBytes, memoryOn, NO_ASK } from './limits';
import type { ResourceAsk } from './limits';

export interface Candidate {
  name: string;
  online: boolean;
  /** `berth cluster evacuate`d: placement passes it by until `berth cluster restore`. */
  evacuated?: boolean | undefined;
  /** Instances on it, including those placed earlier in the same batch. */
  instances: number;
  criu: boolean;
  /** Member groups it is in (besides `default`, which holds every member). */
  groups?: readonly string[] | undefined;
  /** Its CPUs and memory (liveness record); absent: not known, not limited. */
  cpus?: number | undefined;
  memoryBytes?: number | undefined;
  /** What its placed instances ask (limits.cpu, limits.memory); absent: nothing. */
  used?: { cpus: number; memoryBytes: number; memoryPercent: number } | undefined;
  /** Instances of each placement.group value on it. */
  placementGroups?: ReadonlyMap<string, number> | undefined;
}

export type Strategy = 'spread' | 'pack';

/** The image an instance needs, as the cluster's image records know it (ImageHoldings.need). */
export interface ImageNeed {
  /** The image as asked (alias or fingerprint), for the verdicts. */
  ref: string;
  /** The members holding it. */
  holders: ReadonlySet<string>;
}

export interface PlacementRequest {
  instance: string;
  /** A member name (place there or nowhere), or "@group" (one of that member group's members). */
  target?: string | undefined;
  stateful?: boolean | undefined;
  strategy?: Strategy | undefined;
  /** limits.cpu / limits.memory as parsed by resourceAsk(); absent: nothing. */
  ask?: ResourceAsk | undefined;
  /** placement.group: instances with the same value go to distinct members while possible. */
  placementGroup?: string | undefined;
  /** The image, when the cluster knows it: holders, or a member that can pull it from one. */
  image?: ImageNeed | undefined;
}

export interface Verdict {
  member: string;
  eligible: boolean;
  /** Why not (for an ineligible member), or how it scored. */
  reason: string;
  /** Higher wins (0 for an ineligible member). */
  score: number;
}

export interface Placement {
  /** The chosen member; absent when none is eligible. */
  chosen?: string | undefined;
  verdicts: Verdict[];
  /** One line for an operation's error when nothing is eligible. */
  why?: string | undefined;
  /** Said when anti-affinity could not be kept (every eligible member holds one already). */
  note?: string | undefined;
}

/** Anti-affinity's weight in the score: above any instance count. */
export const SAME_GROUP_PENALTY = 1_000_000;

const cmpName = (a: Candidate, b: Candidate): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Candidates sorted by name, as chooseMember() wants them. */
export function sortCandidates<C extends Candidate>(cs: readonly C[]): C[] {
  return [...cs].sort(cmpName);
}

function inTarget(req: PlacementRequest, c: Candidate): boolean {
  const t = req.target;
  if (!t) return true;
  if (t[0] !== '@') return t === c.name;
  const g = t.slice(1);
  return g === 'default' || (c.groups?.includes(g) ?? false);
}

/** Whether an online candidate holds the image (then any member can pull it from there). */
function imageReachable(req: PlacementRequest, cs: readonly Candidate[]): boolean {
  const img = req.image;
  return !img || cs.some((c) => c.online && img.holders.has(c.name));
}

function lacksImage(req: PlacementRequest, c: Candidate, reachable: boolean): boolean {
  return !!req.image && !reachable && !req.image.holders.has(c.name);
}

function imageRefusal(img: ImageNeed): string {
  const h = [...img.holders].sort();
  return `image ${img.ref} is not here, and no online member holds it to pull from (${h.length > 0 ? `held by ${h.join(', ')}: offline` : 'no member holds it'})`;
}

function freeCpus(c: Candidate): number {
  return c.cpus === undefined ? Infinity : c.cpus - (c.used?.cpus ?? 0);
}

function freeMemory(c: Candidate): number {
  if (c.memoryBytes === undefined) return Infinity;
  return c.memoryBytes - (c.used ? memoryOn(c.used, c.memoryBytes) : 0);
}

function scoreOf(req: PlacementRequest, c: Candidate): number {
  const base = req.strategy === 'pack' ? c.instances : -c.instances;
  return req.placementGroup ? base - SAME_GROUP_PENALTY * (c.placementGroups?.get(req.placementGroup) ?? 0) : base;
}

/**
 * The member place() would choose, without building its verdicts: what a placement pass
 * runs for each of thousands of intents over thousands of members. `sorted` must be sorted
 * by name (sortCandidates). Undefined when none fits (call place() then, for the reasons).
 */
export function chooseMember(req: PlacementRequest, sorted: readonly Candidate[]): string | undefined {
  const ask = req.ask ?? NO_ASK;
  let best: Candidate | undefined;
  let bestScore = -Infinity;
  const reachable = imageReachable(req, sorted);
  for (const c of sorted) {
    if (!c.online || c.evacuated || !inTarget(req, c) || (req.stateful && !c.criu) || lacksImage(req, c, reachable)) continue;
    if (ask.cpus > 0) {
      if (ask.highestCpu >= 0 && c.cpus !== undefined && ask.highestCpu >= c.cpus) continue;
      if (ask.cpus > freeCpus(c)) continue;
    }
    if ((ask.memoryBytes > 0 || ask.memoryPercent > 0) && c.memoryBytes !== undefined && memoryOn(ask, c.memoryBytes) > freeMemory(c)) continue;
    const s = scoreOf(req, c);
    if (s > bestScore) {
      best = c;
      bestScore = s;
    }
  }
  return best?.name;
}

/** Why `c` cannot take the request (the first filter it fails), or undefined when it can. */
function refusal(req: PlacementRequest, c: Candidate, reachable: boolean): string | undefined {
  if (!c.online) return 'offline';
  if (c.evacuated) return 'evacuated';
  if (req.target && !inTarget(req, c)) {
    return req.target[0] === '@' ? `not in member group ${req.target.slice(1)} (--target ${req.target})` : `not the target (${req.target})`;
  }
  if (req.stateful && !c.criu) return 'no working CRIU (migration.stateful=true needs it)';
  if (lacksImage(req, c, reachable)) return imageRefusal(req.image!);
  const ask = req.ask ?? NO_ASK;
  if (ask.cpus > 0) {
    if (ask.highestCpu >= 0 && c.cpus !== undefined && ask.highestCpu >= c.cpus) {
      return `limits.cpu pins CPU ${ask.highestCpu}, the member has CPUs 0-${c.cpus - 1}`;
    }
    const free = freeCpus(c);
    if (ask.cpus > free) return `needs ${ask.cpus} CPU${ask.cpus === 1 ? '' : 's'}, ${Math.max(0, free)} free of ${c.cpus}`;
  }
  if ((ask.memoryBytes > 0 || ask.memoryPercent > 0) && c.memoryBytes !== undefined) {
    const need = memoryOn(ask, c.memoryBytes);
    const free = freeMemory(c);
    if (need > free) return `needs ${formatBytes(need)} memory, ${formatBytes(Math.max(0, free))} free of ${formatBytes(c.memoryBytes)}`;
  }
  return undefined;
}

function eligibleReason(req: PlacementRequest, c: Candidate, strategy: Strategy): string {
  const parts = [`${strategy}: ${c.instances} instance(s)`];
  if (req.placementGroup) parts.push(`placement.group ${req.placementGroup}: ${c.placementGroups?.get(req.placementGroup) ?? 0} here`);
  const ask = req.ask ?? NO_ASK;
  if (ask.cpus > 0 && c.cpus !== undefined) parts.push(`${freeCpus(c)} of ${c.cpus} CPUs free`);
  if ((ask.memoryBytes > 0 || ask.memoryPercent > 0) && c.memoryBytes !== undefined) parts.push(`${formatBytes(freeMemory(c))} of ${formatBytes(c.memoryBytes)} memory free`);
  return parts.join('; ');
}

export function place(req: PlacementRequest, candidates: readonly Candidate[]): Placement {
  const strategy = req.strategy ?? 'spread';
  const sorted = sortCandidates(candidates);
  let chosen: Candidate | undefined;
  let best = -Infinity;
  const reachable = imageReachable(req, sorted);
  const verdicts: Verdict[] = sorted.map((c) => {
    const no = refusal(req, c, reachable);
    if (no) return { member: c.name, eligible: false, reason: no, score: 0 };
    const score = scoreOf(req, c);
    if (score > best) {
      best = score;
      chosen = c;
    }
    return { member: c.name, eligible: true, reason: eligibleReason(req, c, strategy), score };
  });
  if (chosen) {
    const same = req.placementGroup ? chosen.placementGroups?.get(req.placementGroup) ?? 0 : 0;
    const note = same > 0 ? `every eligible member already runs an instance of placement.group ${req.placementGroup}: placed on ${chosen.name}, which runs the fewest (${same})` : undefined;
    return { chosen: chosen.name, verdicts, ...(note ? { note } : {}) };
  }
  if (req.target && req.target[0] !== '@' && !candidates.some((c) => c.name === req.target)) {
    return { verdicts, why: `no member named "${req.target}" (--target)` };
  }
  if (req.target && req.target[0] === '@' && req.target !== '@default' && !candidates.some((c) => inTarget(req, c))) {
    return { verdicts, why: `member group ${req.target.slice(1)} has no members (--target ${req.target})` };
  }
  return { verdicts, why: `no member can take ${req.instance}: ${verdicts.map((v) => `${v.member}: ${v.reason}`).join('; ') || 'the cluster has no members'}` };
}

interface HeapEntry { s: number; i: number; v: number }

/** A max-heap on (score, then the lower index: the name that sorts first). */
class Heap {
  private readonly a: HeapEntry[] = [];
  private static before(x: HeapEntry, y: HeapEntry): boolean {
    return x.s > y.s || (x.s === y.s && x.i < y.i);
  }
  push(e: HeapEntry): void {
    const a = this.a;
    a.push(e);
    let k = a.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!Heap.before(a[k]!, a[p]!)) break;
      [a[k], a[p]] = [a[p]!, a[k]!];
      k = p;
    }
  }
  peek(): HeapEntry | undefined {
    return this.a[0];
  }
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < a.length && Heap.before(a[l]!, a[m]!)) m = l;
      if (r < a.length && Heap.before(a[r]!, a[m]!)) m = r;
      if (m === k) return;
      [a[k], a[m]] = [a[m]!, a[k]!];
      k = m;
    }
  }
}

interface ChoiceClass { req: PlacementRequest; heap: Heap }

/**
 * chooseMember() for a whole pass, each choice counting for the next ones (the chosen
 * member gets the instance, its ask and its placement.group), in O(log members) a choice
 * instead of a scan of every member: requests alike (same target, needs, ask, placement.group
 * and strategy) share a heap of their eligible members by score. A member that lacks room
 * for an ask leaves that heap (room only shrinks during a pass). Chooses exactly what
 * chooseMember() over the updated candidates would (a test checks it on random inputs).
 */
export class BatchChooser {
  /** Copies of the candidates, sorted by name, updated with each choice. */
  readonly candidates: Candidate[];
  private readonly versions: number[];
  private readonly memberOf: ChoiceClass[][];
  private readonly classes = new Map<string, ChoiceClass>();
  private readonly ownMaps = new Set<number>();

  constructor(sorted: readonly Candidate[]) {
    this.candidates = sorted.map((c) => ({ ...c }));
    this.versions = sorted.map(() => 0);
    this.memberOf = sorted.map(() => []);
  }

  private static fits(ask: ResourceAsk, c: Candidate): boolean {
    if (ask.cpus > 0 && ask.cpus > freeCpus(c)) return false;
    if ((ask.memoryBytes > 0 || ask.memoryPercent > 0) && c.memoryBytes !== undefined && memoryOn(ask, c.memoryBytes) > freeMemory(c)) return false;
    return true;
  }

  private classOf(req: PlacementRequest): ChoiceClass {
    const a = req.ask ?? NO_ASK;
    const img = req.image ? `${req.image.ref}:${[...req.image.holders].sort().join(',')}` : '';
    const key = `${req.target ?? ''}\u0000${req.stateful ? 1 : 0}\u0000${req.strategy ?? 'spread'}\u0000${req.placementGroup ?? ''}\u0000${a.cpus},${a.highestCpu},${a.memoryBytes},${a.memoryPercent}\u0000${img}`;
    let cls = this.classes.get(key);
    if (cls) return cls;
    cls = { req, heap: new Heap() };
    const reachable = imageReachable(req, this.candidates);
    this.candidates.forEach((c, i) => {
      if (!c.online || c.evacuated || !inTarget(req, c) || (req.stateful && !c.criu) || lacksImage(req, c, reachable)) return;
      if (a.cpus > 0 && a.highestCpu >= 0 && c.cpus !== undefined && a.highestCpu >= c.cpus) return;
      cls!.heap.push({ s: scoreOf(req, c), i, v: this.versions[i]! });
      this.memberOf[i]!.push(cls!);
    });
    this.classes.set(key, cls);
    return cls;
  }

  /** The member for `req` (undefined: none fits; place() says why), counted at once. */
  choose(req: PlacementRequest): string | undefined {
    const cls = this.classOf(req);
    const ask = req.ask ?? NO_ASK;
    for (;;) {
      const top = cls.heap.peek();
      if (!top) return undefined;
      const c = this.candidates[top.i]!;
      if (top.v !== this.versions[top.i] || !BatchChooser.fits(ask, c)) {
        cls.heap.pop();
        continue;
      }
      this.take(top.i, req);
      return c.name;
    }
  }

  private take(i: number, req: PlacementRequest): void {
    const c = this.candidates[i]!;
    c.instances++;
    const ask = req.ask ?? NO_ASK;
    if (ask !== NO_ASK) {
      const u = c.used ?? { cpus: 0, memoryBytes: 0, memoryPercent: 0 };
      c.used = { cpus: u.cpus + ask.cpus, memoryBytes: u.memoryBytes + ask.memoryBytes, memoryPercent: u.memoryPercent + ask.memoryPercent };
    }
    if (req.placementGroup) {
      if (!this.ownMaps.has(i)) {
        c.placementGroups = new Map(c.placementGroups ?? []);
        this.ownMaps.add(i);
      }
      const m = c.placementGroups as Map<string, number>;
      m.set(req.placementGroup, (m.get(req.placementGroup) ?? 0) + 1);
    }
    const v = ++this.versions[i]!;
    for (const cls of this.memberOf[i]!) cls.heap.push({ s: scoreOf(cls.req, c), i, v });
  }
}
