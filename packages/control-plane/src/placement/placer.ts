/**
 * The leader's placement passes: up to `batch` waiting intents (oldest first) each get a
 * member, or the reason none fits, all written in ONE txn — one Raft commit per pass however
 * many it placed — with up to `inFlight` pass txns committing at once.
 *
 * The leader keeps its view in memory (PlacementView): what each member's placed instances
 * ask (count, limits.cpu, limits.memory, placement.group values) and the queue of waiting
 * intents (instance records without a location, not being deleted). It is loaded once (watch
 * first, then one read) and then kept by the store's watch, every record applied only when its
 * mod revision is newer than what the view holds, so a late event never undoes a newer state;
 * this placer's own placements count as soon as they are chosen. A pass reads nothing from the
 * store (members, liveness and groups are read again only when the watch saw them change). Its
 * txn compares every intent's mod revision: a stale view costs a refused txn (the view is then
 * loaded again), never a lost or doubled placement. See ../../design.md, "Placement".
 */
import type { RaftNode, TxnRequest, WatchEvent } from '@berth/raft-store';
import { P_INSTANCES, P_MEMBERS, P_PENDING } from '../cluster/cluster-store';
import type { ClusterStore, InstanceIntent, LiveInfo, MemberInfo } from '../cluster/cluster-store';
import { GroupStore, P_GROUPS } from '../cluster/groups';
import { ImageHoldings } from '../cluster/images';
import { NO_ASK, resourceAskOrNone } from './limits';
import type { ResourceAsk } from './limits';
import { BatchChooser, place, sortCandidates } from './placement';
import type { Candidate } from './placement';
import { KEY_PLACEMENT_GROUP, placementRequest } from './request';
import { b, prefixEnd } from '../cluster/keys';
import { launchTrace, launchTraceOn } from './trace';

export interface PlacerOptions {
  /**
   * The leader's own view of who answers it (Raft messages), beside liveness keys: a member
   * that has fallen silent is passed by at once, not only when its lease runs out (a lease
   * lives on for the offline threshold, and a new leader extends every lease).
   */
  reachable?: (m: MemberInfo) => boolean;
  /** Intents per pass (and per txn). */
  batch?: number;
  /** Pass txns in flight at once (default 2): the next pass is chosen while one commits. */
  inFlight?: number;
  /** Unused (the view is kept by the store's watch); accepted for callers of the old placer. */
  recountMs?: number;
}

interface Usage { instances: number; cpus: number; memoryBytes: number; memoryPercent: number; pgroups: Map<string, number> }
interface Entry { rev: number; member?: string | undefined; ask: ResourceAsk; pg?: string | undefined }
interface Waiting { value: InstanceIntent; modRevision: number }

/** The revision of a placement whose txn is in flight: newer than anything, until it commits. */
const IN_FLIGHT = Number.POSITIVE_INFINITY;

const TRACE = !!process.env['BERTH_PLACER_TRACE'];
const INSTANCES = b(P_INSTANCES);

/**
 * Per-member usage and the queue of waiting intents, from the instance records (an intent
 * without a location, not being deleted, waits), each record as of the newest revision seen.
 */
export class PlacementView {
  readonly usage = new Map<string, Usage>();
  private readonly entries = new Map<string, Entry>();
  /** Waiting intents in revision order (a change moves one to the end). */
  readonly queue = new Map<string, Waiting>();
  /** Records seen while this placer's own placement of them was in flight. */
  private readonly stash = new Map<string, { rev: number; parse: () => InstanceIntent | undefined }>();
  private loading = true;

  private use(member: string): Usage {
    let u = this.usage.get(member);
    if (!u) {
      u = { instances: 0, cpus: 0, memoryBytes: 0, memoryPercent: 0, pgroups: new Map() };
      this.usage.set(member, u);
    }
    return u;
  }

  /** Bumped by every change of usage: a refusal computed at an older version may be stale. */
  version = 0;

  private account(e: Entry, sign: 1 | -1): void {
    this.version++;
    const u = this.use(e.member!);
    u.instances += sign;
    u.cpus += sign * e.ask.cpus;
    u.memoryBytes += sign * e.ask.memoryBytes;
    u.memoryPercent += sign * e.ask.memoryPercent;
    if (e.pg) {
      const n = (u.pgroups.get(e.pg) ?? 0) + sign;
      if (n > 0) u.pgroups.set(e.pg, n);
      else u.pgroups.delete(e.pg);
    }
  }

