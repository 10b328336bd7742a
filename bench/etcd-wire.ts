/**
 * A minimal etcd v3 client for the benchmarks: hand-encoded protobuf for the few messages
 * used (Put, Range, Txn of puts, Status), spoken over one of two HTTP/2 transports:
 *
 * - `raw`  (default): HTTP/2 framed by hand on a net.Socket. Request header blocks are
 *   precomputed HPACK literals; response headers are never decoded (a unary gRPC call that
 *   carries a DATA message before END_STREAM succeeded, one that ends without a message is
 *   an error, which is how both grpc-go and grpc-js answer: trailers-only). Writes are
 *   corked and flushed once per tick. Costs a few tens of µs of client CPU per call.
 * - `node`: node:http2 (one stream per call), as a cross-check; about 10x the CPU.
 *
 * Both systems get exactly the same bytes, which is what makes their ratio fair.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';

// ---------------------------------------------------------------- protobuf

function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) { n = Math.floor(n / 128); len++; }
  return len;
}

function writeVarint(buf: Buffer, off: number, n: number): number {
  while (n >= 0x80) {
    buf[off++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[off++] = n;
  return off;
}

/** Length-delimited field (wire type 2). */
function lenField(field: number, data: Buffer): Buffer {
  const tag = (field << 3) | 2;
  const out = Buffer.allocUnsafe(varintLen(tag) + varintLen(data.length) + data.length);
  let o = writeVarint(out, 0, tag);
  o = writeVarint(out, o, data.length);
  data.copy(out, o);
  return out;
}

function boolField(field: number): Buffer {
  return Buffer.from([(field << 3) | 0, 1]);
}

export function encodePut(key: Buffer, value: Buffer): Buffer {
  return Buffer.concat([lenField(1, key), lenField(2, value)]);
}

export function encodeRange(key: Buffer, serializable = false): Buffer {
  return serializable ? Buffer.concat([lenField(1, key), boolField(7)]) : lenField(1, key);
}

/** A Txn with no compares whose success branch is the given puts. */
export function encodeTxnPuts(kvs: Array<[Buffer, Buffer]>): Buffer {
  return Buffer.concat(kvs.map(([k, v]) => lenField(2, lenField(2, encodePut(k, v)))));
}

export const EMPTY = Buffer.alloc(0);

/** Reads a varint at off; returns [value, next offset]. Values above 2^53 lose precision (use readVarintBig). */
function readVarint(b: Buffer, off: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (off >= b.length) throw new Error('truncated varint');
    const byte = b[off++]!;
    result += (byte & 0x7f) * mul;
    if (byte < 0x80) return [result, off];
    mul *= 128;
  }
}

function readVarintBig(b: Buffer, off: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (off >= b.length) throw new Error('truncated varint');
    const byte = b[off++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return [result, off];
    shift += 7n;
  }
}

type FieldVisitor = (field: number, wire: number, b: Buffer, valueOff: number, end: number) => void;

/** Walks the top-level fields of a message. For wire type 2, [valueOff, end) is the payload. */
function walk(b: Buffer, visit: FieldVisitor): void {
  let off = 0;
  while (off < b.length) {
    let tag: number;
    [tag, off] = readVarint(b, off);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      const start = off;
      [, off] = readVarint(b, off);
      visit(field, wire, b, start, off);
    } else if (wire === 2) {
      let len: number;
      [len, off] = readVarint(b, off);
      visit(field, wire, b, off, off + len);
      off += len;
    } else if (wire === 1) { visit(field, wire, b, off, off + 8); off += 8; } else if (wire === 5) { visit(field, wire, b, off, off + 4); off += 4; } else throw new Error(`unsupported wire type ${wire}`);
  }
}

export interface Header { memberId: bigint; revision: number; raftTerm: number }

function decodeHeader(b: Buffer): Header {
  const h: Header = { memberId: 0n, revision: 0, raftTerm: 0 };
  walk(b, (f, w, buf, s) => {
    if (w !== 0) return;
    if (f === 2) h.memberId = readVarintBig(buf, s)[0];
    else if (f === 3) h.revision = readVarint(buf, s)[0];
    else if (f === 4) h.raftTerm = readVarint(buf, s)[0];
  });
  return h;
}

/** PutResponse / TxnResponse / RangeResponse all carry the header as field 1. */
export function decodeRevision(b: Buffer): number {
  let rev = -1;
  walk(b, (f, w, buf, s, e) => { if (f === 1 && w === 2) rev = decodeHeader(buf.subarray(s, e)).revision; });
  return rev;
}

export interface RangeResult { revision: number; count: number; values: Buffer[] }

