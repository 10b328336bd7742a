/**
 * The API side of moves: `berth move NAME --target M`, `berth cluster evacuate M` and
 * `berth cluster restore M`. Each asks the store for moves (intent.moving, see moves.ts) and
 * answers with an operation that ends when they have landed, or with the errors of those that
 * did not.
 *
 * Contract:
 * - move: refused (and nothing changes) for an unknown instance or member, a target that is
 *   where it runs already, offline, evacuated, or unfit for it (placement's verdict), or an
 *   instance already moving or being deleted. The mode (moveMode): cold (a running instance
 *   is stopped, moved and started again) or live (stop-and-copy or post-copy, moves.ts); by
 *   default live when the instance runs, has migration.stateful=true and both members report
 *   `criu` (post-copy when both also report `criu-lazy-pages`), else cold. A mode asked that
 *   the members cannot do is refused naming the missing feature (pre-copy: CRIU's
 *   mem_dirty_track, post-copy: uffd lazy pages); pre-copy is not built (UNIMPLEMENTED when
 *   both members could). The operation may be cancelled until the move commits; its result
 *   says the mode.
 * - evacuate: the member is marked evacuated at once (placement passes it by; `berth cluster
 *   list` says Evacuated), then every instance on it is moved (spread over the eligible
 *   members) or stopped, per the request's action, else its `cluster.evacuate` key (auto:
 *   live where it can, else cold; migrate: cold; live-migrate: live, or that instance stays
 *   and the operation says why; stop: stopped in place). Each instance remembers where it
 *   came from and what it was asked to be.
 * - restore: the member takes placements again; what evacuate moved comes back (live where it
 *   can) and what it stopped is asked to be what it was before.
 * - An instance that cannot move stays where it is (started again if it ran); the operation
 *   fails naming each such instance and why.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { OperationResponse } from '@berth/proto';
import { ClusterError, place, placementRequest, readCandidates } from '@berth/control-plane';
import type { Candidate, ClusterStore, InstanceIntent, PlacementRequest } from '@berth/control-plane';
import { validateConfig, validateInstanceName } from '../agent/config';
import type { ClusterMember } from './cluster-member';
import { toStatus } from '../daemon/status';

/** How long an operation waits for its moves (a volume of gigabytes takes minutes). */
const MOVE_WAIT_MS = 3600_000;

export const EVACUATE_ACTIONS = ['auto', 'migrate', 'live-migrate', 'stop'] as const;
/** What `berth move --mode` may ask ('' or auto: the best the members can do). */
export const MOVE_REQUEST_MODES = ['auto', 'cold', 'stop-and-copy', 'pre-copy', 'post-copy'] as const;

/** The capability (featureNames) each live technique needs on both members, and what it is. */
const LIVE_NEEDS: Record<string, { feature: string; what: string }> = {
  'stop-and-copy': { feature: 'criu', what: 'CRIU checkpoint/restore' },
  'pre-copy': { feature: 'criu-dirty-tracking', what: 'memory dirty tracking (CRIU feature mem_dirty_track: the kernel\'s soft-dirty bits)' },
  'post-copy': { feature: 'criu-lazy-pages', what: 'userfaultfd lazy pages (CRIU features uffd, uffd-noncoop)' },
};

/** One move the store was asked for, and what counts as landed. */
interface Asked {
  name: string;
  /** A move's id; absent for an instance stopped in place. */
  id?: string | undefined;
  to?: string | undefined;
  /** For a stop: the status to reach where it is. */
  status?: string | undefined;
}

export class Moves {
  private readonly store: ClusterStore;

  constructor(private readonly member: ClusterMember) {
    this.store = member.store;
  }

  /** The members a move may go to now, as placement sees them (the source left out). */
  private async candidates(except: string): Promise<Candidate[]> {
    return (await readCandidates(this.store)).filter((c) => c.name !== except);
  }

