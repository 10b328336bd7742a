/**
 * The agent's side of the cluster: make this host's containers match the intents the store
 * places here, and write back what it observed (packages/control-plane/design.md).
 *
 * Contract:
 * - The intents are kept in memory from this member's store: loaded once (its watch on
 *   /berth/instances/ first, then one linearizable read), then kept by the watch, a record
 *   applied only when its mod revision is newer than the one held (a failed watch drops the
 *   view; the next pass loads it again). A pass reads nothing from the store.
 * - runOnce() takes, for each intent located here: creates it when missing (started or not,
 *   as desired), starts or stops it to match `desired`, and for an intent marked `deleting`
 *   deletes the container and then both records. Each instance's outcome, or its error, goes
 *   to /berth/observed/<name> when it changed.
 * - Which intents a pass takes: those the watch saw change since they were last taken
 *   (first, in the order they changed, also the ones that change while the pass runs), and
 *   on a full pass (at most every FULL_PASS_MS, and the first) then every other one. A launch
 *   thus waits for no sweep of the member's other instances. A full pass lists the containers
 *   once (Agent.list: one `runc list`) and passes by an unchanged intent whose container is
 *   in the desired state with its config, as last reported, nothing else asked (no move,
 *   rename, copy, fence, deletion): the others converge, each asking the runtime itself.
 * - Observed states are written when they change; a launch's operation (intent.launchOp)
 *   ends in the same txn as the state it asked for (see write()).
 * - It is level-triggered: a restarted agent or a rebooted member converges on its first
 *   (full) pass; doing a pass twice changes nothing the second time; an intent whose
 *   convergence failed is taken again on the next full pass.
 * - One instance failing does not stop the others.
 */
import { configDigest, launchTrace, launchTraceOn } from '@berth/control-plane';
import { P_INSTANCES } from '@berth/control-plane';
import type { ClusterStore, InstanceIntent, InstanceObserved } from '@berth/control-plane';
import type { Agent, InstanceView } from '../agent/agent';
import { NotFoundError } from '../errors';
import type { Mover } from './moves';

/** How often incoming copies nobody claims are looked for. */
const SWEEP_MS = 60_000;
/** A pass takes every intent located here at most this often; others take what changed. */

/**
 * The start of an observed error the owner publishes when it fails to delete an instance: a
 * delete waits for the instance to go and fails on such an error only, not on one left by
 * what the instance did before (a start that failed and is retried, say).
 */
export const DELETE_FAILED = 'delete failed: ';

export const FULL_PASS_MS = 2000;

const INSTANCES_FROM = Buffer.from(P_INSTANCES);
const INSTANCES_END = Buffer.from(`${P_INSTANCES.slice(0, -1)}0`);

interface Held { value: InstanceIntent; rev: number }

export class Reconciler {
  /** What we last wrote per instance, so unchanged states are not rewritten every pass. */
  private readonly written = new Map<string, string>();
  private sweptAt = 0;
  /** The intents by name (see the contract); undefined until loaded, and after a failed watch. */
  private view: Map<string, Held> | undefined;
  private watchId: number | undefined;
  /** Names the watch saw change, not taken by a pass since (insertion order = change order). */
  private readonly dirty = new Set<string>();
  private fullAt = 0;
  /** The name the pass is converging (taken again when the pass fails on it). */
  private current: string | undefined;

  constructor(
    private readonly me: string, private readonly store: ClusterStore, private readonly agent: Agent, private readonly mover?: Mover,
    /** Pulls an image the cluster holds elsewhere before a launch here (images.ts). */
    private readonly images?: { ensure(ref: string, why: string): Promise<void> },
  ) {}

  /** Forgets the view (its watch too): the next pass loads it again. */
  reset(): void {
    if (this.watchId !== undefined) this.store.node.cancelWatch(this.watchId);
    this.watchId = undefined;
    this.view = undefined;
    this.fullAt = 0;
  }

  /** Watch first, then read: every change after the read arrives; older ones lose by revision. */
  private async load(): Promise<Map<string, Held>> {
    const view = new Map<string, Held>();
    // While loading, a deleted record's revision stays (the read may still return it).
    const gone = new Map<string, number>();
    let loading = true;
    const apply = (name: string, rev: number, value: () => InstanceIntent | undefined): void => {
      if ((view.get(name)?.rev ?? gone.get(name) ?? 0) >= rev) return;
      const v = value();
      if (v) {
        view.set(name, { value: v, rev });
        gone.delete(name);
      } else {
        view.delete(name);
        if (loading) gone.set(name, rev);
      }
      this.dirty.add(name);
    };
    this.watchId = this.store.node.watch({ key: INSTANCES_FROM, rangeEnd: INSTANCES_END }, (events) => {
      for (const e of events) {
        apply(e.kv.key.toString('utf8', INSTANCES_FROM.length), e.kv.modRevision, () => (e.type === 'PUT' ? JSON.parse(e.kv.value.toString('utf8')) as InstanceIntent : undefined));
      }
    }, () => { if (this.view === view) this.reset(); });
    this.view = view;
    try {
      for (const x of await this.store.instances()) apply(x.value.name, x.modRevision, () => x.value);
    } catch (e) {
      if (this.view === view) this.reset();
      throw e;
    }
    loading = false;
    return view;
  }

