/** berth.v1.StoreAdmin: a member's status with its metrics, beside etcd's API. */
import { loadBerthV1 } from '@berth/proto';
import type { StoreStatus } from '@berth/proto';
import type { GrpcH2Server } from './h2/grpc-server';
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

export function registerAdmin(server: GrpcH2Server, node: RaftNode): void {
  server.addService(loadBerthV1().StoreAdmin.service, { Status: async () => statusToWire(node) });
}
