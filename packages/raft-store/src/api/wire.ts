/**
 * Conversions between etcd's wire messages (as @grpc/proto-loader decodes them) and the
 * state machine's types. The only place that knows both shapes.
 */
import type { etcd } from '@berth/proto';
import type {
  Compare, DeleteRangeRequest, KeyValue, PutRequest, RangeRequest, RequestOp, ResponseOp, TxnRequest, TxnResponse, WatchEvent,
} from '../kv/types';

const buf = (b: Buffer | Uint8Array | string | null | undefined): Buffer => (b == null ? Buffer.alloc(0) : Buffer.isBuffer(b) ? b : Buffer.from(b as Uint8Array));
const optBuf = (b: Buffer | null | undefined): Buffer | undefined => (b && b.length > 0 ? b : undefined);

export function rangeFromWire(r: etcd.RangeRequest__Output): RangeRequest {
  return { key: buf(r.key), rangeEnd: optBuf(r.rangeEnd), limit: Number(r.limit), revision: Number(r.revision), keysOnly: r.keysOnly, countOnly: r.countOnly };
}

export function putFromWire(r: etcd.PutRequest__Output): PutRequest {
  return { key: buf(r.key), value: buf(r.value), lease: Number(r.lease), prevKv: r.prevKv, ignoreValue: r.ignoreValue, ignoreLease: r.ignoreLease };
}

export function deleteFromWire(r: etcd.DeleteRangeRequest__Output): DeleteRangeRequest {
  return { key: buf(r.key), rangeEnd: optBuf(r.rangeEnd), prevKv: r.prevKv };
}

function compareFromWire(c: etcd.Compare__Output): Compare {
  return {
    result: c.result, target: c.target, key: buf(c.key), rangeEnd: optBuf(c.rangeEnd),
    version: Number(c.version ?? 0), createRevision: Number(c.createRevision ?? 0), modRevision: Number(c.modRevision ?? 0),
    value: c.value ? buf(c.value) : undefined, lease: Number(c.lease ?? 0),
  };
}

function opFromWire(op: etcd.RequestOp__Output): RequestOp {
  switch (op.request) {
    case 'requestRange': return { requestRange: rangeFromWire(op.requestRange!) };
    case 'requestPut': return { requestPut: putFromWire(op.requestPut!) };
    case 'requestDeleteRange': return { requestDeleteRange: deleteFromWire(op.requestDeleteRange!) };
    case 'requestTxn': return { requestTxn: txnFromWire(op.requestTxn!) };
    default: throw new WireError('a transaction operation names no request');
  }
}

export function txnFromWire(t: etcd.TxnRequest__Output): TxnRequest {
  return { compare: t.compare.map(compareFromWire), success: t.success.map(opFromWire), failure: t.failure.map(opFromWire) };
}

/** A request that cannot be read; becomes INVALID_ARGUMENT. */
export class WireError extends Error {
  override readonly name = 'WireError';
  readonly code = 'INVALID_ARGUMENT';
}

export function kvToWire(kv: KeyValue): etcd.KeyValue {
  return { key: kv.key, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, value: kv.value, lease: kv.lease };
}

export function eventToWire(ev: WatchEvent): etcd.Event {
  const out: etcd.Event = { type: ev.type, kv: kvToWire(ev.kv) };
  if (ev.prevKv) out.prevKv = kvToWire(ev.prevKv);
  return out;
}

export function responseOpToWire(op: ResponseOp, header: etcd.ResponseHeader): etcd.ResponseOp {
  if ('responseRange' in op) return { responseRange: { header, kvs: op.responseRange.kvs.map(kvToWire), more: op.responseRange.more, count: op.responseRange.count } };
  if ('responsePut' in op) return { responsePut: { header, ...(op.responsePut.prevKv ? { prevKv: kvToWire(op.responsePut.prevKv) } : {}) } };
  if ('responseDeleteRange' in op) return { responseDeleteRange: { header, deleted: op.responseDeleteRange.deleted, prevKvs: op.responseDeleteRange.prevKvs.map(kvToWire) } };
  return { responseTxn: txnToWire(op.responseTxn, header) };
}

export function txnToWire(t: TxnResponse, header: etcd.ResponseHeader): etcd.TxnResponse {
  return { header, succeeded: t.succeeded, responses: t.responses.map((r) => responseOpToWire(r, header)) };
}