  /** One pass (see the contract); `full`: take every intent now (else when FULL_PASS_MS has passed). */
  async runOnce(opts: { full?: boolean } = {}): Promise<void> {
    try {
      await this.pass(opts.full ?? false);
    } catch (e) {
      if (this.current !== undefined) this.dirty.add(this.current);
      throw e;
    } finally {
      this.current = undefined;
    }
  }

  private async pass(forceFull: boolean): Promise<void> {
    launchTrace(this.me, 'rec.pass', '-');
    const view = this.view ?? (await this.load());
    const full = forceFull || Date.now() - this.fullAt >= FULL_PASS_MS;
    if (full) this.fullAt = Date.now();
    const rest = full ? [...view.keys()] : [];
    // A full pass asks the runtime once for every container (one `runc list`, not one `runc
    // state` each); an unchanged intent whose container is as asked and as last reported is
    // passed by (anything else converges as usual).
    const snapshot = full ? new Map((await this.agent.list().catch(() => [])).map((v) => [v.name, v])) : undefined;
    const taken = new Set<string>();
    for (;;) {
      let name: string | undefined = this.dirty.values().next().value;
      let changed = true;
      if (name !== undefined) this.dirty.delete(name);
      else {
        while ((name = rest.pop()) !== undefined && taken.has(name));
        if (name === undefined) break;
        changed = false;
      }
      taken.add(name);
      const value = view.get(name)?.value;
      if (!value || this.view !== view) continue;
      if (!changed && this.asReported(value, snapshot?.get(name))) continue;
      this.current = name;
      if (value.location !== this.me) {
        // A committed move away from here: our copy goes (again after a crash, until done).
        if (value.movedFrom?.member === this.me && this.mover && !this.mover.busy(value.name)) {
          await this.mover.removeMovedCopy(value.name, value.movedFrom.id).catch(() => undefined);
        }
        continue;
      }
      // Leaving: the mover carries it out (and, failing, clears `moving`: then we converge again).
      if (this.mover && value.moving && !value.deleting) this.mover.ensure(value);
      if (this.mover?.busy(value.name)) {
        await this.write(value.name, { location: this.me, status: 'Moving', at: Date.now(), configDigest: configDigest(value.config) });
        continue;
      }
      // A live move that may have left a running copy on its target: stopped here until that member says it holds none.
      if (this.mover && value.fenced && !value.deleting && !(await this.mover.unfence(value).catch(() => false))) {
        await this.write(value.name, { location: this.me, status: 'Stopped', error: `fenced: waiting for ${value.fenced.member} to confirm it runs no copy`, at: Date.now(), configDigest: configDigest(value.config) });
        continue;
      }
      let observed: InstanceObserved;
      try {
        const status = await this.converge(value);
        if (launchTraceOn) launchTrace(this.me, 'rec.converged', value.name, status);
        if (status === 'removed') {
          this.written.delete(value.name);
          continue;
        }
        observed = { location: this.me, status, at: Date.now(), configDigest: configDigest(value.config) };
      } catch (e) {
        observed = { location: this.me, status: 'Error', error: (e as Error).message, at: Date.now() };
      }
      await this.write(value.name, observed, value);
    }
    this.current = undefined;
    if (Date.now() - this.sweptAt > SWEEP_MS) await this.sweepIncoming(new Map([...view].map(([k, x]) => [k, x.value])));
  }

  /** The container is as `i` asks and as we last reported it, and nothing else is asked of it. */
  private asReported(i: InstanceIntent, local: InstanceView | undefined): boolean {
    if (!local || local.incoming || i.location !== this.me || i.deleting || i.moving || i.renaming || i.copyFrom || i.fenced || this.mover?.busy(i.name)) return false;
    const status = local.status === 'Created' ? 'Stopped' : local.status;
    const digest = configDigest(i.config);
    return status === i.desired && configDigest(local.config) === digest && this.written.get(i.name) === `${status}||${digest}`;
  }

