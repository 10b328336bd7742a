/**
 * Hand-written protobuf codec for the member transport's hot messages: RaftMessageBatch
 * (RaftTransport.Stream) and ForwardBatch (RaftTransport.Forward), as declared in
 * proto/berth/v1/member.proto. Standard protobuf encoding of the same fields (proto3: fields
 * at their default value left out, repeated scalars packed, fields in number order), so a
 * member using protobufjs for these messages and one using this codec understand each other
 * (raft-wire.test.ts checks both directions); the decoder also takes unpacked repeated
 * scalars and skips unknown fields, as protobuf requires.
 *
 * Why not protobufjs: it builds a plain object per message and entry (toWire), then encodes
 * it with a fork() per nested message, and on receipt decodes into message objects and
 * converts them again (toObject, fromWire). This codec goes from the core's Message to bytes
 * in one pass (sizes first, then one buffer) and back; entry payloads are views into the
 * received buffer, not copies.
 */
import type { ConfChangeType, Entry, Message, MessageType, NodeId } from '../core/messages';
import { lenField, numField, PbReader as Reader, PbWriter as Writer, varintSize, WIRE, WireFormatError } from './protobuf';

export { WireFormatError } from './protobuf';

export const TYPES: MessageType[] = ['MsgApp', 'MsgAppResp', 'MsgVote', 'MsgVoteResp', 'MsgPreVote', 'MsgPreVoteResp',
  'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgSnap', 'MsgReadIndex', 'MsgReadIndexResp', 'MsgTimeoutNow',
  'MsgProp', 'MsgPropResp'];
export const TYPE_NUM = new Map(TYPES.map((t, i) => [t, i + 1]));
export const CONF_TYPES: ConfChangeType[] = ['add-voter', 'add-learner', 'promote-learner', 'remove'];

const { VARINT, LEN } = WIRE;

// ---------------------------------------------------------------- RaftMessageBatch

interface Sized { msg: Message; size: number; entrySizes: number[]; contextLen: number }

function entrySize(e: Entry, clientIdLen: number): number {
  let s = numField(e.term) + numField(e.index) + numField(e.type === 'normal' ? 0 : 1);
  if (e.data.byteLength > 0) s += lenField(e.data.byteLength);
  if (clientIdLen > 0) s += lenField(clientIdLen);
  if (e.seq !== undefined) s += numField(e.seq) + 2; // has_seq = true
  if (e.confChange) s += numField(CONF_TYPES.indexOf(e.confChange.type) + 1) + numField(e.confChange.nodeId);
  if (e.forwardId !== undefined) s += numField(e.forwardId);
  return s;
}

/**
 * RaftMessageBatch{messages} for `messages`, every one stamped with `clusterId`. The same
 * message as protobufjs makes of toWire(clusterId, m) for each (see the head of this file).
 */