  /**
   * How instance `i` moves from `from` to `to`: the mode asked, or (auto) live when it runs,
   * is stateful and both members have CRIU (post-copy when both have lazy pages, else
   * stop-and-copy), else cold; `live` (evacuation's live-migrate): the best live technique.
   * Throws (ClusterError, or UNIMPLEMENTED) for a mode that cannot be done, naming what is missing.
   */
  private async moveMode(i: InstanceIntent, from: string, to: string, asked: string): Promise<'cold' | 'stop-and-copy' | 'post-copy'> {
    if (asked && asked !== 'live' && !(MOVE_REQUEST_MODES as readonly string[]).includes(asked)) throw new ClusterError('INVALID_ARGUMENT', `mode: "${asked}" is not one of ${MOVE_REQUEST_MODES.join(', ')}`);
    if (asked === 'cold') return 'cold';
    const [live, observed] = await Promise.all([this.store.live(), this.store.observedOf(i.name)]);
    const lacking = (feature: string): string[] => [from, to].filter((m) => !(live.get(m)?.features ?? []).includes(feature));
    const running = i.desired === 'Running' && observed?.location === from && observed.status === 'Running';
    const stateful = ['true', '1', 'yes', 'on'].includes((i.config['migration.stateful'] ?? '').toLowerCase());
    // The best live technique both members have: post-copy (its downtime does not grow with
    // the memory; bench/README.md "Session 8": 0.9 s at 64 and 512 MB, stop-and-copy 1.1 and
    // 3.0 s), else stop-and-copy.
    const best = lacking(LIVE_NEEDS['post-copy']!.feature).length === 0 ? 'post-copy' : 'stop-and-copy';
    if (!asked || asked === 'auto') return running && stateful && lacking('criu').length === 0 ? best : 'cold';
    // (Evacuation's live-migrate: live, the best way, or not at all.)
    if (asked === 'live') asked = best;
    const need = LIVE_NEEDS[asked]!;
    const missing = lacking(need.feature);
    if (missing.length > 0) throw new ClusterError('FAILED_PRECONDITION', `a ${asked} move needs ${need.what} on both members; ${missing.join(' and ')} ${missing.length > 1 ? 'lack' : 'lacks'} it (\`berth cluster list\` shows each member's capabilities)`);
    if (asked === 'pre-copy') throw Object.assign(new Error('pre-copy moves are not built (no host here has memory dirty tracking to test them on): use --mode post-copy or stop-and-copy (or cold)'), { code: grpc.status.UNIMPLEMENTED });
    if (!stateful) throw new ClusterError('FAILED_PRECONDITION', `instance "${i.name}" needs config migration.stateful=true for a live move (set it while it is stopped), or move it with --mode cold`);
    if (!running) throw new ClusterError('FAILED_PRECONDITION', `instance "${i.name}" is not running (${observed?.status ?? 'unknown'}): a live move needs it running; move it with --mode cold`);
    return asked === 'post-copy' ? 'post-copy' : 'stop-and-copy';
  }

