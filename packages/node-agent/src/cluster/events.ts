/**
 * EventService.WatchEvents on a cluster member: the store's changes under /berth/, as they are
 * applied on this member, told as LXD-shaped events (`lxc monitor`): type `lifecycle`
 * (instance-created, instance-started, instance-stopped, instance-error, instance-deleted,
 * cluster-member-added, cluster-member-removed) or `operation` (the operation record, at each
 * change). Every member tells every event, whichever member caused it; `location` is the
 * member concerned. Filters: types, and one instance.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Event, WatchEventsRequest__Output } from '@berth/proto';
import { P_INSTANCES, P_MEMBERS, P_OBSERVED, P_OPERATIONS } from '@berth/control-plane';
import type { InstanceIntent, InstanceObserved, OperationRecord } from '@berth/control-plane';
import type { RaftNode } from '@berth/raft-store';

type StoreEvent = Parameters<Parameters<RaftNode['watch']>[1]>[0][number];

const LIFECYCLE: Record<string, string> = { Running: 'instance-started', Stopped: 'instance-stopped', Error: 'instance-error', Frozen: 'instance-paused' };

/** What one change in the store means to an operator, if anything. */
export function toEvents(e: StoreEvent, now = Date.now()): Event[] {
  const key = e.kv.key.toString('utf8');
  const value = <T>(): T => JSON.parse(e.kv.value.toString('utf8')) as T;
  const prev = <T>(): T | undefined => (e.prevKv ? JSON.parse(e.prevKv.value.toString('utf8')) as T : undefined);
  const ev = (type: string, location: string, metadata: object): Event => ({ type, timestampUnixMs: now, location, metadataJson: JSON.stringify(metadata) });
  if (key.startsWith(P_INSTANCES)) {
    const name = key.slice(P_INSTANCES.length);
    if (e.type === 'DELETE') return [ev('lifecycle', prev<InstanceIntent>()?.location ?? '', { action: 'instance-deleted', source: `/1.0/instances/${name}`, name })];
    const i = value<InstanceIntent>();
    if (e.kv.version === 1) {
      const created = ev('lifecycle', i.location ?? '', { action: 'instance-created', source: `/1.0/instances/${name}`, name });
      // Placed in the txn that created it (the API member leads): both, as when placed after.
      return i.location ? [created, ev('lifecycle', i.location, { action: 'instance-placed', source: `/1.0/instances/${name}`, name })] : [created];
    }
    if (i.location && !prev<InstanceIntent>()?.location) return [ev('lifecycle', i.location, { action: 'instance-placed', source: `/1.0/instances/${name}`, name })];
    return [];
  }
  if (key.startsWith(P_OBSERVED) && e.type === 'PUT') {
    const name = key.slice(P_OBSERVED.length);
    const o = value<InstanceObserved>();
    const before = prev<InstanceObserved>();
    const action = LIFECYCLE[o.status];
    if (!action || before?.status === o.status) return [];
    return [ev('lifecycle', o.location, { action, source: `/1.0/instances/${name}`, name, ...(o.error ? { error: o.error } : {}) })];
  }
  if (key.startsWith(P_MEMBERS)) {
    const name = key.slice(P_MEMBERS.length);
    if (e.type === 'DELETE') return [ev('lifecycle', name, { action: 'cluster-member-removed', source: `/1.0/cluster/members/${name}`, name })];
    if (e.kv.version === 1) return [ev('lifecycle', name, { action: 'cluster-member-added', source: `/1.0/cluster/members/${name}`, name })];
    return [];
  }
  if (key.startsWith(P_OPERATIONS) && e.type === 'PUT') {
    const op = value<OperationRecord>();
    return [ev('operation', op.location, { id: op.id, description: op.description, status: op.status, err: op.error, resources: op.resources })];
  }
  return [];
}

/** The server-streaming handler; the stream ends when the client goes or the member stops. */
export function watchEvents(node: RaftNode): grpc.handleServerStreamingCall<WatchEventsRequest__Output, Event> {
  return (call) => {
    const types = new Set(call.request.types.filter(Boolean));
    const instance = call.request.instance;
    const id = node.watch({ key: Buffer.from('/berth/'), rangeEnd: Buffer.from('/berth0'), prevKv: true }, (events) => {
      for (const e of events) {
        for (const out of toEvents(e)) {
          if (types.size > 0 && !types.has(out.type ?? '')) continue;
          const md = out.metadataJson ?? '{}';
          if (instance && (JSON.parse(md) as { name?: string }).name !== instance && !(out.type === 'operation' && md.includes(`/1.0/instances/${instance}"`))) continue;
          call.write(out);
        }
      }
    }, () => call.end());
    const stop = (): void => { node.cancelWatch(id); };
    call.on('cancelled', stop);
    call.on('close', stop);
  };
}