export function encodeRaftBatch(clusterId: string, messages: readonly Message[]): Buffer {
  const cidLen = Buffer.byteLength(clusterId);
  const sized: Sized[] = [];
  const clientIdLens: number[] = [];
  let total = 0;
  for (const m of messages) {
    const type = TYPE_NUM.get(m.type);
    if (type === undefined) throw new WireFormatError(`unknown raft message type ${m.type}`);
    let size = (cidLen > 0 ? lenField(cidLen) : 0) + numField(type) + numField(m.from) + numField(m.to) + numField(m.term) +
      numField(m.logTerm) + numField(m.index) + numField(m.commit) + (m.reject ? 2 : 0) + numField(m.rejectHint);
    const entrySizes: number[] = [];
    for (const e of m.entries) {
      const cl = e.clientId !== undefined ? Buffer.byteLength(e.clientId) : 0;
      clientIdLens.push(cl);
      const es = entrySize(e, cl);
      entrySizes.push(es);
      size += lenField(es);
    }
    let contextLen = 0;
    if (m.context !== undefined) {
      contextLen = Buffer.byteLength(m.context);
      if (contextLen > 0) size += lenField(contextLen);
      size += 3; // has_context = true (field 17: two-byte tag)
    }
    if (m.snapshot) {
      const md = m.snapshot.metadata;
      size += numField(md.index) + numField(md.term);
      let v = 0;
      for (const id of md.confState.voters) v += varintSize(id);
      if (v > 0) size += lenField(v); // field 15: one-byte tag
      let l = 0;
      for (const id of md.confState.learners) l += varintSize(id);
      if (l > 0) size += 1 + lenField(l); // field 16: two-byte tag
    }
    sized.push({ msg: m, size, entrySizes, contextLen });
    total += lenField(size);
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  let ci = 0;
  for (const { msg: m, size, entrySizes, contextLen } of sized) {
    w.tag(1, LEN);
    w.varint(size);
    const start = w.pos;
    w.str(1, clusterId, cidLen);
    w.num(2, TYPE_NUM.get(m.type)!);
    w.num(3, m.from);
    w.num(4, m.to);
    w.num(5, m.term);
    w.num(6, m.logTerm);
    w.num(7, m.index);
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      w.tag(8, LEN);
      w.varint(entrySizes[i]!);
      w.num(1, e.term);
      w.num(2, e.index);
      w.num(3, e.type === 'normal' ? 0 : 1);
      w.bytes(4, e.data);
      const cl = clientIdLens[ci++]!;
      if (e.clientId !== undefined) w.str(5, e.clientId, cl);
      if (e.seq !== undefined) {
        w.num(6, e.seq);
        w.bool(7, true);
      }
      if (e.confChange) {
        w.num(8, CONF_TYPES.indexOf(e.confChange.type) + 1);
        w.num(9, e.confChange.nodeId);
      }
      if (e.forwardId !== undefined) w.num(10, e.forwardId);
    }
    w.num(9, m.commit);
    w.bool(10, m.reject);
    w.num(11, m.rejectHint);
    if (m.context !== undefined) w.str(12, m.context, contextLen);
    if (m.snapshot) {
      const md = m.snapshot.metadata;
      w.num(13, md.index);
      w.num(14, md.term);
      packed(w, 15, md.confState.voters);
      packed(w, 16, md.confState.learners);
    }
    if (m.context !== undefined) w.bool(17, true);
    if (w.pos - start !== size) throw new WireFormatError(`raft message measured ${size} bytes, wrote ${w.pos - start}`);
  }
  if (w.pos !== total) throw new WireFormatError(`raft batch measured ${total} bytes, wrote ${w.pos}`);
  return w.buf;
}

function packed(w: Writer, field: number, ids: readonly NodeId[]): void {
  let n = 0;
  for (const id of ids) n += varintSize(id);
  if (n === 0) return;
  w.tag(field, LEN);
  w.varint(n);
  for (const id of ids) w.varint(id);
}

/** One decoded RaftMessage: the cluster id it names, and the core's message. */
export interface WireMessage { clusterId: string; message: Message }

/**
 * Decodes a RaftMessageBatch. A message that cannot be decoded (malformed inside its own
 * bounds, or of a type this member does not know) is left out and counted in `malformed`;
 * broken framing of the batch itself throws WireFormatError.
 */
export function decodeRaftBatch(buf: Buffer): { messages: WireMessage[]; malformed: number } {
  const r = new Reader(buf);
  const messages: WireMessage[] = [];
  let malformed = 0;
  while (r.pos < r.end) {
    const key = r.varint();
    if (key >>> 3 === 1 && (key & 7) === LEN) {
      const n = r.len();
      try {
        messages.push(decodeMessage(new Reader(buf, r.pos, r.pos + n)));
      } catch (e) {
        if (!(e instanceof WireFormatError)) throw e;
        malformed++;
      }
      r.pos += n;
    } else r.skip(key & 7);
  }
  return { messages, malformed };
}

function decodeMessage(r: Reader): WireMessage {
  let clusterId = '';
  let type = 0;
  const m: { -readonly [K in keyof Message]: Message[K] } = {
    type: 'MsgApp', from: 0, to: 0, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0,
  };
  const entries: Entry[] = [];
  let context = '';
  let hasContext = false;
  let snapIndex = 0;
  let snapTerm = 0;
  const voters: number[] = [];
  const learners: number[] = [];
  while (r.pos < r.end) {
    const key = r.varint();
    const wire = key & 7;
    switch (key >>> 3) {
      case 1: clusterId = r.str(); break;
      case 2: type = r.varint(); break;
      case 3: m.from = r.varint(); break;
      case 4: m.to = r.varint(); break;
      case 5: m.term = r.varint(); break;
      case 6: m.logTerm = r.varint(); break;
      case 7: m.index = r.varint(); break;
      case 8: {
        const n = r.len();
        entries.push(decodeEntry(new Reader(r.buf, r.pos, r.pos + n)));
        r.pos += n;
        break;
      }
      case 9: m.commit = r.varint(); break;
      case 10: m.reject = r.varint() !== 0; break;
      case 11: m.rejectHint = r.varint(); break;
      case 12: context = r.str(); break;
      case 13: snapIndex = r.varint(); break;
      case 14: snapTerm = r.varint(); break;
      case 15: r.repeated(wire, voters); break;
      case 16: r.repeated(wire, learners); break;
      case 17: hasContext = r.varint() !== 0; break;
      default: r.skip(wire);
    }
  }
  const t = TYPES[type - 1];
  if (!t) throw new WireFormatError(`unknown raft message type ${type}`);
  m.type = t;
  m.entries = entries;
  if (hasContext) m.context = context;
  if (t === 'MsgSnap') {
    m.snapshot = { metadata: { index: snapIndex, term: snapTerm, confState: { voters, learners } }, data: new Uint8Array() };
  }
  return { clusterId, message: m };
}

