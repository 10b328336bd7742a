/**
 * The agent's side of the cluster: make this host's containers match the intents the store
 * places here, and write back what it observed (packages/control-plane/design.md).
 *
 * Contract:
 * - runOnce() reads every intent (linearizably) and, for each located here: creates it when
 *   missing (started or not, as desired), starts or stops it to match `desired`, and for an
 *   intent marked `deleting` deletes the container and then both records. Each instance's
 *   outcome, or its error, goes to /berth/observed/<name> when it changed.
 * - It is level-triggered: a restarted agent or a rebooted member converges on its next pass;
 *   doing a pass twice changes nothing the second time.
 * - One instance failing does not stop the others.
 */
import { configDigest } from '@berth/control-plane';
import type { ClusterStore, InstanceIntent, InstanceObserved } from '@berth/control-plane';
import type { Agent } from '../agent/agent';
import { NotFoundError } from '../errors';
import type { Mover } from './moves';

/** How often incoming copies nobody claims are looked for. */
const SWEEP_MS = 60_000;

export class Reconciler {
  /** What we last wrote per instance, so unchanged states are not rewritten every pass. */
  private readonly written = new Map<string, string>();
  private sweptAt = 0;

  constructor(private readonly me: string, private readonly store: ClusterStore, private readonly agent: Agent, private readonly mover?: Mover) {}

  async runOnce(): Promise<void> {
    const intents = await this.store.instances();
    for (const { value } of intents) {
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
      let observed: InstanceObserved;
      try {
        const status = await this.converge(value);
        if (status === 'removed') {
          this.written.delete(value.name);
          continue;
        }
        observed = { location: this.me, status, at: Date.now(), configDigest: configDigest(value.config) };
      } catch (e) {
        observed = { location: this.me, status: 'Error', error: (e as Error).message, at: Date.now() };
      }
      await this.write(value.name, observed);
    }
    if (Date.now() - this.sweptAt > SWEEP_MS) await this.sweepIncoming(new Map(intents.map((x) => [x.value.name, x.value])));
  }

  private async write(name: string, observed: InstanceObserved): Promise<void> {
    const key = `${observed.status}|${observed.error ?? ''}|${observed.configDigest ?? ''}`;
    if (this.written.get(name) !== key) {
      await this.store.putObserved(name, observed);
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
      if (local) await this.agent.delete(i.name, { force: true });
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
      const v = await this.agent.launch({ name: i.name, image: i.image, config: i.config, start: i.desired === 'Running' });
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
