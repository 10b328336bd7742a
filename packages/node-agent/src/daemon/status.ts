/** The one place where the agent's errors become gRPC statuses (and `field` travels as metadata). */
import * as grpc from '@grpc/grpc-js';
import { AgentError, InvalidArgumentError, NotSupportedError } from '../errors';

const CODES: Record<string, grpc.status> = {
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_SUPPORTED: grpc.status.UNIMPLEMENTED,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  INTERNAL: grpc.status.INTERNAL,
};

export function toStatus(e: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (e instanceof InvalidArgumentError) metadata.set('berth-field', e.field);
  if (e instanceof NotSupportedError) metadata.set('berth-capability', e.capability);
  if (e instanceof AgentError) return { code: CODES[e.code] ?? grpc.status.UNKNOWN, details: e.message, metadata };
  return { code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e), metadata };
}