function decodeEntry(r: Reader): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Buffer = EMPTY;
  let clientId = '';
  let seq = 0;
  let hasSeq = false;
  let ccType = 0;
  let ccNode = 0;
  let forwardId = 0;
  while (r.pos < r.end) {
    const key = r.varint();
    switch (key >>> 3) {
      case 1: term = r.varint(); break;
      case 2: index = r.varint(); break;
      case 3: type = r.varint(); break;
      case 4: data = r.bytes(); break;
      case 5: clientId = r.str(); break;
      case 6: seq = r.varint(); break;
      case 7: hasSeq = r.varint() !== 0; break;
      case 8: ccType = r.varint(); break;
      case 9: ccNode = r.varint(); break;
      case 10: forwardId = r.varint(); break;
      default: r.skip(key & 7);
    }
  }
  const e: { -readonly [K in keyof Entry]: Entry[K] } = { index, term, type: type === 0 ? 'normal' : 'conf-change', data };
  if (clientId) e.clientId = clientId;
  if (hasSeq) e.seq = seq;
  if (forwardId !== 0) e.forwardId = forwardId;
  if (type === 1) {
    const t = CONF_TYPES[ccType - 1];
    if (!t) throw new WireFormatError(`unknown conf change type ${ccType}`);
    e.confChange = { type: t, nodeId: ccNode };
  }
  return e;
}

const EMPTY: Buffer = Buffer.alloc(0);

// ---------------------------------------------------------------- ForwardBatch

export interface ForwardItem { id: number; body?: Buffer | undefined; error?: string | undefined }

/** ForwardBatch{items}: ForwardItem{id = 1, body = 2, error = 3}. */
export function encodeForwardBatch(items: readonly ForwardItem[]): Buffer {
  const sizes: number[] = [];
  const errLens: number[] = [];
  let total = 0;
  for (const it of items) {
    const el = it.error ? Buffer.byteLength(it.error) : 0;
    const s = numField(it.id) + (it.body && it.body.length > 0 ? lenField(it.body.length) : 0) + (el > 0 ? lenField(el) : 0);
    sizes.push(s);
    errLens.push(el);
    total += lenField(s);
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  items.forEach((it, i) => {
    w.tag(1, LEN);
    w.varint(sizes[i]!);
    w.num(1, it.id);
    if (it.body) w.bytes(2, it.body);
    if (it.error) w.str(3, it.error, errLens[i]!);
  });
  if (w.pos !== total) throw new WireFormatError(`forward batch measured ${total} bytes, wrote ${w.pos}`);
  return w.buf;
}

/** Decodes a ForwardBatch; a missing body is an empty one, a missing error is ''. */
export function decodeForwardBatch(buf: Buffer): Array<{ id: number; body: Buffer; error: string }> {
  const r = new Reader(buf);
  const out: Array<{ id: number; body: Buffer; error: string }> = [];
  while (r.pos < r.end) {
    const key = r.varint();
    if (key >>> 3 !== 1 || (key & 7) !== LEN) { r.skip(key & 7); continue; }
    const n = r.len();
    const ir = new Reader(buf, r.pos, r.pos + n);
    r.pos += n;
    const item: { id: number; body: Buffer; error: string } = { id: 0, body: EMPTY, error: '' };
    while (ir.pos < ir.end) {
      const k = ir.varint();
      switch (k >>> 3) {
        case 1: item.id = ir.varint(); break;
        case 2: item.body = ir.bytes(); break;
        case 3: item.error = ir.str(); break;
        default: ir.skip(k & 7);
      }
    }
    out.push(item);
  }
  return out;
}