  /**
   * Writes what we observed when it changed. With `intent`: when it reached what its launch
   * asked (here, in the desired state) and the launch's operation still runs, not asked to
   * cancel, that operation ends (success, with this location) in the same txn, compared on
   * its record as this member has it (it came in the intent's own txn); the member running
   * the operation then finds it ended (operations.ts). One commit fewer on a launch's path.
   */
  private async write(name: string, observed: InstanceObserved, intent?: InstanceIntent): Promise<void> {
    const key = `${observed.status}|${observed.error ?? ''}|${observed.configDigest ?? ''}`;
    if (this.written.get(name) !== key) {
      const opId = intent?.launchOp && observed.status === intent.desired && !intent.deleting ? intent.launchOp : undefined;
      const op = opId ? await this.store.operation(opId, true).catch(() => undefined) : undefined;
      const end = op && op.value.status === 'running' && !op.value.cancelRequested
        ? { value: { ...op.value, status: 'success', resources: { ...op.value.resources, location: this.me }, updatedAtUnixMs: Date.now() }, modRevision: op.modRevision }
        : undefined;
      await this.store.putObserved(name, observed, end);
      launchTrace(this.me, 'rec.observed', name, observed.status);
      this.written.set(name, key);
    }
  }

  /**
   * Incoming copies nobody claims (their move failed or was abandoned while this member was
   * away, so DropIncoming never reached it) are removed: on the first pass, then now and then.
   */
  private async sweepIncoming(intents: ReadonlyMap<string, InstanceIntent>): Promise<void> {
    this.sweptAt = Date.now();
    for (const [name, moveId] of await this.agent.incomingInstances()) {
      const i = intents.get(name);
      const claimed = !!i && !i.deleting && (i.location === this.me || (i.moving?.to === this.me && i.moving.id === moveId));
      if (!claimed) await this.agent.dropIncoming(name, moveId).catch(() => undefined);
    }
  }

  /** Brings one instance to its intent; returns its status, or 'removed'. */
  private async converge(i: InstanceIntent): Promise<string> {
    let local: { status: string; config: Record<string, string>; incoming?: string | undefined } | undefined;
    try {
      local = await this.agent.get(i.name);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    if (i.renaming) {
      // Renamed in the store: the container takes the new name (it was stopped when asked).
      const old = await this.agent.get(i.renaming.from).catch((e: unknown) => { if (e instanceof NotFoundError) return undefined; throw e; });
      const from = i.renaming.from;
      // Neither name here: say so and keep asking (never launch a fresh one in its place).
      if (!old && !local) throw new Error(`renamed from "${from}", which is not on this member`);
      if (old && !local) local = await this.agent.rename(from, i.name).then(() => this.agent.get(i.name));
      await this.store.changeInstance(i.name, (x) => (x.renaming?.from === from ? { ...x, renaming: undefined } : x));
    }
    if (i.deleting) {
      if (local) {
        try {
          await this.agent.delete(i.name, { force: true });
        } catch (e) {
          throw new Error(`${DELETE_FAILED}${(e as Error).message}`);
        }
      }
      await this.store.removeInstance(i.name);
      return 'removed';
    }
    // Brought here by a move that is now committed: ours.
    if (local?.incoming) await this.agent.settleIncoming(i.name);
    if (!local && i.copyFrom) {
      // A copy of an instance here: made from it, not from the image.
      const c = i.copyFrom;
      await this.agent.copy(c.snapshot ? `${c.name}/${c.snapshot}` : c.name, i.name, { config: i.config, instanceOnly: c.instanceOnly ?? false, start: i.desired === 'Running' });
      await this.store.changeInstance(i.name, (x) => (x.copyFrom ? { ...x, copyFrom: undefined } : x));
      return i.desired === 'Running' ? 'Running' : 'Stopped';
    }
    if (!local) {
      launchTrace(this.me, 'rec.launch', i.name);
      await this.images?.ensure(i.image, `launch of ${i.name}`);
      launchTrace(this.me, 'rec.image', i.name);
      const v = await this.agent.launch({ name: i.name, image: i.image, config: i.config, start: i.desired === 'Running' }, launchTraceOn ? (stage) => launchTrace(this.me, `agent.${stage}`, i.name) : undefined);
      return v.status === 'Created' ? 'Stopped' : v.status;
    }
    // Config changes, applied live where the key allows it (limits), as the agent does alone.
    if (configDigest(local.config) !== configDigest(i.config)) {
      const changes: Record<string, string> = { ...i.config };
      for (const k of Object.keys(local.config)) if (!(k in i.config)) changes[k] = '';
      await this.agent.updateConfig(i.name, changes);
    }
    const status = local.status === 'Created' ? 'Stopped' : local.status;
    if (i.desired === 'Running' && status === 'Stopped') {
      await this.agent.start(i.name);
      return 'Running';
    }
    if (i.desired === 'Stopped' && (status === 'Running' || status === 'Frozen')) {
      await this.agent.stop(i.name, { force: false, timeoutMs: 30_000 });
      return 'Stopped';
    }
    return status;
  }
}