  async move(name: string, target: string, asked = ''): Promise<OperationResponse> {
    const cur = await this.store.instance(name);
    if (!cur) throw new ClusterError('NOT_FOUND', `instance "${name}" not found`);
    const i = cur.value;
    if (!target) throw new ClusterError('INVALID_ARGUMENT', 'target: name the member to move it to (--target)');
    const m = await this.store.member(target);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${target}"`);
    if (!i.location) throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" is not placed yet`);
    if (i.location === target) throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" is on ${target} already`);
    if (m.evacuated) throw new ClusterError('FAILED_PRECONDITION', `member ${target} is evacuated (berth cluster restore ${target} first)`);
    const all = await readCandidates(this.store);
    // Placement's filters (online, capacity, CRIU, ...) for the target, as for a launch there.
    const p = place(placementRequest({ ...i, target }), all.filter((c) => c.name !== i.location));
    if (!p.chosen) throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" cannot move to ${target}: ${p.verdicts.find((v) => v.member === target)?.reason ?? p.why ?? 'not eligible'}`);
    const source = i.location;
    if (!all.find((c) => c.name === source)?.online) throw new ClusterError('FAILED_PRECONDITION', `member ${source}, where "${name}" is, is offline: its volume cannot be read`);
    const mode = await this.moveMode(i, source, target, asked);
    const id = randomUUID();
    const operation = randomUUID();
    await this.store.changeInstance(name, (x) => {
      checkMovable(x);
      if (x.location !== source) throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" moved to ${x.location} meanwhile`);
      return { ...x, moving: { id, to: target, mode, operation }, moveError: undefined };
    });
    return this.member.operations.start({
      id: operation,
      description: `move ${name} from ${source} to ${target}`,
      resources: { instances: `/1.0/instances/${name}` },
      run: async (cancelled) => {
        const errors = await this.landed([{ name, id, to: target }], cancelled);
        if (errors.length > 0) throw errorOf(errors);
        return { location: target, mode };
      },
      // Before it commits, a move can be called off: the source sees `moving` gone and stops.
      cancel: async () => {
        await this.store.changeInstance(name, (x) => (x.moving?.id === id ? { ...x, moving: undefined } : x)).catch(() => undefined);
      },
    });
  }

  /**
   * berth copy: the copy is made on the source's member by its agent (intent.copyFrom), then,
   * with a target elsewhere, moved there like any instance. The operation ends when it is
   * where it was asked to be, stopped (or running when asked).
   */
  async copy(r: { source: string; name: string; config: Record<string, string>; instanceOnly: boolean; target: string; start: boolean }): Promise<OperationResponse> {
    const [src, snap] = r.source.split('/', 2) as [string, string | undefined];
    validateInstanceName(src, 'source');
    if (snap !== undefined) validateInstanceName(snap, 'source');
    validateInstanceName(r.name);
    validateConfig(r.config);
    const cur = await this.store.instance(src);
    if (!cur) throw new ClusterError('NOT_FOUND', `instance "${src}" not found`);
    const at = cur.value.location;
    if (!at) throw new ClusterError('FAILED_PRECONDITION', `instance "${src}" is not placed yet`);
    if (r.target && !(await this.store.member(r.target))) throw new ClusterError('NOT_FOUND', `no member named "${r.target}"`);
    if (!(await this.store.live()).has(at)) throw new ClusterError('FAILED_PRECONDITION', `member ${at}, where "${src}" is, is offline: its volume cannot be read`);
    const config = Object.fromEntries(Object.entries(cur.value.config).filter(([k]) => !k.startsWith('volatile.')));
    for (const [k, v] of Object.entries(r.config)) {
      if (v === '') delete config[k];
      else config[k] = v;
    }
    const desired = r.start ? 'Running' : 'Stopped';
    await this.store.createInstance({
      name: r.name, image: cur.value.image, config, desired, createdAt: Date.now(), location: at,
      copyFrom: { name: src, snapshot: snap, instanceOnly: r.instanceOnly || undefined },
    });
    const opId = randomUUID();
    return this.member.operations.start({
      id: opId,
      description: `copy ${r.source} to ${r.name}`,
      resources: { instances: `/1.0/instances/${r.name}` },
      run: async (cancelled) => {
        let errors = await this.landed([{ name: r.name, status: desired }], cancelled);
        if (errors.length === 0 && r.target && r.target !== at) {
          const id = randomUUID();
          await this.store.changeInstance(r.name, (x) => {
            checkMovable(x);
            return { ...x, moving: { id, to: r.target, operation: opId } };
          });
          errors = await this.landed([{ name: r.name, id, to: r.target }], cancelled);
        }
        if (errors.length > 0) throw errorOf(errors);
        return { location: r.target || at };
      },
    });
  }

