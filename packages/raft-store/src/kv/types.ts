/**
 * The key-value model of berth's state store: etcd v3's, field for field (camelCase as the
 * gRPC layer decodes them), so the etcd-compatible API passes requests straight through.
 *
 * Revisions: one global counter. Every write that changes something (a put, a delete that
 * removed at least one key, a transaction with such an op, a lease revoke that deleted
 * keys) advances it by one; all changes of one request share that revision. A key's
 * createRevision is when it was (last) created, modRevision when it last changed, version
 * counts its changes since creation (a delete resets it).
 */

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  /** Lease id, 0 for none. */
  lease: number;
}

export type EventType = 'PUT' | 'DELETE';

export interface WatchEvent {
  type: EventType;
  /** For DELETE: the key with modRevision = the delete's revision and empty value. */
  kv: KeyValue;
  prevKv?: KeyValue | undefined;
}

/** Ranges as etcd: no rangeEnd = one key; rangeEnd "\0" = every key >= key; else [key, rangeEnd). */
export interface RangeRequest {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  /** 0: no limit. */
  limit?: number | undefined;
  /** Read at this revision (0: current). Older than the compacted revision is an error. */
  revision?: number | undefined;
  keysOnly?: boolean | undefined;
  countOnly?: boolean | undefined;
  /**
   * Not on etcd's wire: berth's own paged reads that do not need the range's total. With a
   * limit, `count` is then only what was returned (and `more` still says if there is more),
   * so the read costs the page, not the range.
   */
  skipCount?: boolean | undefined;
}

export interface RangeResponse {
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease?: number | undefined;
  prevKv?: boolean | undefined;
  ignoreValue?: boolean | undefined;
  ignoreLease?: boolean | undefined;
}

export interface PutResponse {
  prevKv?: KeyValue | undefined;
}

export interface DeleteRangeRequest {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  prevKv?: boolean | undefined;
}

export interface DeleteRangeResponse {
  deleted: number;
  prevKvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  version?: number | undefined;
  createRevision?: number | undefined;
  modRevision?: number | undefined;
  value?: Buffer | undefined;
  lease?: number | undefined;
}

export type RequestOp =
  | { requestRange: RangeRequest }
  | { requestPut: PutRequest }
  | { requestDeleteRange: DeleteRangeRequest }
  | { requestTxn: TxnRequest };

export type ResponseOp =
  | { responseRange: RangeResponse }
  | { responsePut: PutResponse }
  | { responseDeleteRange: DeleteRangeResponse }
  | { responseTxn: TxnResponse };

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface LeaseGrantRequest {
  /** Chosen by the proposer (never 0 in a command), so every member applies the same id. */
  id: number;
  /** Seconds. */
  ttl: number;
}

/**
 * A write replicated through Raft: exactly one field is set. Reads do not go through the
 * log (they use ReadIndex), except ranges inside a transaction.
 */
export type Command =
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest }
  | { compaction: { revision: number } }
  | { leaseGrant: LeaseGrantRequest }
  | { leaseRevoke: { id: number } }
  /** Records where a member can be reached (berth's, not etcd's): before it is added, and on address changes. */
  | { member: MemberRecord }
  | { memberRemove: { id: number } };

export interface MemberRecord {
  id: number;
  /** host:port of its member-to-member (Raft) endpoint. */
  address: string;
  /** Its client (etcd API) endpoint, if it serves one. */
  clientAddress?: string | undefined;
  name?: string | undefined;
}

/** What applying a command gave: a response, or a deterministic refusal (nothing changed). */
export type CommandResult =
  | { ok: true; revision: number; put?: PutResponse; deleteRange?: DeleteRangeResponse; txn?: TxnResponse; leaseGrant?: { id: number; ttl: number }; leaseRevoke?: { deleted: number }; compaction?: { revision: number }; member?: MemberRecord }
  | { ok: false; revision: number; code: KvErrorCode; message: string };

export type KvErrorCode =
  | 'KEY_NOT_FOUND'
  | 'LEASE_NOT_FOUND'
  | 'LEASE_EXISTS'
  | 'COMPACTED'
  | 'FUTURE_REVISION'
  | 'INVALID_ARGUMENT'
  | 'DUPLICATE_KEY'
  | 'STALE_SEQUENCE';

export interface Lease {
  id: number;
  ttl: number;
}
