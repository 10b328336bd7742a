/** The one place where the agent's errors become gRPC statuses (and `field` travels as metadata). */
import * as grpc from '@grpc/grpc-js';
import { ClusterError } from '@berth/control-plane';
import { NotLeaderNodeError, TimeoutError } from '@berth/raft-store';
import { AgentError, InvalidArgumentError, NotSupportedError } from '../errors';

const CODES: Record<string, grpc.status> = {
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_SUPPORTED: grpc.status.UNIMPLEMENTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  INTERNAL: grpc.status.INTERNAL,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
};

export function toStatus(e: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  // Marks an answer of berthd itself: the CLI tells "the store has no quorum" (UNAVAILABLE
  // from the daemon) from "the daemon cannot be reached" (UNAVAILABLE from the channel).
  metadata.set('berth-server', '1');
  if (e instanceof InvalidArgumentError) metadata.set('berth-field', e.field);
  if (e instanceof NotSupportedError) metadata.set('berth-capability', e.capability);
  if (e instanceof AgentError || e instanceof ClusterError) return { code: CODES[e.code] ?? grpc.status.UNKNOWN, details: e.message, metadata };
  // The store without a leader or a quorum: try again later (or elsewhere).
  if (e instanceof NotLeaderNodeError || e instanceof TimeoutError) return { code: grpc.status.UNAVAILABLE, details: e.message, metadata };
  const c = (e as { code?: unknown } | null)?.code;
  if (typeof c === 'number' && c in grpc.status) return { code: c, details: (e as Error).message, metadata };
  return { code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e), metadata };
}