  async evacuate(from: string, action: string): Promise<OperationResponse> {
    const operation = randomUUID();
    if (action && !(EVACUATE_ACTIONS as readonly string[]).includes(action)) {
      throw new ClusterError('INVALID_ARGUMENT', `action: "${action}" is not one of ${EVACUATE_ACTIONS.join(', ')}`);
    }
    const m = await this.store.member(from);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${from}"`);
    const live = await this.store.live();
    if (!live.has(from)) throw new ClusterError('FAILED_PRECONDITION', `member ${from} is offline: its instances' volumes are on it and cannot be moved (remove it with --force, or bring it back)`);
    await this.store.setEvacuated(from, true);
    const candidates = await this.candidates(from);
    const asked: Asked[] = [];
    const refused: string[] = [];
    for (const { value: i } of await this.store.instances()) {
      if (i.location !== from || i.deleting) continue;
      const how = action || i.config['cluster.evacuate'] || 'auto';
      try {
        if (how === 'stop') {
          await this.store.changeInstance(i.name, (x) => (x.location === from ? { ...x, desired: 'Stopped', evacuated: { from, action: 'stop', desired: x.evacuated?.desired ?? x.desired } } : x));
          asked.push({ name: i.name, status: 'Stopped' });
          continue;
        }
        // Where placement would put it now (its --target, if any, no longer binds it).
        const req = placementRequest({ ...i, target: undefined });
        const p = place(req, candidates);
        if (!p.chosen) throw new Error(`no member can take it: ${p.why ?? ''}`);
        const id = randomUUID();
        const to = p.chosen;
        const mode = await this.moveMode(i, from, to, how === 'live-migrate' ? 'live' : how === 'migrate' ? 'cold' : 'auto');
        await this.store.changeInstance(i.name, (x) => {
          checkMovable(x);
          return { ...x, moving: { id, to, mode, operation }, moveError: undefined, evacuated: { from, action: 'migrate', desired: x.desired } };
        });
        const c = candidates.find((x) => x.name === to);
        if (c) take(c, req);
        asked.push({ name: i.name, id, to });
      } catch (e) {
        refused.push(`${i.name}: ${(e as Error).message}`);
      }
    }
    return this.member.operations.start({
      id: operation,
      description: `evacuate ${from}`,
      resources: { members: `/1.0/cluster/members/${from}` },
      run: async () => {
        const errors = [...refused, ...await this.landed(asked, () => false)];
        if (errors.length > 0) throw errorOf(errors, `evacuation of ${from} left ${errors.length} instance(s) on it`);
        return { moved: String(asked.filter((a) => a.id).length), stopped: String(asked.filter((a) => !a.id).length) };
      },
    });
  }

  async restore(to: string): Promise<OperationResponse> {
    const operation = randomUUID();
    const m = await this.store.member(to);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${to}"`);
    if (!(await this.store.live()).has(to)) throw new ClusterError('FAILED_PRECONDITION', `member ${to} is offline: bring it back before restoring it`);
    await this.store.setEvacuated(to, false);
    const asked: Asked[] = [];
    const refused: string[] = [];
    for (const { value: i } of await this.store.instances()) {
      const e = i.evacuated;
      if (!e || e.from !== to || i.deleting) continue;
      try {
        if (e.action === 'stop' || i.location === to) {
          await this.store.changeInstance(i.name, (x) => (x.evacuated?.from === to ? { ...x, desired: x.evacuated.action === 'stop' ? x.evacuated.desired : x.desired, evacuated: undefined } : x));
          asked.push({ name: i.name, status: e.action === 'stop' ? e.desired : undefined });
          continue;
        }
        const id = randomUUID();
        const mode = i.location ? await this.moveMode(i, i.location, to, 'auto') : 'cold';
        await this.store.changeInstance(i.name, (x) => {
          checkMovable(x);
          return { ...x, moving: { id, to, mode, operation }, moveError: undefined };
        });
        asked.push({ name: i.name, id, to });
      } catch (err) {
        refused.push(`${i.name}: ${(err as Error).message}`);
      }
    }
    return this.member.operations.start({
      id: operation,
      description: `restore ${to}`,
      resources: { members: `/1.0/cluster/members/${to}` },
      run: async () => {
        const errors = [...refused, ...await this.landed(asked, () => false)];
        if (errors.length > 0) throw errorOf(errors, `restore of ${to} left ${errors.length} instance(s) elsewhere`);
        return { returned: String(asked.length) };
      },
    });
  }