  /** An instance record at `rev` (undefined: deleted); `parse` is called only when it is newer than what the view holds. */
  instance(name: string, rev: number, parse: () => InstanceIntent | undefined): void {
    const cur = this.entries.get(name);
    if (cur?.rev === IN_FLIGHT) {
      const s = this.stash.get(name);
      if (!s || s.rev < rev) this.stash.set(name, { rev, parse });
      return;
    }
    if (cur && cur.rev >= rev) return;
    const v = parse();
    if (cur?.member) this.account(cur, -1);
    this.queue.delete(name);
    if (v?.location) {
      const e: Entry = { rev, member: v.location, ask: resourceAskOrNone(v.config), pg: v.config[KEY_PLACEMENT_GROUP] || undefined };
      this.account(e, 1);
      this.entries.set(name, e);
      return;
    }
    if (v || this.loading) this.entries.set(name, { rev, ask: NO_ASK });
    else this.entries.delete(name);
    if (v && !v.deleting) this.queue.set(name, { value: v, modRevision: rev });
  }

  apply(events: readonly WatchEvent[]): void {
    for (const e of events) {
      const k = e.kv.key.toString('utf8');
      if (!k.startsWith(P_INSTANCES)) continue;
      this.instance(k.slice(P_INSTANCES.length), e.kv.modRevision, () => (e.type === 'PUT' ? JSON.parse(e.kv.value.toString('utf8')) as InstanceIntent : undefined));
    }
  }

  /** Loading is over: tombstones go, the queue is put in revision order. */
  loaded(): void {
    this.loading = false;
    for (const [k, e] of this.entries) if (!e.member && !this.queue.has(k)) this.entries.delete(k);
    const q = [...this.queue].sort((x, y) => x[1].modRevision - y[1].modRevision || (x[0] < y[0] ? -1 : 1));
    this.queue.clear();
    for (const [k, w] of q) this.queue.set(k, w);
  }

  /** This placer placed `v` (its txn in flight): it counts at once, and leaves the queue. */
  placing(v: InstanceIntent): void {
    const cur = this.entries.get(v.name);
    if (cur?.member) this.account(cur, -1);
    const e: Entry = { rev: IN_FLIGHT, member: v.location, ask: resourceAskOrNone(v.config), pg: v.config[KEY_PLACEMENT_GROUP] || undefined };
    this.account(e, 1);
    this.entries.set(v.name, e);
    this.queue.delete(v.name);
  }

  /** The txn of `placing(v)` wrote nothing: its count goes; a record seen meanwhile applies now. */
  unplaced(name: string): void {
    const e = this.entries.get(name);
    if (e?.rev !== IN_FLIGHT) return;
    this.account(e, -1);
    this.entries.delete(name);
    const s = this.stash.get(name);
    this.stash.delete(name);
    if (s) this.instance(name, s.rev, s.parse);
  }

  /** The txn of `placing(v)` committed at `rev`: what was seen meanwhile, if newer, applies now. */
  placed(name: string, rev: number): void {
    const e = this.entries.get(name);
    if (e?.rev !== IN_FLIGHT) return;
    e.rev = rev;
    const s = this.stash.get(name);
    this.stash.delete(name);
    if (s && s.rev > rev) this.instance(name, s.rev, s.parse);
  }
}

/** Members as placement sees them, from their records, liveness, member groups and usage. */
export function candidatesOf(members: readonly MemberInfo[], live: ReadonlyMap<string, LiveInfo>, groups: ReadonlyMap<string, string[]>, usage: ReadonlyMap<string, Usage>, reachable?: (m: MemberInfo) => boolean): Candidate[] {
  return members.map((m) => {
    const l = live.get(m.name);
    const u = usage.get(m.name);
    return {
      name: m.name,
      online: !!l && (reachable?.(m) ?? true),
      evacuated: m.evacuated,
      instances: u?.instances ?? 0,
      criu: l?.criu ?? false,
      groups: groups.get(m.name) ?? [],
      cpus: l ? l.cpus : undefined,
      memoryBytes: l ? l.memoryBytes : undefined,
      used: u ? { cpus: u.cpus, memoryBytes: u.memoryBytes, memoryPercent: u.memoryPercent } : undefined,
      placementGroups: u?.pgroups,
    };
  });
}