export function decodeRange(b: Buffer): RangeResult {
  const r: RangeResult = { revision: -1, count: 0, values: [] };
  walk(b, (f, w, buf, s, e) => {
    if (f === 1 && w === 2) r.revision = decodeHeader(buf.subarray(s, e)).revision;
    else if (f === 4 && w === 0) r.count = readVarint(buf, s)[0];
    else if (f === 2 && w === 2) {
      walk(buf.subarray(s, e), (kf, kw, kb, ks, ke) => { if (kf === 5 && kw === 2) r.values.push(Buffer.from(kb.subarray(ks, ke))); });
    }
  });
  return r;
}

/** RangeResponse.count without decoding the kvs. */
export function rangeCount(b: Buffer): number {
  let count = 0;
  walk(b, (f, w, buf, s) => { if (f === 4 && w === 0) count = readVarint(buf, s)[0]; });
  return count;
}

export interface StatusResult { memberId: bigint; leader: bigint; raftTerm: number; raftIndex: number; appliedIndex: number; version: string }

export function decodeStatus(b: Buffer): StatusResult {
  const r: StatusResult = { memberId: 0n, leader: 0n, raftTerm: 0, raftIndex: 0, appliedIndex: 0, version: '' };
  walk(b, (f, w, buf, s, e) => {
    if (f === 1 && w === 2) r.memberId = decodeHeader(buf.subarray(s, e)).memberId;
    else if (f === 2 && w === 2) r.version = buf.toString('utf8', s, e);
    else if (f === 4 && w === 0) r.leader = readVarintBig(buf, s)[0];
    else if (f === 5 && w === 0) r.raftIndex = readVarint(buf, s)[0];
    else if (f === 6 && w === 0) r.raftTerm = readVarint(buf, s)[0];
    else if (f === 7 && w === 0) r.appliedIndex = readVarint(buf, s)[0];
  });
  return r;
}

export const PATH = {
  put: '/etcdserverpb.KV/Put',
  range: '/etcdserverpb.KV/Range',
  txn: '/etcdserverpb.KV/Txn',
  status: '/etcdserverpb.Maintenance/Status',
} as const;
export type Method = keyof typeof PATH;

// ---------------------------------------------------------------- transports

export class CallError extends Error {
  constructor(message: string, readonly kind: 'status' | 'timeout' | 'closed') { super(message); }
}

export interface Conn {
  readonly endpoint: string;
  /** One unary call; resolves with the response message (without the gRPC 5-byte prefix). */
  call(method: Method, msg: Buffer, timeoutMs?: number): Promise<Buffer>;
  close(): void;
  readonly closed: boolean;
}

export type TransportKind = 'raw' | 'node';

export function connect(kind: TransportKind, endpoint: string): Conn {
  return kind === 'raw' ? new RawH2Conn(endpoint) : new NodeH2Conn(endpoint);
}

function grpcFrame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + msg.length);
  out[0] = 0;
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

function unframe(data: Buffer): Buffer | undefined {
  if (data.length < 5) return undefined;
  const len = data.readUInt32BE(1);
  if (data[0] !== 0 || data.length < 5 + len) return undefined;
  return data.subarray(5, 5 + len);
}

// ---- raw HTTP/2

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const T_DATA = 0; const T_HEADERS = 1; const T_RST = 3; const T_SETTINGS = 4; const T_PING = 6; const T_GOAWAY = 7; const T_WINDOW = 8; const T_CONT = 9;
const F_END_STREAM = 1; const F_ACK = 1; const F_END_HEADERS = 4; const F_PADDED = 8;
const BIG_WINDOW = 0x7fffffff;

function frameHeader(len: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.allocUnsafe(9);
  h.writeUIntBE(len, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return h;
}

function hpackString(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  if (b.length >= 127) throw new Error('header too long');
  return Buffer.concat([Buffer.from([b.length]), b]);
}

/** HPACK block for a gRPC call: only static-table references and literals without indexing. */
function headerBlock(authority: string, path: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http
    Buffer.from([0x04]), hpackString(path), // :path (name index 4)
    Buffer.from([0x01]), hpackString(authority), // :authority (name index 1)
    Buffer.from([0x0f, 0x10]), hpackString('application/grpc'), // content-type (name index 31)
    Buffer.from([0x00]), hpackString('te'), hpackString('trailers'),
  ]);
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  deadline: number;
  chunks: Buffer[];
  gotHeaders: boolean;
}