  /**
   * Waits until each asked move has landed (the instance on its target, at what it is asked
   * to be there) or failed, and each asked stop is stopped; answers the failures, one line each.
   */
  private async landed(asked: Asked[], cancelled: () => boolean): Promise<string[]> {
    const deadline = Date.now() + MOVE_WAIT_MS;
    const errors: string[] = [];
    /** When each failed move was first seen failed (its instance may still be observed Moving). */
    const failedAt = new Map<string, number>();
    let left = asked;
    while (left.length > 0) {
      if (cancelled()) throw Object.assign(new Error('cancelled'), { code: grpc.status.CANCELLED });
      const next = this.member.changed(1000);
      let read: [Awaited<ReturnType<ClusterStore['instances']>>, Awaited<ReturnType<ClusterStore['observed']>>];
      try {
        read = await Promise.all([this.store.instances(), this.store.observed()]);
      } catch (e) {
        // The store electing a leader (a member killed, as in a move whose source died) is a
        // wait, not the operation's failure: read again once it answers.
        if (toStatus(e).code !== grpc.status.UNAVAILABLE || Date.now() > deadline) throw e;
        await next;
        continue;
      }
      const [intents, observed] = read;
      const byName = new Map(intents.map((x) => [x.value.name, x.value]));
      left = left.filter((a) => {
        const i = byName.get(a.name);
        if (!i) {
          errors.push(`${a.name}: deleted meanwhile`);
          return false;
        }
        const o = observed.get(a.name);
        if (a.id) {
          if (i.moveError?.id === a.id) {
            // Reported once its source observes it again as it is now (running on, or fenced),
            // not still `Moving` (a next move asked at once would see a stale state), up to 10 s.
            const at = failedAt.get(a.name) ?? Date.now();
            failedAt.set(a.name, at);
            if (o?.status === 'Moving' && o.location === i.location && Date.now() - at < 10_000) return true;
            errors.push(`${a.name}: ${i.moveError.error}`);
            return false;
          }
          if (i.moving?.id === a.id) return true;
          if (i.location !== a.to) {
            errors.push(`${a.name}: the move was called off (it is on ${i.location ?? 'no member'})`);
            return false;
          }
        }
        const want = a.status ?? i.desired;
        if (o && o.location === i.location && o.status === 'Error') {
          errors.push(`${a.name}: on ${o.location}: ${o.error ?? 'error'}`);
          return false;
        }
        return !(o && o.location === i.location && o.status === want);
      });
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        errors.push(...left.map((a) => `${a.name}: not done within ${MOVE_WAIT_MS / 60_000} min; still being worked on`));
        break;
      }
      await next;
    }
    return errors;
  }
}

/** Counts an instance placed on `c` (the next choice in the same pass sees it there). */
function take(c: Candidate, req: PlacementRequest): void {
  c.instances++;
  const ask = req.ask;
  if (ask) c.used = { cpus: (c.used?.cpus ?? 0) + ask.cpus, memoryBytes: (c.used?.memoryBytes ?? 0) + ask.memoryBytes, memoryPercent: (c.used?.memoryPercent ?? 0) + ask.memoryPercent };
  if (req.placementGroup) c.placementGroups = new Map([...(c.placementGroups ?? []), [req.placementGroup, (c.placementGroups?.get(req.placementGroup) ?? 0) + 1]]);
}

function checkMovable(x: InstanceIntent): void {
  if (x.deleting) throw new ClusterError('FAILED_PRECONDITION', `instance "${x.name}" is being deleted`);
  if (x.moving) throw new ClusterError('FAILED_PRECONDITION', `instance "${x.name}" is being moved to ${x.moving.to} already`);
}

function errorOf(errors: string[], head?: string): Error {
  return new ClusterError('FAILED_PRECONDITION', head ? `${head}: ${errors.join('; ')}` : errors.join('; '));
}
