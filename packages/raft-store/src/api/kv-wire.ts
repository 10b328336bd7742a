/**
 * Hand-written protobuf codec for the hottest calls of etcd's KV service: PutRequest and
 * RangeRequest in, PutResponse and RangeResponse out (field numbers of proto/etcd, which are
 * etcd's). The decoders return exactly the objects @grpc/proto-loader makes with berth's
 * LOADER_OPTIONS (every field present with its default, int64 as numbers, enums as names),
 * so the handlers cannot tell the two apart; kv-wire.test.ts checks both directions against
 * protobufjs. Registered as those methods' serializers in EtcdApi.register.
 */
import type { etcd } from '@berth/proto';
import { lenField, numField, PbReader, PbWriter, WIRE } from '../node/protobuf';

const { LEN } = WIRE;
const EMPTY: Buffer = Buffer.alloc(0);
const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;

type Bytes = Buffer | Uint8Array | string | undefined | null;
type Num = number | string | { toString(): string } | undefined | null;

const bytesOf = (b: Bytes): Uint8Array => (b == null ? EMPTY : typeof b === 'string' ? Buffer.from(b) : b);
const num = (n: Num): number => (n == null ? 0 : typeof n === 'number' ? n : Number(n.toString()));

// ---------------------------------------------------------------- requests

export function decodePutRequest(buf: Buffer): etcd.PutRequest__Output {
  const r = new PbReader(buf);
  const out: etcd.PutRequest__Output = { key: EMPTY, value: EMPTY, lease: 0, prevKv: false, ignoreValue: false, ignoreLease: false };
  while (r.pos < r.end) {
    const key = r.varint();
    switch (key >>> 3) {
      case 1: out.key = r.bytes(); break;
      case 2: out.value = r.bytes(); break;
      case 3: out.lease = r.int64(); break;
      case 4: out.prevKv = r.varint() !== 0; break;
      case 5: out.ignoreValue = r.varint() !== 0; break;
      case 6: out.ignoreLease = r.varint() !== 0; break;
      default: r.skip(key & 7);
    }
  }
  return out;
}

export function decodeRangeRequest(buf: Buffer): etcd.RangeRequest__Output {
  const r = new PbReader(buf);
  const out: etcd.RangeRequest__Output = {
    key: EMPTY, rangeEnd: EMPTY, limit: 0, revision: 0, sortOrder: 'NONE', sortTarget: 'KEY', serializable: false,
    keysOnly: false, countOnly: false, minModRevision: 0, maxModRevision: 0, minCreateRevision: 0, maxCreateRevision: 0,
  };
  while (r.pos < r.end) {
    const key = r.varint();
    switch (key >>> 3) {
      case 1: out.key = r.bytes(); break;
      case 2: out.rangeEnd = r.bytes(); break;
      case 3: out.limit = r.int64(); break;
      case 4: out.revision = r.int64(); break;
      // An enum value this version does not name stays a number, as protobufjs leaves it.
      case 5: { const v = r.varint(); out.sortOrder = (SORT_ORDERS[v] ?? v) as etcd.RangeRequest__Output['sortOrder']; break; }
      case 6: { const v = r.varint(); out.sortTarget = (SORT_TARGETS[v] ?? v) as etcd.RangeRequest__Output['sortTarget']; break; }
      case 7: out.serializable = r.varint() !== 0; break;
      case 8: out.keysOnly = r.varint() !== 0; break;
      case 9: out.countOnly = r.varint() !== 0; break;
      case 10: out.minModRevision = r.int64(); break;
      case 11: out.maxModRevision = r.int64(); break;
      case 12: out.minCreateRevision = r.int64(); break;
      case 13: out.maxCreateRevision = r.int64(); break;
      default: r.skip(key & 7);
    }
  }
  return out;
}

// ---------------------------------------------------------------- responses

function headerSize(h: etcd.ResponseHeader): number {
  return numField(num(h.clusterId)) + numField(num(h.memberId)) + numField(num(h.revision)) + numField(num(h.raftTerm));
}

function writeHeader(w: PbWriter, field: number, h: etcd.ResponseHeader, size: number): void {
  w.tag(field, LEN);
  w.varint(size);
  w.num(1, num(h.clusterId));
  w.num(2, num(h.memberId));
  w.num(3, num(h.revision));
  w.num(4, num(h.raftTerm));
}

function kvSize(kv: etcd.KeyValue): number {
  const k = bytesOf(kv.key).byteLength;
  const v = bytesOf(kv.value).byteLength;
  return (k > 0 ? lenField(k) : 0) + numField(num(kv.createRevision)) + numField(num(kv.modRevision)) + numField(num(kv.version)) +
    (v > 0 ? lenField(v) : 0) + numField(num(kv.lease));
}

function writeKv(w: PbWriter, field: number, kv: etcd.KeyValue, size: number): void {
  w.tag(field, LEN);
  w.varint(size);
  w.bytes(1, bytesOf(kv.key));
  w.num(2, num(kv.createRevision));
  w.num(3, num(kv.modRevision));
  w.num(4, num(kv.version));
  w.bytes(5, bytesOf(kv.value));
  w.num(6, num(kv.lease));
}

function finish(w: PbWriter, what: string): Buffer {
  if (w.pos !== w.buf.length) throw new Error(`${what} measured ${w.buf.length} bytes, wrote ${w.pos}`);
  return w.buf;
}

export function encodePutResponse(res: etcd.PutResponse): Buffer {
  const hs = res.header ? headerSize(res.header) : -1;
  const ps = res.prevKv ? kvSize(res.prevKv) : -1;
  const w = new PbWriter(Buffer.allocUnsafe((hs >= 0 ? lenField(hs) : 0) + (ps >= 0 ? lenField(ps) : 0)));
  if (res.header) writeHeader(w, 1, res.header, hs);
  if (res.prevKv) writeKv(w, 2, res.prevKv, ps);
  return finish(w, 'PutResponse');
}

export function encodeRangeResponse(res: etcd.RangeResponse): Buffer {
  const hs = res.header ? headerSize(res.header) : -1;
  const kvs = res.kvs ?? [];
  const sizes = kvs.map(kvSize);
  let total = (hs >= 0 ? lenField(hs) : 0) + (res.more ? 2 : 0) + numField(num(res.count));
  for (const s of sizes) total += lenField(s);
  const w = new PbWriter(Buffer.allocUnsafe(total));
  if (res.header) writeHeader(w, 1, res.header, hs);
  kvs.forEach((kv, i) => writeKv(w, 2, kv, sizes[i]!));
  w.bool(3, !!res.more);
  w.num(4, num(res.count));
  return finish(w, 'RangeResponse');
}