class RawH2Conn implements Conn {
  readonly endpoint: string;
  private readonly sock: net.Socket;
  private readonly blocks: Record<Method, Buffer>;
  private nextStream = 1;
  private readonly streams = new Map<number, Pending>();
  private readonly waiting: Array<{ method: Method; frame: Buffer; p: Pending }> = [];
  private inbuf: Buffer = EMPTY;
  private sendWindow = 65535;
  private maxFrame = 16384;
  private maxStreams = Infinity;
  private consumed = 0;
  private corked = false;
  private sweeper: NodeJS.Timeout;
  closed = false;
  private closeReason = 'connection closed';

  constructor(endpoint: string) {
    this.endpoint = endpoint;
    const i = endpoint.lastIndexOf(':');
    this.blocks = { put: headerBlock(endpoint, PATH.put), range: headerBlock(endpoint, PATH.range), txn: headerBlock(endpoint, PATH.txn), status: headerBlock(endpoint, PATH.status) };
    this.sock = net.connect({ host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)), noDelay: true });
    // Preface, our SETTINGS (no push, big stream windows), and a big connection window.
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(0x4, 6); settings.writeUInt32BE(BIG_WINDOW, 8);
    const wu = Buffer.allocUnsafe(4); wu.writeUInt32BE(BIG_WINDOW - 65535, 0);
    this.sock.write(Buffer.concat([PREFACE, frameHeader(12, T_SETTINGS, 0, 0), settings, frameHeader(4, T_WINDOW, 0, 0), wu]));
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('error', (e) => this.fail(`${endpoint}: ${e.message}`));
    this.sock.on('close', () => this.fail(`${endpoint}: connection closed`));
    this.sweeper = setInterval(() => this.sweep(), 50);
    this.sweeper.unref();
  }

  call(method: Method, msg: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    if (this.closed) return Promise.reject(new CallError(this.closeReason, 'closed'));
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { resolve, reject, deadline: performance.now() + timeoutMs, chunks: [], gotHeaders: false };
      const frame = grpcFrame(msg);
      if (this.waiting.length > 0 || this.streams.size >= this.maxStreams || frame.length > this.sendWindow) this.waiting.push({ method, frame, p });
      else this.start(method, frame, p);
    });
  }

  private start(method: Method, frame: Buffer, p: Pending): void {
    const id = this.nextStream;
    this.nextStream += 2;
    this.streams.set(id, p);
    this.sendWindow -= frame.length;
    const block = this.blocks[method];
    this.out(frameHeader(block.length, T_HEADERS, F_END_HEADERS, id));
    this.out(block);
    for (let off = 0; off < frame.length; off += this.maxFrame) {
      const chunk = frame.subarray(off, Math.min(frame.length, off + this.maxFrame));
      this.out(frameHeader(chunk.length, T_DATA, off + this.maxFrame >= frame.length ? F_END_STREAM : 0, id));
      this.out(chunk);
    }
  }

  private out(b: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.sock.cork();
      process.nextTick(() => { this.corked = false; this.sock.uncork(); });
    }
    this.sock.write(b);
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.streams.size < this.maxStreams && this.waiting[0]!.frame.length <= this.sendWindow) {
      const w = this.waiting.shift()!;
      this.start(w.method, w.frame, w.p);
    }
  }

  private onData(d: Buffer): void {
    let b = this.inbuf.length ? Buffer.concat([this.inbuf, d]) : d;
    let off = 0;
    while (b.length - off >= 9) {
      const len = b.readUIntBE(off, 3);
      if (b.length - off < 9 + len) break;
      const type = b[off + 3]!;
      const flags = b[off + 4]!;
      const stream = b.readUInt32BE(off + 5) & 0x7fffffff;
      const payload = b.subarray(off + 9, off + 9 + len);
      off += 9 + len;
      this.onFrame(type, flags, stream, payload);
    }
    this.inbuf = off === b.length ? EMPTY : Buffer.from(b.subarray(off));
    b = EMPTY;
    this.pump();
  }

  private onFrame(type: number, flags: number, stream: number, payload: Buffer): void {
    switch (type) {
      case T_DATA: {
        this.consumed += payload.length;
        if (this.consumed > 1 << 24) {
          const wu = Buffer.allocUnsafe(4); wu.writeUInt32BE(this.consumed, 0);
          this.out(frameHeader(4, T_WINDOW, 0, 0)); this.out(wu);
          this.consumed = 0;
        }
        const p = this.streams.get(stream);
        if (!p) return;
        let data = payload;
        if (flags & F_PADDED) data = payload.subarray(1, payload.length - payload[0]!);
        if (data.length) p.chunks.push(Buffer.from(data));
        if (flags & F_END_STREAM) this.finish(stream, p);
        return;
      }
      case T_HEADERS: case T_CONT: {
        const p = this.streams.get(stream);
        if (!p) return;
        p.gotHeaders = true;
        if (type === T_HEADERS && (flags & F_END_STREAM)) this.finish(stream, p);
        return;
      }
      case T_RST: {
        const p = this.streams.get(stream);
        if (!p) return;
        this.streams.delete(stream);
        p.reject(new CallError(`${this.endpoint}: stream reset (code ${payload.readUInt32BE(0)})`, 'status'));
        return;
      }
      case T_SETTINGS: {
        if (flags & F_ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const id = payload.readUInt16BE(i); const v = payload.readUInt32BE(i + 2);
          if (id === 0x3) this.maxStreams = v;
          else if (id === 0x5) this.maxFrame = v;
        }
        this.out(frameHeader(0, T_SETTINGS, F_ACK, 0));
        return;
      }
      case T_PING: {
        if (flags & F_ACK) return;
        this.out(frameHeader(8, T_PING, F_ACK, 0)); this.out(Buffer.from(payload));
        return;
      }
      case T_GOAWAY: {
        const last = payload.readUInt32BE(0) & 0x7fffffff;
        this.closed = true;
        this.closeReason = `${this.endpoint}: GOAWAY (code ${payload.readUInt32BE(4)})`;
        for (const [id, p] of this.streams) if (id > last) { this.streams.delete(id); p.reject(new CallError(this.closeReason, 'closed')); }
        return;
      }
      case T_WINDOW: {
        if (stream === 0) this.sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
        return;
      }
      default: return;
    }
  }

  private finish(stream: number, p: Pending): void {
    this.streams.delete(stream);
    const data = p.chunks.length === 1 ? p.chunks[0]! : Buffer.concat(p.chunks);
    const msg = unframe(data);
    if (msg) p.resolve(msg);
    else p.reject(new CallError(`${this.endpoint}: gRPC error (call ended without a message)`, 'status'));
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.streams) {
      if (p.deadline > now) continue;
      this.streams.delete(id);
      const code = Buffer.allocUnsafe(4); code.writeUInt32BE(0x8, 0);
      this.out(frameHeader(4, T_RST, 0, id)); this.out(code);
      p.reject(new CallError(`${this.endpoint}: timed out`, 'timeout'));
    }
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i]!;
      if (w.p.deadline <= now) { this.waiting.splice(i, 1); w.p.reject(new CallError(`${this.endpoint}: timed out (queued)`, 'timeout')); }
    }
  }

  private fail(reason: string): void {
    clearInterval(this.sweeper);
    if (this.streams.size === 0 && this.waiting.length === 0 && this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const p of this.streams.values()) p.reject(new CallError(reason, 'closed'));
    this.streams.clear();
    for (const w of this.waiting) w.p.reject(new CallError(reason, 'closed'));
    this.waiting.length = 0;
  }

  close(): void {
    this.fail(`${this.endpoint}: closed by the client`);
    this.sock.destroy();
  }
}