/** The candidates as of now, from one read of everything (berth launch --dry-run; no watch). */
export async function readCandidates(store: ClusterStore): Promise<Candidate[]> {
  const [members, live, groups, intents] = await Promise.all([store.members(), store.live(), new GroupStore(store.node).byMember(), store.instances()]);
  const view = new PlacementView();
  for (const i of intents) view.instance(i.value.name, i.modRevision, () => i.value);
  return candidatesOf(members, live, groups, view.usage);
}

/** One pass: what it writes, in one txn. */
interface Pass { placed: InstanceIntent[]; refused: InstanceIntent[]; txn: TxnRequest; startedAt: number }

export interface PlacerStats {
  /** Txns committed (one per pass that wrote anything). */
  passes: number;
  /** Each committed pass (the last 5,000-10,000), from its first choice to its commit, ms. */
  passMs: number[];
  /** Txns the store refused (an intent changed meanwhile): the view was reloaded. */
  refused: number;
  loads: number;
}

export class Placer {
  private view: PlacementView | undefined;
  private watchId: number | undefined;
  private pendingWatchId: number | undefined;
  /** Instances with an old /berth/pending/ copy (deleted when they are placed). */
  private pendingCopies = new Set<string>();
  private readonly batch: number;
  private readonly depth: number;
  private readonly node: RaftNode;
  private membersSeen: { at: number; members: MemberInfo[]; live: Map<string, LiveInfo>; groups: Map<string, string[]>; images: ImageHoldings } | undefined;
  /** For intents nothing fits: the world (usage version, members read, record) their refusal was computed in. */
  private readonly explained = new Map<string, string>();
  /** A member, liveness or group record changed since they were read (the watch says so). */
  private membersDirty = true;
  readonly stats: PlacerStats = { passes: 0, passMs: [], refused: 0, loads: 0 };

  constructor(private readonly store: ClusterStore, opts: PlacerOptions = {}) {
    this.batch = opts.batch ?? 1000;
    this.depth = opts.inFlight ?? 2;
    this.node = store.node;
    this.reachable = opts.reachable;
  }

  private readonly reachable: ((m: MemberInfo) => boolean) | undefined;

  /** Forget everything (a new leader, a failed watch, a refused pass): the next pass loads again. */
  reset(): void {
    if (this.watchId !== undefined) this.node.cancelWatch(this.watchId);
    if (this.pendingWatchId !== undefined) this.node.cancelWatch(this.pendingWatchId);
    this.watchId = undefined;
    this.pendingWatchId = undefined;
    this.pendingCopies = new Set();
    this.view = undefined;
    this.membersSeen = undefined;
  }

