/**
 * What a follower forwards to the leader on the Forward stream, and the answer, in the store's
 * codec: lease calls. Writes go as MsgProp raft messages since session 14 (design.md departure
 * 15); the leader still serves `propose` here for a follower of an older build. Errors
 * travel as { error: { code, message, leaderId } } so the caller sees the same error
 * classes as a local call would raise.
 */
import { decode, encode } from '../kv/codec';
import type { Plain } from '../kv/codec';
import type { Command, CommandResult } from '../kv/types';

export type ForwardRequest =
  | { propose: Command; clientId?: string | undefined; seq?: number | undefined }
  | { leaseGrant: { ttl: number; id: number } }
  | { leaseKeepAlive: { id: number } }
  | { leaseTimeToLive: { id: number } };

export type ForwardAnswer =
  | { result: CommandResult }
  | { leaseGrant: { id: number; ttl: number } }
  | { ttl: number }
  | { timeToLive: { ttl: number; grantedTtl: number } }
  | { error: { code: string; message: string; leaderId?: number | undefined } };

export const encodeForward = (r: ForwardRequest | ForwardAnswer): Buffer => encode(r as unknown as Plain);
export const decodeForwardRequest = (b: Buffer): ForwardRequest => decode(b) as unknown as ForwardRequest;
export const decodeForwardAnswer = (b: Buffer): ForwardAnswer => decode(b) as unknown as ForwardAnswer;
