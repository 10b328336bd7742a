/**
 * berth.v1.InstanceService on a cluster member: writes go to the store as intents (any
 * member serves them; Raft carries them to the leader), the leader places them, the owning
 * member's agent carries them out, and the call answers once the owner reports the outcome
 * (or its error). Calls that act on a running container (exec, console, state, snapshots,
 * freeze) are served by the member that runs it; elsewhere they say which member that is.
 */
import * as grpc from '@grpc/grpc-js';
import type { ExecInput__Output, ExecOutput, Instance, InstanceServiceHandlers } from '@berth/proto';
import { ClusterError, configDigest, launchTrace } from '@berth/control-plane';
import type { InstanceIntent, InstanceObserved } from '@berth/control-plane';
import { validateConfig, validateInstanceName } from '../agent/config';
import { InvalidArgumentError } from '../errors';
import { finished, unary } from '../daemon/grpc';
import { toStatus } from '../daemon/status';
import { CancelledError } from './operations';
import { checkLaunch, explainPlacement } from './placement-api';
import { Moves } from './evacuation';
import type { ClusterMember } from './cluster-member';
import { DELETE_FAILED } from './reconciler';

export function clusterInstanceHandlers(member: ClusterMember, local: InstanceServiceHandlers, waitMs = 120_000): InstanceServiceHandlers {
  const store = member.store;
  const me = member.config.name;
  const moves = new Moves(member);

  /**
   * Waits (on the store's watch) until `done` says the instance reached what was asked, or
   * fails with its error. The first look is a linearizable read; after each wake-up by a
   * change, the records as this member has applied them (at least as new as that first look:
   * no leader round trip per change); after a quiet second, linearizable again (a member cut
   * off from the leader fails the read within the request timeout, as before).
   */
  async function settle(name: string, done: (i: InstanceIntent | undefined, o: InstanceObserved | undefined) => boolean, cancelled: () => boolean = () => false, fails: (error: string) => boolean = () => true): Promise<{ intent?: InstanceIntent | undefined; observed?: InstanceObserved | undefined }> {
    const deadline = Date.now() + waitMs;
    for (let local = false; ;) {
      if (cancelled()) throw new CancelledError('cancelled');
      const next = member.changed(1000);
      const [cur, observed] = await Promise.all([store.instance(name, local), store.observedOf(name, local)]);
      const intent = cur?.value;
      launchTrace(me, 'settle.read', name, `${intent?.location ?? '-'}/${observed?.status ?? '-'}`);
      if (done(intent, observed)) return { intent, observed };
      if (intent?.placementError && !intent.location) throw new ClusterError('FAILED_PRECONDITION', intent.placementError);
      if (observed?.status === 'Error' && observed.error && fails(observed.error)) throw new ClusterError('FAILED_PRECONDITION', `on ${observed.location}: ${observed.error}`);
      if (Date.now() > deadline) {
        throw Object.assign(new Error(`instance "${name}" did not reach its state within ${waitMs / 1000} s (${intent?.location ? `on ${intent.location}, last seen ${observed?.status ?? 'nothing yet'}` : 'not placed yet'}); it is still being worked on`), { code: grpc.status.DEADLINE_EXCEEDED });
      }
      local = await next;
    }
  }

  const reached = (status: string) => (i: InstanceIntent | undefined, o: InstanceObserved | undefined): boolean =>
    !!i && !!o && o.location === i.location && o.status === status;

  /**
   * An instance as the API shows it. On a member that is offline (no liveness key) its status
   * is Unknown: what was last observed may no longer hold; the description says what it was.
   */
  function toWire(i: InstanceIntent, o: InstanceObserved | undefined, live: ReadonlyMap<string, unknown>): Instance {
    let status = o?.status ?? (i.placementError ? 'Error' : 'Pending');
    let description = i.placementError ?? o?.error ?? '';
    if (i.location && !live.has(i.location)) {
      description = `member ${i.location} is offline; last seen ${status}${description ? ` (${description})` : ''}`;
      status = 'Unknown';
    }
    return { name: i.name, status, location: i.location ?? '', config: i.config, imageFingerprint: i.image, stateful: false, createdAtUnixMs: i.createdAt, description };
  }

  /** Where an instance runs: 'here', or the member that owns it; refuses unknown or unplaced. */
  async function ownerOf(name: string): Promise<string> {
    const cur = await store.instance(name);
    if (!cur) throw new ClusterError('NOT_FOUND', `instance "${name}" not found`);
    const at = cur.value.location;
    if (!at) throw new ClusterError('FAILED_PRECONDITION', `instance "${name}" is not placed yet${cur.value.placementError ? `: ${cur.value.placementError}` : ''}`);
    return at === me ? 'here' : at;
  }

  /**
   * For calls on a running container: served by this member's agent when the instance runs
   * here, else forwarded to its owner's own InstanceService over the members' mutual TLS.
   */
  function owned<Req extends { name?: string; instance?: string }, Res>(method: string, h: grpc.handleUnaryCall<Req, Res> | undefined): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const name = call.request.instance ?? call.request.name ?? '';
      ownerOf(name).then(async (at) => {
        if (at === 'here') {
          if (!h) return callback({ code: grpc.status.UNIMPLEMENTED, details: `${method} is not served` });
          return h(call, callback);
        }
        const client = await member.ownerClient(at) as unknown as Record<string, (r: Req, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Res) => void) => void>;
        client[method]!.call(client, call.request, { deadline: Date.now() + 120_000 }, (e, r) => (e ? callback(e) : callback(null, r)));
      }).catch((e: unknown) => callback(toStatus(e)));
    };
  }

  /** Exec: the start frame names the instance; the stream goes to its owner's agent, here or there. */
  const exec: grpc.handleBidiStreamingCall<ExecInput__Output, ExecOutput> = (call) => {
    call.once('data', (first: ExecInput__Output) => {
      call.pause();
      const name = first.start?.instance ?? '';
      ownerOf(name).then(async (at) => {
        if (at === 'here') {
          local.Exec(call);
          call.emit('data', first);
          call.resume();
          return;
        }
        const up = (await member.ownerClient(at)).Exec();
        up.on('data', (o: ExecOutput) => call.write(o));
        up.on('end', () => call.end());
        up.on('error', (e: grpc.ServiceError) => call.emit('error', { code: e.code, details: e.details, metadata: e.metadata }));
        call.on('data', (f: ExecInput__Output) => up.write(f));
        call.on('end', () => up.end());
        call.on('cancelled', () => up.cancel());
        up.write(first);
        call.resume();
      }).catch((e: unknown) => call.emit('error', toStatus(e)));
    });
  };

  return {
    ...local,
    CreateInstance: unary(async (r) => {
      launchTrace(me, 'api.recv', r.name);
      validateInstanceName(r.name);
      if (!r.image) throw new InvalidArgumentError('image', 'image is empty');
      // Config keys, limits as placement reads them (bounded by the member, not this host), @group.
      await checkLaunch(store, r);
      // Explain, change nothing: each member's verdict and score as the leader's placement would see it now.
      if (r.dryRun) return explainPlacement(store, r);
      const desired = r.start ? 'Running' : 'Stopped';
      launchTrace(me, 'api.checked', r.name);
      const intent: InstanceIntent = { name: r.name, image: r.image, config: r.config, desired, createdAt: Date.now(), target: r.target || undefined };
      // On the leader, placed in the same txn (else the leader's placer takes it from the store).
      const early = await member.placeAtCreation(intent);
      if (early) intent.location = early.location;
      return member.operations.start({
        description: `launch ${r.name}`,
        resources: { instances: `/1.0/instances/${r.name}` },
        // The intent and its operation in one txn: a taken name records neither. The owner
        // ends the operation in the txn that records the state reached (reconciler.ts).
        record: async (op) => {
          let rev: number | undefined;
          try {
            rev = await store.createInstance({ ...intent, launchOp: op.id }, op);
            return rev;
          } finally {
            early?.settle(rev);
          }
        },
        run: async (cancelled) => ({ location: (await settle(r.name, reached(desired), cancelled)).intent?.location ?? '' }),
        // Cancelled before it runs: the instance goes (never placed: its records; else its owner deletes it).
        cancel: async () => {
          const cur = await store.instance(r.name);
          if (!cur) return;
          if (!cur.value.location) await store.removeInstance(r.name);
          else await store.changeInstance(r.name, (i) => ({ ...i, deleting: true }));
        },
      });
    }),
    ListInstances: unary(async (r) => {
      const [intents, observed, live] = await Promise.all([store.instances(), store.observed(), store.live()]);
      const all = intents.map(({ value }) => toWire(value, observed.get(value.name), live));
      return { instances: r.location ? all.filter((i) => i.location === r.location) : all };
    }),
    GetInstance: unary(async (r) => {
      const cur = await store.instance(r.name);
      if (!cur) throw new ClusterError('NOT_FOUND', `instance "${r.name}" not found`);
      const [o, live] = await Promise.all([store.observedOf(r.name), store.live()]);
      return toWire(cur.value, o, live);
    }),
    ChangeState: unary(async (r) => {
      if (r.action === 'start' || r.action === 'stop') {
        if (r.stateful) throw new InvalidArgumentError('stateful', 'stateful stop is not served in a cluster yet');
        const desired = r.action === 'start' ? 'Running' : 'Stopped';
        let before: InstanceIntent['desired'] = desired;
        await store.changeInstance(r.name, (i) => {
          before = i.desired;
          return { ...i, desired };
        });
        return member.operations.start({
          description: `${r.action} ${r.name}`,
          resources: { instances: `/1.0/instances/${r.name}` },
          run: async (cancelled) => { await settle(r.name, reached(desired), cancelled); },
          // Cancelled (its owner is away, say): the instance is asked for what it was asked before.
          cancel: async () => { await store.changeInstance(r.name, (i) => (i.desired === desired ? { ...i, desired: before } : i)); },
        });
      }
      if (r.action === 'restart') {
        await store.changeInstance(r.name, (i) => ({ ...i, desired: 'Stopped' }));
        return member.operations.start({
          description: `restart ${r.name}`,
          resources: { instances: `/1.0/instances/${r.name}` },
          run: async () => {
            await settle(r.name, reached('Stopped'));
            await store.changeInstance(r.name, (i) => ({ ...i, desired: 'Running' }));
            await settle(r.name, reached('Running'));
          },
        });
      }
      const h = owned('ChangeState', local.ChangeState as grpc.handleUnaryCall<typeof r, unknown>);
      return new Promise((resolve, reject) => h({ request: r } as grpc.ServerUnaryCall<typeof r, unknown>, (e, v) => (e ? reject(Object.assign(new Error(e.details ?? 'failed'), { code: e.code })) : resolve(v as ReturnType<typeof finished>))));
    }),
    DeleteInstance: unary(async (r) => {
      const cur = await store.instance(r.name);
      if (!cur) throw new ClusterError('NOT_FOUND', `instance "${r.name}" not found`);
      const o = await store.observedOf(r.name);
      // Anything but stopped (running, frozen, mid-snapshot, in error) needs --force.
      if (!r.force && o && o.status !== 'Stopped') throw new ClusterError('FAILED_PRECONDITION', `instance "${r.name}" is ${o.status === 'Running' ? 'running' : o.status.toLowerCase()}: stop it first or use --force`);
      if (!cur.value.location) {
        await store.removeInstance(r.name); // never placed: nobody has anything to delete
        return finished(`delete ${r.name}`);
      }
      // Only the owner deletes the container: with the owner offline the delete would wait for it.
      const owner = cur.value.location;
      if (!(await store.live()).has(owner)) {
        throw new ClusterError('FAILED_PRECONDITION', `instance "${r.name}" is on member ${owner}, which is offline: only its member can delete it; bring ${owner} back, or if it is lost for good, \`berth cluster remove --force ${owner}\` drops the records of its instances`);
      }
      await store.changeInstance(r.name, (i) => ({ ...i, deleting: true }));
      return member.operations.start({ description: `delete ${r.name}`, resources: { instances: `/1.0/instances/${r.name}` }, run: async () => { await settle(r.name, (i) => !i, undefined, (error) => error.startsWith(DELETE_FAILED)); } });
    }),
    GetInstanceState: owned('GetInstanceState', local.GetInstanceState),
    ConsoleLog: owned('ConsoleLog', local.ConsoleLog),
    CreateSnapshot: owned('CreateSnapshot', local.CreateSnapshot),
    ListSnapshots: owned('ListSnapshots', local.ListSnapshots),
    RestoreSnapshot: owned('RestoreSnapshot', local.RestoreSnapshot),
    DeleteSnapshot: owned('DeleteSnapshot', local.DeleteSnapshot),
    Exec: exec,
    MoveInstance: unary(async (r) => moves.move(r.name, r.target, r.mode)),
    CopyInstance: unary(async (r) => moves.copy(r)),
    RenameInstance: unary(async (r) => {
      validateInstanceName(r.newName, 'new_name');
      const cur = await store.instance(r.name);
      if (!cur) throw new ClusterError('NOT_FOUND', `instance "${r.name}" not found`);
      if (r.newName === r.name) throw new InvalidArgumentError('new_name', `"${r.newName}" is the instance's name already`);
      const i = cur.value;
      if (i.moving || i.deleting || i.renaming) throw new ClusterError('FAILED_PRECONDITION', `instance "${r.name}" is being ${i.moving ? 'moved' : i.deleting ? 'deleted' : 'renamed'}`);
      const o = await store.observedOf(r.name);
      if (i.location && (i.desired !== 'Stopped' || o?.status !== 'Stopped')) throw new ClusterError('FAILED_PRECONDITION', `instance "${r.name}" is ${o?.status.toLowerCase() ?? 'not stopped yet'}: stop it before renaming it`);
      await store.renameInstance(cur, r.newName);
      if (!i.location) return finished(`rename ${r.name} to ${r.newName}`, { instances: `/1.0/instances/${r.newName}` });
      return member.operations.start({
        description: `rename ${r.name} to ${r.newName}`,
        resources: { instances: `/1.0/instances/${r.newName}` },
        run: async () => { await settle(r.newName, (x, ob) => !!x && !x.renaming && reached('Stopped')(x, ob)); },
      });
    }),
    UpdateInstance: unary(async (r) => {
      validateConfig(r.config);
      let before: Record<string, string> = {};
      const next = await store.changeInstance(r.name, (i) => {
        before = i.config;
        const config = { ...i.config };
        for (const [k, v] of Object.entries(r.config)) {
          if (v === '') delete config[k];
          else config[k] = v;
        }
        return { ...i, config };
      });
      const want = configDigest(next.config);
      if (!next.location) return finished(`update ${r.name}`);
      return member.operations.start({
        description: `update ${r.name}`,
        resources: { instances: `/1.0/instances/${r.name}` },
        run: async () => {
          try {
            await settle(r.name, (i, o) => !!i && !!o && o.location === i.location && o.configDigest === want);
          } catch (e) {
            // The owner could not apply it (a key that needs the instance stopped, say): the
            // intent goes back to what it was, unless someone changed it meanwhile.
            await store.changeInstance(r.name, (i) => (configDigest(i.config) === want ? { ...i, config: before } : i)).catch(() => undefined);
            throw e;
          }
        },
      });
    }),
  };
}
