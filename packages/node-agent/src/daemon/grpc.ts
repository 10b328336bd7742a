/** What the daemon's gRPC services share: unary handlers over promises, finished operations. */
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { OperationResponse } from '@berth/proto';
import { toStatus } from './status';

/** A unary handler from an async function; errors go through the one status mapping. */
export function unary<Req, Res>(fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request).then((res) => callback(null, res), (e: unknown) => callback(toStatus(e)));
  };
}

/** An operation carried out before the answer (single-host mode has no async operations yet). */
export function finished(description: string, resources: Record<string, string> = {}, id: string = randomUUID()): OperationResponse {
  const now = Date.now();
  return {
    operation: {
      id, description, status: 'success', mayCancel: false, resources, metadata: {},
      error: '', errorCode: '', createdAtUnixMs: now, updatedAtUnixMs: now, location: '',
    },
  };
}
