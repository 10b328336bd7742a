/** berth.v1.StoreAdmin: a member's status with its metrics, beside etcd's API. */
import type * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { StoreAdminHandlers, StoreStatus } from '@berth/proto';
import type { RaftNode } from '../node/raft-node';

export function statusToWire(node: RaftNode): StoreStatus {
  const s = node.status();
  return {
    id: s.id, clusterId: s.clusterId, term: s.term, leader: s.leader, role: s.role, commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex, firstIndex: s.firstIndex, lastIndex: s.lastIndex, revision: s.revision,
    voters: [...s.voters], learners: [...s.learners],
    progress: (s.progress ?? []).map((p) => ({ id: p.id, match: p.match, next: p.next, state: p.state, learner: p.learner, active: p.active, rttMs: p.rttMs })),
    metrics: { ...s.metrics },
  };
}

export function registerAdmin(server: grpc.Server, node: RaftNode): void {
  const handlers: StoreAdminHandlers = {
    Status: (_call, callback) => callback(null, statusToWire(node)),
  };
  server.addService(loadBerthV1().StoreAdmin.service, handlers);
}