  /** Watch first, then read: every change after the read arrives, older ones are ignored by revision. */
  private async load(): Promise<PlacementView> {
    const view = new PlacementView();
    this.stats.loads++;
    // One watch from /berth/groups/ to the end of /berth/members/: the instances for the view;
    // groups, image holders, liveness and members (sorted between them) only mark the members
    // (and the image records) to be read again.
    this.membersDirty = true;
    this.watchId = this.node.watch({ key: b(P_GROUPS), rangeEnd: prefixEnd(P_MEMBERS) }, (ev) => {
      view.apply(ev);
      // (Keys shorter than the instances' prefix, such as /berth/live/<member>, are not instances.)
      if (!this.membersDirty && ev.some((e) => e.kv.key.length < INSTANCES.length || INSTANCES.compare(e.kv.key, 0, INSTANCES.length) !== 0)) this.membersDirty = true;
    }, () => { if (this.view === view) this.reset(); });
    const copies = this.pendingCopies;
    this.pendingWatchId = this.node.watch({ key: b(P_PENDING), rangeEnd: prefixEnd(P_PENDING) }, (ev) => {
      for (const e of ev) {
        const name = e.kv.key.toString('utf8', P_PENDING.length);
        if (e.type === 'PUT') copies.add(name);
        else copies.delete(name);
      }
    }, () => { if (this.view === view) this.reset(); });
    this.view = view;
    try {
      const [r, p] = await Promise.all([P_INSTANCES, P_PENDING].map((x) => this.node.read({ key: b(x), rangeEnd: prefixEnd(x), keysOnly: x === P_PENDING })));
      for (const kv of p!.kvs) copies.add(kv.key.toString('utf8', P_PENDING.length));
      // In slices, letting the event loop breathe (Raft heartbeats) while a big cluster loads.
      const kvs = r!.kvs;
      for (let i = 0; i < kvs.length; i++) {
        const kv = kvs[i]!;
        view.instance(kv.key.toString('utf8', P_INSTANCES.length), kv.modRevision, () => JSON.parse(kv.value.toString('utf8')) as InstanceIntent);
        if (i % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      if (this.view === view) this.reset();
      throw e;
    }
    view.loaded();
    return view;
  }

  private async membersNow(): Promise<NonNullable<Placer['membersSeen']>> {
    // Read again when the watch saw a change (or, as a safety net, every 30 s; every second without a view).
    if (!this.membersSeen || this.membersDirty || !this.view || Date.now() - this.membersSeen.at > (this.view ? 30_000 : 1000)) {
      this.membersDirty = false;
      const [members, live, groups, images] = await Promise.all([this.store.members(), this.store.live(), new GroupStore(this.node).byMember(), ImageHoldings.read(this.node)]);
      this.membersSeen = { at: Date.now(), members, live, groups, images };
    }
    return this.membersSeen;
  }

  /**
   * The members as placement sees them now. With a view (this placer runs passes): usage from
   * it, members as last read. Without one: one read of everything (readCandidates), no watch
   * is left behind — for callers that want a one-off answer (dry runs, evacuation).
   */
  async candidates(): Promise<Candidate[]> {
    const view = this.view;
    if (!view) return readCandidates(this.store);
    const { members, live, groups } = await this.membersNow();
    return candidatesOf(members, live, groups, view.usage, this.reachable);
  }

  /** Loads the view now (it is kept by the watch from then on, until reset()). */
  async warm(): Promise<void> {
    if (!this.view) await this.load();
  }

  /**
   * Placement at creation, on the leader (the API member that is the leader places the intent
   * in the txn that creates it: one Raft commit and one watch hop less per launch): a member for
   * `intent` (not in the store yet) chosen from this placer's view as a pass would, counted at
   * once as in flight. Call `settle(rev)` with the create txn's revision, or `settle()` when it
   * wrote nothing. Undefined (the intent then waits for a pass, as before) when this placer has
   * no view loaded yet or nothing fits now (a pass records why).
   */
  async chooseNow(intent: InstanceIntent): Promise<{ location: string; settle: (rev?: number) => void } | undefined> {
    const view = this.view;
    if (!view) return undefined;
    const { members, live, groups, images } = await this.membersNow();
    if (this.view !== view) return undefined;
    const req = placementRequest(intent);
    req.image = images.need(intent.image);
    const chosen = new BatchChooser(sortCandidates(candidatesOf(members, live, groups, view.usage, this.reachable))).choose(req);
    if (!chosen) return undefined;
    const v: InstanceIntent = { ...intent, location: chosen };
    view.placing(v);
    if (launchTraceOn) launchTrace('leader', 'placer.chosen', v.name, `${chosen} (at creation)`);
    return {
      location: chosen,
      settle: (rev?: number) => {
        if (this.view !== view) return;
        if (rev === undefined) view.unplaced(v.name);
        else view.placed(v.name, rev);
      },
    };
  }

  /**
   * Places what waits, in passes of up to `batch` intents, each one txn, up to `inFlight` txns
   * at once (a pass counts what the passes before it placed, committed or not); every waiting
   * intent is considered once per call. Returns how many it placed (committed). When the store
   * refuses a pass (another writer changed an intent), the passes after it stop and the view is
   * loaded again on the next call.
   */
  async runOnce(): Promise<number> {
    const view = this.view ?? (await this.load());
    const seen = new Set<string>();
    const commits: Array<Promise<number>> = [];
    let total = 0;
    let stop = false;
    let failure: { error: unknown } | undefined;
    try {
      while (this.view === view && !stop) {
        const pass = await this.pass(view, seen);
        if (!pass) break;
        if (!pass.txn.success.length) continue;
        // Settled at once (never an unhandled rejection while another commit is awaited).
        commits.push(this.commit(view, pass).then((n) => {
          if (n < 0) stop = true;
          return Math.max(0, n);
        }, (error: unknown) => {
          stop = true;
          failure ??= { error };
          return 0;
        }));
        if (commits.length >= this.depth) total += await commits.shift()!;
      }
    } finally {
      for (const c of commits) total += await c;
    }
    if (failure) throw failure.error;
    return total;
  }

  /** Chooses for up to `batch` waiting intents not seen yet; undefined when none is left. */
  private async pass(view: PlacementView, seen: Set<string>): Promise<Pass | undefined> {
    const startedAt = performance.now();
    const waiting: Waiting[] = [];
    for (const [name, w] of view.queue) {
      if (seen.has(name)) continue;
      seen.add(name);
      waiting.push(w);
      if (waiting.length >= this.batch) break;
    }
    if (waiting.length === 0) return undefined;
    const { members, live, groups, images } = await this.membersNow();
    const candidates = sortCandidates(candidatesOf(members, live, groups, view.usage, this.reachable));
    const chooser = new BatchChooser(candidates);
    const placed: InstanceIntent[] = [];
    const refused: InstanceIntent[] = [];
    const revs = new Map<string, number>();
    for (const w of waiting) {
      // The view may have changed while the members were read.
      if (view.queue.get(w.value.name) !== w) continue;
      const req = placementRequest(w.value);
      // Image availability: a member without the image needs an online holder to pull from.
      req.image = images.need(w.value.image);
      const chosen = chooser.choose(req);
      if (chosen) {
        // (Object.assign: several times faster than a spread here, on objects JSON.parse made.)
        const v: InstanceIntent = Object.assign({}, w.value);
        v.location = chosen;
        if (v.placementError !== undefined) v.placementError = undefined;
        placed.push(v);
        revs.set(v.name, w.modRevision);
        view.placing(v);
        continue;
      }
      // Nothing fits it: say why, unless it was said for this very intent and world already
      // (a stuck intent costs a verdict per member once per change, not once per kick).
      const world = `${view.version}/${this.membersSeen?.at ?? 0}/${w.modRevision}`;
      if (w.value.placementError && this.explained.get(w.value.name) === world) continue;
      const why = place(req, chooser.candidates).why;
      this.explained.set(w.value.name, world);
      if (this.explained.size > 100_000) this.explained.clear();
      if (why !== w.value.placementError) {
        refused.push({ ...w.value, placementError: why });
        revs.set(w.value.name, w.modRevision);
      }
    }
    const written = [...placed, ...refused];
    const json = written.map((v) => b(JSON.stringify(v)));
    const txn: TxnRequest = {
      compare: written.map((v) => ({ key: b(P_INSTANCES + v.name), target: 'MOD' as const, result: 'EQUAL' as const, modRevision: revs.get(v.name)! })),
      success: [
        ...written.map((v, i) => ({ requestPut: { key: b(P_INSTANCES + v.name), value: json[i]! } })),
        // Placed: an old pending copy, if it has one, goes.
        ...placed.filter((v) => this.pendingCopies.delete(v.name)).map((v) => ({ requestDeleteRange: { key: b(P_PENDING + v.name) } })),
      ],
      failure: [],
    };
    return { placed, refused, txn, startedAt };
  }

  /** Commits a pass: the number it placed, or -1 when the store refused it (the view is reset). */
  private async commit(view: PlacementView, pass: Pass): Promise<number> {
    const t = performance.now();
    if (launchTraceOn) for (const v of pass.placed) launchTrace('leader', 'placer.chosen', v.name, `${v.location} +${(t - pass.startedAt).toFixed(1)}ms`);
    let r;
    try {
      r = await this.node.submit({ txn: pass.txn });
    } catch (e) {
      if (this.view === view) this.reset();
      throw e;
    }
    if (TRACE) process.stderr.write(`placer: pass of ${pass.placed.length} chosen in ${(t - pass.startedAt).toFixed(0)} ms, txn ${(performance.now() - t).toFixed(0)} ms\n`);
    if (!r.ok || !r.txn?.succeeded) {
      // Someone changed an intent after the view saw it, or the store refused: what this
      // placer counted is wrong now; load again.
      this.stats.refused++;
      if (this.view === view) this.reset();
      return -1;
    }
    if (launchTraceOn) for (const v of pass.placed) launchTrace('leader', 'placer.committed', v.name);
    this.stats.passes++;
    this.stats.passMs.push(performance.now() - pass.startedAt);
    if (this.stats.passMs.length > 10_000) this.stats.passMs.splice(0, 5_000);
    if (this.view === view) {
      for (const v of pass.placed) view.placed(v.name, r.revision);
      for (const v of pass.refused) view.instance(v.name, r.revision, () => v);
    }
    return pass.placed.length;
  }
}
