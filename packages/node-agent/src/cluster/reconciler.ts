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

export class Reconciler {
  /** What we last wrote per instance, so unchanged states are not rewritten every pass. */
  private readonly written = new Map<string, string>();

  constructor(private readonly me: string, private readonly store: ClusterStore, private readonly agent: Agent) {}

  async runOnce(): Promise<void> {
    const intents = await this.store.instances();
    for (const { value } of intents) {
      if (value.location !== this.me) continue;
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
      const key = `${observed.status}|${observed.error ?? ''}|${observed.configDigest ?? ''}`;
      if (this.written.get(value.name) !== key) {
        await this.store.putObserved(value.name, observed);
        this.written.set(value.name, key);
      }
    }
  }

  /** Brings one instance to its intent; returns its status, or 'removed'. */
  private async converge(i: InstanceIntent): Promise<string> {
    let local: { status: string; config: Record<string, string> } | undefined;
    try {
      local = await this.agent.get(i.name);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    if (i.deleting) {
      if (local) await this.agent.delete(i.name, { force: true });
      await this.store.removeInstance(i.name);
      return 'removed';
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