// ---- node:http2

class NodeH2Conn implements Conn {
  readonly endpoint: string;
  private readonly session: http2.ClientHttp2Session;
  closed = false;

  constructor(endpoint: string) {
    this.endpoint = endpoint;
    this.session = http2.connect(`http://${endpoint}`, { settings: { enablePush: false, initialWindowSize: BIG_WINDOW } });
    this.session.on('error', () => { this.closed = true; });
    this.session.on('close', () => { this.closed = true; });
  }

  call(method: Method, msg: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    if (this.closed) return Promise.reject(new CallError(`${this.endpoint}: connection closed`, 'closed'));
    return new Promise<Buffer>((resolve, reject) => {
      const req = this.session.request({ ':method': 'POST', ':path': PATH[method], 'content-type': 'application/grpc', te: 'trailers' });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      const timer = setTimeout(() => { req.close(http2.constants.NGHTTP2_CANCEL); reject(new CallError(`${this.endpoint}: timed out`, 'timeout')); }, timeoutMs);
      req.on('response', (h) => { if (h['grpc-status'] !== undefined) status = String(h['grpc-status']); });
      req.on('trailers', (h) => { status = String(h['grpc-status']); });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', (e) => { clearTimeout(timer); reject(new CallError(`${this.endpoint}: ${e.message}`, 'closed')); });
      req.on('close', () => {
        clearTimeout(timer);
        const m = unframe(Buffer.concat(chunks));
        if (status === '0' && m) resolve(m);
        else reject(new CallError(`${this.endpoint}: gRPC status ${status ?? 'none'}`, 'status'));
      });
      req.end(grpcFrame(msg));
    });
  }

  close(): void {
    this.closed = true;
    this.session.destroy();
  }
}
