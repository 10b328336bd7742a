/**
 * The one place where raft-store's errors become gRPC statuses. Messages use etcd's
 * wording ("etcdserver: ...") where etcd has one, because etcd's clients recognise those
 * strings (clientv3's rpctypes) and etcdctl prints them; the rest of the message says
 * what happened in berth's terms.
 */
import * as grpc from '@grpc/grpc-js';
import type { KvErrorCode } from '../kv/types';

export interface StatusError {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

const KV_CODES: Record<KvErrorCode, [grpc.status, string]> = {
  KEY_NOT_FOUND: [grpc.status.INVALID_ARGUMENT, 'etcdserver: key not found'],
  LEASE_NOT_FOUND: [grpc.status.NOT_FOUND, 'etcdserver: requested lease not found'],
  LEASE_EXISTS: [grpc.status.FAILED_PRECONDITION, 'etcdserver: lease already exists'],
  COMPACTED: [grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'],
  FUTURE_REVISION: [grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'],
  INVALID_ARGUMENT: [grpc.status.INVALID_ARGUMENT, 'etcdserver: invalid argument'],
  DUPLICATE_KEY: [grpc.status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'],
  STALE_SEQUENCE: [grpc.status.FAILED_PRECONDITION, 'etcdserver: stale request sequence'],
};

/** The metadata key that carries the leader's client address with a NOT_LEADER answer. */
export const LEADER_ADDRESS_KEY = 'berth-leader-address';

export function toStatus(e: unknown): StatusError {
  const err = e as { code?: unknown; message?: string; leaderId?: number; leaderAddress?: string };
  const msg = err?.message ?? String(e);
  switch (err?.code) {
    case 'NOT_LEADER': {
      const md = new grpc.Metadata();
      if (err.leaderAddress) md.set(LEADER_ADDRESS_KEY, err.leaderAddress);
      // etcd says "no leader" when none is known; when one is, berth names it (the client chose not to be forwarded).
      return { code: grpc.status.UNAVAILABLE, details: err.leaderId ? `etcdserver: not leader: ${msg}` : `etcdserver: no leader (${msg})`, metadata: md };
    }
    case 'TIMEOUT': return { code: grpc.status.UNAVAILABLE, details: `etcdserver: request timed out (${msg})` };
    case 'PROPOSAL_LOST': return { code: grpc.status.UNAVAILABLE, details: `etcdserver: request timed out, possibly due to previous leader failure (${msg})` };
    case 'STOPPED': return { code: grpc.status.UNAVAILABLE, details: `etcdserver: server stopped (${msg})` };
    case 'PROPOSAL_DROPPED': return { code: grpc.status.UNAVAILABLE, details: `etcdserver: too many requests (${msg})` };
    case 'CONF_CHANGE_REFUSED': return { code: grpc.status.FAILED_PRECONDITION, details: `etcdserver: ${msg}` };
    case 'TRANSFER_REFUSED': return { code: grpc.status.FAILED_PRECONDITION, details: `etcdserver: ${msg}` };
    case 'INVALID_ARGUMENT': return { code: grpc.status.INVALID_ARGUMENT, details: `etcdserver: ${msg}` };
    default: break;
  }
  if (typeof err?.code === 'string' && err.code in KV_CODES) {
    const [code, etcdText] = KV_CODES[err.code as KvErrorCode];
    return { code, details: msg && !msg.startsWith('etcdserver') ? `${etcdText} (${msg})` : etcdText };
  }
  return { code: grpc.status.INTERNAL, details: `raft-store: ${msg}` };
}

/** A state-machine refusal carried as an error. */
export function refusal(code: KvErrorCode, message: string): Error & { code: KvErrorCode } {
  return Object.assign(new Error(message), { code });
}
