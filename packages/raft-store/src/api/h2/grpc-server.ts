/**
 * GrpcH2Server: a gRPC server on HTTP/2 framed by hand over a net (or TLS) socket, for the
 * client port of a raft-store member. Why and what it covers: ./README.md.
 *
 * Contract:
 * - addService(def, impl) takes a service definition as @grpc/proto-loader makes them (path,
 *   requestStream, responseStream, requestDeserialize, responseSerialize) and, per method,
 *   a UnaryHandler (a promise of the response; a rejection becomes a status through the
 *   server's `toStatus`) or, for any streaming method, a StreamHandler (a StreamCall it reads
 *   'data', 'end' and 'cancelled' from and answers with write() and end(status?)).
 * - listen(address) binds 'host:port' (port 0: any) and resolves to the port.
 * - forceShutdown() closes the listener and every connection at once; every open call sees
 *   'cancelled'. Nothing of a call is answered after that.
 * - shutdown(graceMs) stops gracefully: the listener closes; every connection gets GOAWAY
 *   (NO_ERROR, naming the last stream this side took), so its client starts no new call on it
 *   and may retry elsewhere one sent meanwhile (refused with REFUSED_STREAM, never run);
 *   streaming calls end with UNAVAILABLE "the server is stopping" (their handlers see
 *   'cancelled'); unary calls already running are answered, and a connection closes once its
 *   last call is; after graceMs what is left is closed as by forceShutdown. Resolves when every
 *   connection is closed.
 * - A connection that breaks the HTTP/2 rules (RFC 9113) gets GOAWAY with the error code and
 *   a debug text naming what was wrong, and is closed; a call that breaks gRPC's rules gets a
 *   gRPC status naming it (unknown method: UNIMPLEMENTED; unsupported compression:
 *   UNIMPLEMENTED; a message over maxReceiveMessageLength: RESOURCE_EXHAUSTED; a message that
 *   does not decode: INTERNAL), the connection and the other calls on it going on.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  DEFAULT_WINDOW, F_ACK, F_END_HEADERS, F_END_STREAM, F_PADDED, F_PRIORITY, frame, PREFACE,
  T_CONT, T_DATA, T_GOAWAY, T_HEADERS, T_PING, T_PRIORITY, T_PUSH, T_RST, T_SETTINGS, T_WINDOW, u32,
} from './frames';
import { encodeHeaders, HpackDecoder, HpackError } from './hpack';

export interface CallStatus {
  code: grpc.status;
  details: string;
  metadata?: grpc.Metadata;
}

/** A unary method: the response, or a rejection the server turns into a status. */
export type UnaryHandler = (request: any, metadata: grpc.Metadata) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A streaming call as its handler sees it. Events: 'data' (a request), 'end' (the client is done sending), 'cancelled'. */
export interface StreamCall<Res> extends EventEmitter {
  readonly metadata: grpc.Metadata;
  /** True once the client reset the call or the connection went away. */
  readonly cancelled: boolean;
  /** Sends one response message (ignored after end or cancellation). */
  write(message: Res): void;
  /** Ends the call with OK, or with the given status. */
  end(status?: CallStatus): void;
  /**
   * Backpressure for a handler that cannot keep up with a client's stream (a snapshot being
   * installed): while paused, the data the client sends stops being acknowledged with stream
   * WINDOW_UPDATEs, so at most one stream window (1 MiB) more arrives; 'data' events still
   * come for what does. resume() acknowledges what was held back.
   */
  pause(): void;
  resume(): void;
}
export type StreamHandler = (call: StreamCall<any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MethodDef {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(b: Buffer): unknown;
  responseSerialize(v: any): Buffer; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface GrpcH2ServerOptions {
  /** Largest request message accepted (grpc-js's default: 4 MiB). */
  maxReceiveMessageLength?: number;
  /** Serve TLS (HTTP/2 negotiated with ALPN) with these options; plain TCP when absent. */
  tls?: tls.TlsOptions;
  /** Turns a handler's rejection into a status (default: INTERNAL with the error's message). */
  toStatus?: (e: unknown) => CallStatus;
  /** SETTINGS_MAX_CONCURRENT_STREAMS advertised and enforced per connection. */
  maxConcurrentStreams?: number;
  /**
   * A connection silent this long gets a PING (etcd's --grpc-keepalive-interval: 2 h); 0: never.
   * If nothing comes back within keepaliveTimeoutMs (etcd's --grpc-keepalive-timeout: 20 s), the
   * connection is closed and its calls cancelled: a client gone without a FIN (its host down, a
   * partition) does not keep its watches and its socket on the member for ever.
   */
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
}

interface Method {
  def: MethodDef;
  unary?: UnaryHandler;
  stream?: StreamHandler;
}

// ------------------------------------------------------------------ HTTP/2 constants (RFC 9113)

const E_NO_ERROR = 0; const E_PROTOCOL = 1; const E_INTERNAL = 2; const E_FLOW = 3; const E_STREAM_CLOSED = 5;
const E_FRAME_SIZE = 6; const E_REFUSED = 7; const E_CANCEL = 8; const E_COMPRESSION = 9;
const E_CALM = 0xb; // ENHANCE_YOUR_CALM
const MAX_FRAME = 16384; // what this side accepts (the protocol default; not raised)
/** This side's receive windows: large, so that a client never waits for a WINDOW_UPDATE on a busy connection. */
const STREAM_WINDOW = 1 << 20;
const CONN_WINDOW = 16 << 20;
const MAX_HEADER_LIST = 64 << 10;
/** CONTINUATION frames accepted for one header block (a flood of empty ones would grow memory). */
const MAX_CONTINUATIONS = 64;
/** Response bytes one stream may have waiting for the client's window before the call is ended (a client that stops reading). */
const MAX_PENDING_PER_STREAM = 16 << 20;
/** Bytes of unfinished request messages one connection may hold. */
const MAX_PARTIAL_PER_CONN = 64 << 20;
/** Socket output above which this side stops reading the client until it drains (PING floods, clients that never read). */
const OUTPUT_HIGH_WATER = 4 << 20;
/** Time a connection has to send the client preface. */
const PREFACE_TIMEOUT_MS = 10_000;

class ConnError extends Error {
  constructor(readonly code: number, message: string) { super(message); }
}

/** gRPC's percent-encoding of grpc-message: UTF-8, every octet outside 0x20-0x7e and '%' escaped. */
export function percentEncode(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) { plain = false; break; }
  }
  if (plain) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

const UPPER = /[A-Z]/;
const RESERVED = new Set(['content-type', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'authorization', 'content-length', 'host']);

// Response header blocks that never change, encoded once.
const OK_HEADERS = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-encoding', 'identity'], ['grpc-accept-encoding', 'identity,deflate,gzip']]);
const OK_TRAILERS = encodeHeaders([['grpc-status', '0']]);
const SIZE_UPDATE_0 = Buffer.from([0x20]);

function statusBlock(st: CallStatus, trailersOnly: boolean): Buffer {
  const f: Array<[string, string]> = trailersOnly ? [[':status', '200'], ['content-type', 'application/grpc']] : [];
  f.push(['grpc-status', String(st.code)], ['grpc-message', percentEncode(st.details)]);
  if (st.metadata) {
    const h = st.metadata.toHttp2Headers();
    for (const k of Object.keys(h)) {
      const v = h[k];
      if (Array.isArray(v)) for (const x of v) f.push([k, String(x)]);
      else if (v !== undefined) f.push([k, String(v)]);
    }
  }
  return encodeHeaders(f);
}

/** 'host:port' or '[v6]:port'. */
function hostPort(address: string): { host: string; port: number } {
  const m = /^\[(.*)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address);
  if (!m) throw new Error(`cannot listen on ${address}: expected host:port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

/** grpc-timeout (e.g. '10S', '250m') in ms, or undefined when absent or malformed. */
function timeoutMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'H': return n * 3_600_000;
    case 'M': return n * 60_000;
    case 'S': return n * 1000;
    case 'm': return n;
    case 'u': return n / 1000;
    default: return n / 1e6;
  }
}

// ------------------------------------------------------------------ server

export class GrpcH2Server {
  private readonly methods = new Map<string, Method>();
  private readonly conns = new Set<Connection>();
  private listener: net.Server | undefined;
  readonly maxReceive: number;
  readonly maxStreams: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly toStatus: (e: unknown) => CallStatus;

  constructor(private readonly opts: GrpcH2ServerOptions = {}) {
    this.maxReceive = opts.maxReceiveMessageLength ?? 4 << 20;
    this.maxStreams = opts.maxConcurrentStreams ?? 10_000;
    this.keepaliveIntervalMs = opts.keepaliveIntervalMs ?? 2 * 3600_000;
    this.keepaliveTimeoutMs = opts.keepaliveTimeoutMs ?? 20_000;
    this.toStatus = opts.toStatus ?? ((e) => ({ code: grpc.status.INTERNAL, details: (e as Error)?.message ?? String(e) }));
  }

  addService(def: Record<string, MethodDef>, impl: Record<string, UnaryHandler | StreamHandler>): void {
    for (const [name, m] of Object.entries(def)) {
      const h = impl[name];
      if (!h) continue; // not implemented here: UNIMPLEMENTED, as grpc-js
      if (this.methods.has(m.path)) throw new Error(`method ${m.path} is registered twice`);
      this.methods.set(m.path, m.requestStream || m.responseStream ? { def: m, stream: h as StreamHandler } : { def: m, unary: h as UnaryHandler });
    }
  }

  method(path: string): Method | undefined {
    return this.methods.get(path);
  }

  listen(address: string): Promise<number> {
    const { host, port } = hostPort(address);
    const onSocket = (s: net.Socket): void => {
      const c = new Connection(this, s);
      this.conns.add(c);
      s.once('close', () => this.conns.delete(c));
    };
    const srv = this.opts.tls
      ? tls.createServer({ ...this.opts.tls, ALPNProtocols: ['h2'] }, onSocket)
      : net.createServer(onSocket);
    if (this.opts.tls) srv.on('tlsClientError', () => { /* a failed handshake: the socket is gone, nothing to answer */ });
    this.listener = srv;
    return new Promise((resolve, reject) => {
      const failed = (e: Error): void => reject(new Error(`cannot listen on ${address}: ${e.message}`));
      srv.once('error', failed);
      srv.listen(port, host, () => {
        srv.off('error', failed);
        // Accept errors (EMFILE, ENFILE) later on: the listener goes on, the client retries.
        srv.on('error', () => undefined);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });
  }

  forceShutdown(): void {
    this.listener?.close();
    for (const c of [...this.conns]) c.destroy();
    this.conns.clear();
  }

  async shutdown(graceMs: number): Promise<void> {
    this.listener?.close();
    await Promise.all([...this.conns].map((c) => c.drain(graceMs)));
    this.conns.clear();
  }
}

// ------------------------------------------------------------------ streams

class Stream {
  sendWindow: number;
  recvWindow = STREAM_WINDOW;
  recvUnacked = 0;
  /** The handler paused the call: received data is not acknowledged (StreamCall.pause). */
  paused = false;
  remoteClosed = false;
  localClosed = false;
  headersSent = false;
  /** DATA (and the trailers after it) waiting for the peer's windows. */
  pending: Buffer[] | undefined;
  pendingTrailers: Buffer | undefined;
  pendingBytes = 0;
  // request message assembly: the fragments of the message being received (concatenated once, when whole)
  parts: Buffer[] = [];
  partBytes = 0;
  /** The message being received: its length and flag octet once its prefix is in (-1: not yet). */
  msgLen = -1;
  msgFlag = 0;
  call: ServerStreamCall | undefined;
  unaryRequest: Buffer | undefined;
  unaryCount = 0;
  timer: NodeJS.Timeout | undefined;
  encoding: 'identity' | 'gzip' | 'deflate' = 'identity';

  constructor(readonly id: number, readonly method: Method | undefined, readonly metadata: grpc.Metadata, sendWindow: number) {
    this.sendWindow = sendWindow;
  }
}

class ServerStreamCall extends EventEmitter implements StreamCall<unknown> {
  cancelled = false;
  constructor(private readonly conn: Connection, private readonly s: Stream, readonly metadata: grpc.Metadata) { super(); }
  write(message: unknown): void {
    if (this.cancelled || this.s.localClosed) return;
    this.conn.sendMessage(this.s, message);
  }
  end(status?: CallStatus): void {
    if (this.cancelled || this.s.localClosed) return;
    this.conn.finish(this.s, status);
  }
  pause(): void {
    this.s.paused = true;
  }
  resume(): void {
    if (!this.s.paused) return;
    this.s.paused = false;
    this.conn.ackStreamData(this.s);
  }
}

// ------------------------------------------------------------------ connection

class Connection {
  private readonly decoder = new HpackDecoder(4096, MAX_HEADER_LIST);
  private readonly streams = new Map<number, Stream>();
  private inbuf: Buffer | undefined;
  private prefaceSeen = false;
  private settingsSeen = false;
  private lastStreamId = 0;
  private headerBlock: { id: number; flags: number; parts: Buffer[]; size: number; frames: number } | undefined;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16384;
  private connSendWindow = DEFAULT_WINDOW;
  private connRecvUnacked = 0;
  private connRecvWindow = CONN_WINDOW;
  private blocked = new Set<Stream>();
  private out: Buffer[] = [];
  private flushScheduled = false;
  private closing = false;
  /** The client sent GOAWAY, or this side is draining: no new stream is started. */
  private goingAway = false;
  /** This side sent GOAWAY NO_ERROR (drain): the socket ends once no call is left. */
  private draining = false;
  /** Unary handlers started and not settled, reset streams included: counted against maxStreams. */
  private running = 0;
  /** Bytes held in unfinished request messages, all streams. */
  private partialBytes = 0;
  /** Whether a header block went out yet (the first starts with a table size update to 0). */
  private sentHeaderBlock = false;
  private prefaceTimer: NodeJS.Timeout | undefined;
  /** Chunks read from the client so far: the keep-alive check compares it, no clock on the read path. */
  private reads = 0;
  private keepaliveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly server: GrpcH2Server, private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      if (this.prefaceTimer) clearTimeout(this.prefaceTimer);
      if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
      this.cancelAll();
    });
    if (server.keepaliveIntervalMs > 0) this.keepaliveCheck(-1);
    socket.on('drain', () => { if (!this.closing) socket.resume(); });
    this.prefaceTimer = setTimeout(() => { this.prefaceTimer = undefined; if (!this.prefaceSeen) this.goaway(E_PROTOCOL, `no HTTP/2 client preface within ${PREFACE_TIMEOUT_MS} ms`); }, PREFACE_TIMEOUT_MS);
    // This side's SETTINGS: concurrent streams, initial stream window, header list size; then the connection window.
    const settings = Buffer.allocUnsafe(18);
    settings.writeUInt16BE(0x3, 0); settings.writeUInt32BE(server.maxStreams, 2);
    settings.writeUInt16BE(0x4, 6); settings.writeUInt32BE(STREAM_WINDOW, 8);
    settings.writeUInt16BE(0x6, 12); settings.writeUInt32BE(MAX_HEADER_LIST, 14);
    this.queue(frame(T_SETTINGS, 0, 0, settings));
    this.queue(frame(T_WINDOW, 0, 0, u32(CONN_WINDOW - DEFAULT_WINDOW)));
  }

  destroy(): void {
    this.socket.destroy();
    this.cancelAll();
  }

  // ---------------------------------------------------------------- keep-alive

  /**
   * Nothing read for a whole interval: a PING, and the connection closes unless something comes
   * back in time (a connection goes silent at most two intervals before it is pinged).
   */
  private keepaliveCheck(seen = 0): void {
    if (this.socket.destroyed) return;
    if (this.reads !== seen) { this.keepaliveTimer = setTimeout(() => this.keepaliveCheck(this.reads), this.server.keepaliveIntervalMs); this.keepaliveTimer.unref(); return; }
    this.queue(frame(T_PING, 0, 0, KEEPALIVE_PING));
    this.keepaliveTimer = setTimeout(() => {
      if (this.reads !== seen) { this.keepaliveCheck(seen); return; }
      this.destroy(); // no answer: the client is gone (grpc-go closes the transport the same way)
    }, this.server.keepaliveTimeoutMs);
    this.keepaliveTimer.unref();
  }

  /** GrpcH2Server.shutdown for this connection: resolves when its socket is closed. */
  drain(graceMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) { resolve(); return; }
      const timer = setTimeout(() => this.destroy(), graceMs);
      this.socket.once('close', () => { clearTimeout(timer); resolve(); });
      if (this.closing || this.draining) return;
      this.draining = true;
      this.goingAway = true;
      const p = Buffer.allocUnsafe(8 + DRAIN_DEBUG.length);
      p.writeUInt32BE(this.lastStreamId, 0);
      p.writeUInt32BE(E_NO_ERROR, 4);
      DRAIN_DEBUG.copy(p, 8);
      this.queue(frame(T_GOAWAY, 0, 0, p));
      for (const st of [...this.streams.values()]) {
        if (st.call && !st.localClosed) this.abort(st, { code: grpc.status.UNAVAILABLE, details: 'the server is stopping' });
      }
      this.endIfDrained();
    });
  }

  /** Draining and nothing left to answer: what is queued goes out, then the socket ends. */
  private endIfDrained(): void {
    if (!this.draining || this.closing || this.streams.size > 0 || this.running > 0) return;
    this.flush();
    this.closing = true;
    this.socket.end();
  }

  // ---------------------------------------------------------------- output

  private queue(b: Buffer): void {
    if (this.closing) return;
    this.out.push(b);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded) { this.out = []; return; }
    const b = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(b);
    // A client that does not read what it asks for (PINGs, SETTINGS, resets) is not read either until it does.
    if (this.socket.writableLength > OUTPUT_HIGH_WATER) this.socket.pause();
  }

  private goaway(code: number, debug: string): void {
    if (this.closing) return;
    this.closing = true;
    const dbg = Buffer.from(debug, 'utf8');
    const p = Buffer.allocUnsafe(8 + dbg.length);
    p.writeUInt32BE(this.lastStreamId, 0);
    p.writeUInt32BE(code, 4);
    dbg.copy(p, 8);
    this.out.push(frame(T_GOAWAY, 0, 0, p));
    this.flush();
    this.socket.end();
    this.cancelAll();
  }

  private cancelAll(): void {
    for (const s of this.streams.values()) this.cancelStream(s);
    this.streams.clear();
    this.blocked.clear();
  }

  private cancelStream(s: Stream): void {
    if (s.timer) clearTimeout(s.timer);
    s.localClosed = true;
    s.pending = undefined;
    this.dropParts(s);
    this.notifyCancelled(s);
  }

  /** Tells a streaming call's handler that the call is over without its doing (reset, deadline, error, connection gone). */
  private notifyCancelled(s: Stream): void {
    if (s.call && !s.call.cancelled) {
      s.call.cancelled = true;
      try {
        s.call.emit('cancelled');
      } catch {
        // a handler's listener threw: the call is over anyway
      }
    }
  }

  /** Ends a call on this side's initiative (a protocol error, a deadline): the status to the client, 'cancelled' to a streaming handler. */
  private abort(s: Stream, st: CallStatus): void {
    this.finish(s, st);
    this.dropParts(s);
    this.notifyCancelled(s);
  }

  private dropParts(s: Stream): void {
    this.partialBytes -= s.partBytes;
    s.parts = [];
    s.partBytes = 0;
  }

  private closeIfDone(s: Stream): void {
    if (s.localClosed && s.remoteClosed && !s.pending && !s.pendingTrailers) {
      if (s.timer) clearTimeout(s.timer);
      this.streams.delete(s.id);
      if (this.draining) this.endIfDrained();
    }
  }

  private rst(id: number, code: number): void {
    this.queue(frame(T_RST, 0, id, u32(code)));
  }

  /** A stream this side is done with before the client finished sending: reset it (NO_ERROR) so the client stops. */
  private endEarly(s: Stream): void {
    if (!s.remoteClosed) {
      this.rst(s.id, E_NO_ERROR);
      s.remoteClosed = true;
    }
    this.closeIfDone(s);
  }

  private headers(s: Stream, block: Buffer, endStream: boolean): void {
    if (!this.sentHeaderBlock) {
      // A dynamic table size update to 0 first: this side's encoder uses no table, and a
      // client that lowered SETTINGS_HEADER_TABLE_SIZE expects an update (nghttp2 insists).
      this.sentHeaderBlock = true;
      block = Buffer.concat([SIZE_UPDATE_0, block]);
    }
    // One HEADERS frame, CONTINUATIONs for a block larger than the peer's frame size.
    let off = 0;
    const max = this.peerMaxFrame;
    do {
      const n = Math.min(max, block.length - off);
      const last = off + n >= block.length;
      const type = off === 0 ? T_HEADERS : T_CONT;
      const flags = (last ? F_END_HEADERS : 0) | (off === 0 && endStream ? F_END_STREAM : 0);
      this.queue(frame(type, flags, s.id, block.subarray(off, off + n)));
      off += n;
    } while (off < block.length);
  }

  /** Sends one length-prefixed message on s (response headers first if not sent yet). */
  sendMessage(s: Stream, message: unknown): void {
    let body: Buffer;
    try {
      body = s.method!.def.responseSerialize(message);
    } catch (e) {
      this.finish(s, { code: grpc.status.INTERNAL, details: `cannot encode the response of ${s.method!.def.path}: ${(e as Error).message}` });
      return;
    }
    const msg = Buffer.allocUnsafe(5 + body.length);
    msg[0] = 0;
    msg.writeUInt32BE(body.length, 1);
    body.copy(msg, 5);
    if (!s.headersSent) {
      s.headersSent = true;
      this.headers(s, OK_HEADERS, false);
    }
    this.data(s, msg);
  }

  private data(s: Stream, msg: Buffer): void {
    if (s.pending) {
      s.pending.push(msg);
      s.pendingBytes += msg.length;
      if (s.pendingBytes > MAX_PENDING_PER_STREAM) {
        // The client stopped taking this call's responses (a watch it no longer reads): ended, its handler told.
        // A message is cut short, so no status can follow: reset (ENHANCE_YOUR_CALM: grpc clients say RESOURCE_EXHAUSTED).
        s.pendingTrailers = undefined;
        this.streamError(s, E_CALM);
      }
      return;
    }
    let off = 0;
    while (off < msg.length) {
      const n = Math.min(msg.length - off, this.peerMaxFrame, s.sendWindow, this.connSendWindow);
      if (n <= 0) break;
      this.queue(frame(T_DATA, 0, s.id, msg.subarray(off, off + n)));
      s.sendWindow -= n;
      this.connSendWindow -= n;
      off += n;
    }
    if (off < msg.length) {
      s.pending = [msg.subarray(off)];
      s.pendingBytes = msg.length - off;
      this.blocked.add(s);
    }
  }

  /** Ends s: OK trailers, or the status (trailers-only when no headers went out yet). */
  finish(s: Stream, st?: CallStatus): void {
    if (s.localClosed) return;
    s.localClosed = true;
    if (s.timer) { clearTimeout(s.timer); s.timer = undefined; }
    const ok = !st || st.code === grpc.status.OK;
    const block = s.headersSent
      ? (ok ? OK_TRAILERS : statusBlock(st!, false))
      : statusBlock(ok ? { code: grpc.status.OK, details: '' } : st!, true);
    s.headersSent = true;
    if (s.pending) { // after the DATA still waiting for the client's window
      s.pendingTrailers = block;
      return;
    }
    this.headers(s, block, true);
    if (s.remoteClosed) this.closeIfDone(s);
    else this.endEarly(s);
  }

  /** Unary fast path: headers, the message and trailers in one buffer when the windows allow. */
  private answerUnary(s: Stream, body: Buffer): void {
    const len = 5 + body.length;
    if (s.localClosed) return;
    if (s.headersSent || !this.sentHeaderBlock || len > this.peerMaxFrame || len > s.sendWindow || len > this.connSendWindow) {
      const msg = Buffer.allocUnsafe(len);
      msg[0] = 0; msg.writeUInt32BE(body.length, 1); body.copy(msg, 5);
      if (!s.headersSent) { s.headersSent = true; this.headers(s, OK_HEADERS, false); }
      this.data(s, msg);
      this.finish(s);
      return;
    }
    const h = OK_HEADERS.length; const t = OK_TRAILERS.length;
    const b = Buffer.allocUnsafe(9 + h + 9 + len + 9 + t);
    let o = 0;
    b.writeUIntBE(h, o, 3); b[o + 3] = T_HEADERS; b[o + 4] = F_END_HEADERS; b.writeUInt32BE(s.id, o + 5); OK_HEADERS.copy(b, o + 9); o += 9 + h;
    b.writeUIntBE(len, o, 3); b[o + 3] = T_DATA; b[o + 4] = 0; b.writeUInt32BE(s.id, o + 5); b[o + 9] = 0; b.writeUInt32BE(body.length, o + 10); body.copy(b, o + 14); o += 9 + len;
    b.writeUIntBE(t, o, 3); b[o + 3] = T_HEADERS; b[o + 4] = F_END_HEADERS | F_END_STREAM; b.writeUInt32BE(s.id, o + 5); OK_TRAILERS.copy(b, o + 9);
    s.sendWindow -= len;
    this.connSendWindow -= len;
    s.headersSent = true;
    s.localClosed = true;
    if (s.timer) { clearTimeout(s.timer); s.timer = undefined; }
    this.queue(b);
    this.closeIfDone(s);
  }

  private unblock(streams: Stream[]): void {
    for (const s of streams) {
      if (this.connSendWindow <= 0) return;
      if (s.sendWindow <= 0) continue;
      const parts = s.pending!;
      s.pending = undefined;
      this.blocked.delete(s);
      for (const p of parts) this.data(s, p);
      if (!s.pending && s.pendingTrailers) {
        const t = s.pendingTrailers;
        s.pendingTrailers = undefined;
        this.headers(s, t, true);
        if (s.remoteClosed) this.closeIfDone(s);
        else this.endEarly(s);
      }
    }
  }

  // ---------------------------------------------------------------- input

  private onData(chunk: Buffer): void {
    this.reads++;
    if (this.closing) return;
    let buf = this.inbuf ? Buffer.concat([this.inbuf, chunk]) : chunk;
    this.inbuf = undefined;
    try {
      if (!this.prefaceSeen) {
        const n = Math.min(buf.length, PREFACE.length);
        if (buf.compare(PREFACE, 0, n, 0, n) !== 0) throw new ConnError(E_PROTOCOL, 'the connection does not start with the HTTP/2 client preface (this port speaks gRPC over HTTP/2)');
        if (buf.length < PREFACE.length) { this.inbuf = buf; return; }
        this.prefaceSeen = true;
        buf = buf.subarray(PREFACE.length);
      }
      let p = 0;
      while (buf.length - p >= 9) {
        const len = buf.readUIntBE(p, 3);
        if (len > MAX_FRAME) throw new ConnError(E_FRAME_SIZE, `a frame of ${len} octets, above SETTINGS_MAX_FRAME_SIZE ${MAX_FRAME}`);
        if (buf.length - p < 9 + len) break;
        const type = buf[p + 3]!; const flags = buf[p + 4]!;
        const id = buf.readUInt32BE(p + 5) & 0x7fffffff;
        this.onFrame(type, flags, id, buf.subarray(p + 9, p + 9 + len));
        p += 9 + len;
        if (this.closing) return;
      }
      if (p < buf.length) this.inbuf = Buffer.from(buf.subarray(p)); // a copy: the socket's chunk is not kept
    } catch (e) {
      if (e instanceof ConnError) this.goaway(e.code, e.message);
      else if (e instanceof HpackError) this.goaway(E_COMPRESSION, e.message);
      else this.goaway(E_INTERNAL, `internal error: ${(e as Error)?.message ?? String(e)}`);
    }
    if (this.connRecvUnacked >= CONN_WINDOW / 2) {
      this.queue(frame(T_WINDOW, 0, 0, u32(this.connRecvUnacked)));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
  }

  private onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.headerBlock && type !== T_CONT) throw new ConnError(E_PROTOCOL, `a frame of type ${type} in the middle of a header block (CONTINUATION expected)`);
    if (!this.settingsSeen && type !== T_SETTINGS) throw new ConnError(E_PROTOCOL, 'the first frame is not SETTINGS');
    switch (type) {
      case T_DATA: return this.onDataFrame(flags, id, p);
      case T_HEADERS: {
        if (id === 0) throw new ConnError(E_PROTOCOL, 'HEADERS on stream 0');
        let start = 0; let end = p.length;
        if (flags & F_PADDED) {
          const pad = p[0] ?? 0;
          start = 1; end -= pad;
        }
        if (flags & F_PRIORITY) start += 5;
        if (start > end) throw new ConnError(E_PROTOCOL, 'HEADERS padding or priority longer than the frame');
        const frag = p.subarray(start, end);
        if (flags & F_END_HEADERS) return this.onHeaderBlock(id, flags, frag);
        this.headerBlock = { id, flags, parts: [Buffer.from(frag)], size: frag.length, frames: 1 };
        return;
      }
      case T_CONT: {
        const hb = this.headerBlock;
        if (!hb || hb.id !== id) throw new ConnError(E_PROTOCOL, 'CONTINUATION without a header block open on its stream');
        if (++hb.frames > MAX_CONTINUATIONS) throw new ConnError(E_CALM, `a header block in more than ${MAX_CONTINUATIONS} CONTINUATION frames`);
        if (p.length > 0) hb.parts.push(Buffer.from(p));
        hb.size += p.length;
        if (hb.size > MAX_HEADER_LIST) throw new ConnError(E_PROTOCOL, `a header block of more than ${MAX_HEADER_LIST} octets`);
        if (flags & F_END_HEADERS) {
          this.headerBlock = undefined;
          this.onHeaderBlock(id, hb.flags, Buffer.concat(hb.parts));
        }
        return;
      }
      case T_PRIORITY:
        if (id === 0) throw new ConnError(E_PROTOCOL, 'PRIORITY on stream 0');
        if (p.length !== 5) throw new ConnError(E_FRAME_SIZE, 'PRIORITY frame not 5 octets');
        return;
      case T_RST: {
        if (p.length !== 4) throw new ConnError(E_FRAME_SIZE, 'RST_STREAM frame not 4 octets');
        if (id === 0) throw new ConnError(E_PROTOCOL, 'RST_STREAM on stream 0');
        const s = this.streams.get(id);
        if (s) {
          this.streams.delete(id);
          this.blocked.delete(s);
          s.remoteClosed = true;
          this.cancelStream(s);
        } else if (id > this.lastStreamId) throw new ConnError(E_PROTOCOL, `RST_STREAM on idle stream ${id}`);
        return;
      }
      case T_SETTINGS: return this.onSettings(flags, id, p);
      case T_PUSH: throw new ConnError(E_PROTOCOL, 'PUSH_PROMISE from a client');
      case T_PING:
        if (id !== 0) throw new ConnError(E_PROTOCOL, 'PING on a stream');
        if (p.length !== 8) throw new ConnError(E_FRAME_SIZE, 'PING frame not 8 octets');
        if (!(flags & F_ACK)) this.queue(frame(T_PING, F_ACK, 0, p));
        return;
      case T_GOAWAY:
        if (id !== 0) throw new ConnError(E_PROTOCOL, 'GOAWAY on a stream');
        if (p.length < 8) throw new ConnError(E_FRAME_SIZE, 'GOAWAY frame shorter than 8 octets');
        // The client is going away: no new stream starts; the open ones finish.
        this.goingAway = true;
        return;
      case T_WINDOW: {
        if (p.length !== 4) throw new ConnError(E_FRAME_SIZE, 'WINDOW_UPDATE frame not 4 octets');
        const inc = p.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) {
          if (inc === 0) throw new ConnError(E_PROTOCOL, 'WINDOW_UPDATE of 0 on the connection');
          this.connSendWindow += inc;
          if (this.connSendWindow > 0x7fffffff) throw new ConnError(E_FLOW, 'connection window above 2^31-1');
        } else {
          const s = this.streams.get(id);
          if (!s) {
            if (id > this.lastStreamId) throw new ConnError(E_PROTOCOL, `WINDOW_UPDATE on idle stream ${id}`);
            return;
          }
          if (inc === 0) { this.streamError(s, E_PROTOCOL); return; }
          s.sendWindow += inc;
          if (s.sendWindow > 0x7fffffff) { this.streamError(s, E_FLOW); return; }
          if (s.pending) this.unblock([s]);
          return;
        }
        if (this.blocked.size > 0) this.unblock([...this.blocked]);
        return;
      }
      default: return; // unknown frame types are ignored (RFC 9113 4.1)
    }
  }

  private streamError(s: Stream, code: number): void {
    this.rst(s.id, code);
    this.streams.delete(s.id);
    this.blocked.delete(s);
    this.cancelStream(s);
  }

  private onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) throw new ConnError(E_PROTOCOL, 'SETTINGS on a stream');
    if (flags & F_ACK) {
      if (!this.settingsSeen) throw new ConnError(E_PROTOCOL, 'the first frame is a SETTINGS ACK, not the client\'s SETTINGS');
      if (p.length !== 0) throw new ConnError(E_FRAME_SIZE, 'SETTINGS ACK with a payload');
      return;
    }
    if (p.length % 6 !== 0) throw new ConnError(E_FRAME_SIZE, 'SETTINGS payload not a multiple of 6 octets');
    this.settingsSeen = true;
    for (let o = 0; o < p.length; o += 6) {
      const k = p.readUInt16BE(o); const v = p.readUInt32BE(o + 2);
      if (k === 0x2 && v > 1) throw new ConnError(E_PROTOCOL, 'SETTINGS_ENABLE_PUSH not 0 or 1');
      if (k === 0x4) {
        if (v > 0x7fffffff) throw new ConnError(E_FLOW, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
        const delta = v - this.peerInitialWindow;
        this.peerInitialWindow = v;
        for (const s of this.streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > 0x7fffffff) throw new ConnError(E_FLOW, `SETTINGS_INITIAL_WINDOW_SIZE ${v} takes stream ${s.id}'s window above 2^31-1`);
        }
      } else if (k === 0x5) {
        if (v < 16384 || v > 16777215) throw new ConnError(E_PROTOCOL, `SETTINGS_MAX_FRAME_SIZE ${v} outside 16384-16777215`);
        this.peerMaxFrame = v;
      }
      // HEADER_TABLE_SIZE: this side's encoder uses no dynamic table. Others: nothing to do.
    }
    this.queue(frame(T_SETTINGS, F_ACK, 0, null));
    if (this.blocked.size > 0) this.unblock([...this.blocked]);
  }

  private onDataFrame(flags: number, id: number, p: Buffer): void {
    if (id === 0) throw new ConnError(E_PROTOCOL, 'DATA on stream 0');
    // Flow control counts the whole frame, padding included.
    this.connRecvUnacked += p.length;
    this.connRecvWindow -= p.length;
    if (this.connRecvWindow < 0) throw new ConnError(E_FLOW, 'DATA beyond the connection window');
    let data = p;
    if (flags & F_PADDED) {
      const pad = p[0] ?? 0;
      if (pad + 1 > p.length) throw new ConnError(E_PROTOCOL, 'DATA padding longer than the frame');
      data = p.subarray(1, p.length - pad);
    }
    const s = this.streams.get(id);
    if (!s) {
      if (id > this.lastStreamId) throw new ConnError(E_PROTOCOL, `DATA on idle stream ${id}`);
      return; // a stream already answered or reset: dropped
    }
    if (s.remoteClosed) { this.streamError(s, E_STREAM_CLOSED); return; }
    s.recvWindow -= p.length;
    if (s.recvWindow < 0) { this.streamError(s, E_FLOW); return; }
    if (data.length > 0) this.onStreamBytes(s, data);
    if (flags & F_END_STREAM) this.onRemoteEnd(s);
    else if (!s.localClosed) {
      s.recvUnacked += p.length;
      if (!s.paused) this.ackStreamData(s);
    }
  }

  /** A stream WINDOW_UPDATE for the data received on `s` once half a window of it is unacknowledged. */
  ackStreamData(s: Stream): void {
    if (s.localClosed || s.remoteClosed || s.recvUnacked < STREAM_WINDOW / 2) return;
    this.queue(frame(T_WINDOW, 0, s.id, u32(s.recvUnacked)));
    s.recvWindow += s.recvUnacked;
    s.recvUnacked = 0;
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    const fields = this.decoder.decode(block); // decoded even for streams refused below: the table is shared
    const existing = this.streams.get(id);
    if (existing || id <= this.lastStreamId) {
      // Trailers from a client (gRPC clients send none) end its side; anything else on a used id is an error.
      if (existing && (flags & F_END_STREAM) && !existing.remoteClosed) { this.onRemoteEnd(existing); return; }
      if (existing) { this.streamError(existing, E_PROTOCOL); return; }
      return; // a stream this side already closed or reset: ignored (RFC 9113 5.1)
    }
    if ((id & 1) === 0) throw new ConnError(E_PROTOCOL, `a client stream with an even id (${id})`);
    this.lastStreamId = id;
    // Unary handlers still running count too: a client resetting its calls at once (HTTP/2
    // "rapid reset") cannot start more than maxStreams at a time.
    if (this.goingAway || Math.max(this.streams.size, this.running) >= this.server.maxStreams) { this.rst(id, E_REFUSED); return; }
    let method = ''; let path = ''; let ctype = ''; let enc: string | undefined; let timeout: string | undefined;
    let md: grpc.Metadata | undefined;
    let badName: string | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      const k = fields[i]!; const v = fields[i + 1]!;
      if (UPPER.test(k)) badName = k;
      if (k.charCodeAt(0) === 58) {
        if (k === ':path') path = v;
        else if (k === ':method') method = v;
        continue;
      }
      switch (k) {
        case 'content-type': ctype = v; continue;
        case 'grpc-encoding': enc = v; continue;
        case 'grpc-timeout': timeout = v; continue;
        default: break;
      }
      if (RESERVED.has(k)) continue;
      md ??= new grpc.Metadata();
      try {
        if (k.endsWith('-bin')) md.add(k, Buffer.from(v, 'base64'));
        else md.add(k, v);
      } catch {
        // a key grpc-js refuses (uppercase, odd characters): not passed on
      }
    }
    const m = this.server.method(path);
    const s = new Stream(id, m, md ?? new grpc.Metadata(), this.peerInitialWindow);
    this.streams.set(id, s);
    if (flags & F_END_STREAM) s.remoteClosed = true;
    if (badName !== undefined) { this.streamError(s, E_PROTOCOL); return; } // RFC 9113 8.2.1: a malformed request
    if (method !== 'POST') { this.httpError(s, '405'); return; }
    if (!(ctype === 'application/grpc' || ctype.startsWith('application/grpc+') || ctype.startsWith('application/grpc;'))) { this.httpError(s, '415'); return; }
    if (!m) { this.finish(s, { code: grpc.status.UNIMPLEMENTED, details: `unknown method ${path || '(no :path)'}` }); return; }
    if (enc !== undefined && enc !== 'identity') {
      if (enc !== 'gzip' && enc !== 'deflate') {
        this.finish(s, { code: grpc.status.UNIMPLEMENTED, details: `request compression ${enc} is not supported (identity, gzip, deflate are)` });
        return;
      }
      s.encoding = enc;
    }
    const ms = timeoutMs(timeout);
    if (ms !== undefined && ms <= 0x7fffffff) { // longer (grpc-go's 30-day default): no timer, node's would fire at once
      s.timer = setTimeout(() => {
        s.timer = undefined;
        if (!s.localClosed) this.abort(s, { code: grpc.status.DEADLINE_EXCEEDED, details: `deadline of ${timeout} exceeded` });
      }, Math.max(0, ms));
    }
    if (m.stream) {
      const call = new ServerStreamCall(this, s, s.metadata);
      s.call = call;
      try {
        m.stream(call);
      } catch (e) {
        this.abort(s, this.server.toStatus(e));
        return;
      }
    }
    if (s.remoteClosed) this.onRemoteEnd(s, true);
  }

  private httpError(s: Stream, status: string): void {
    s.localClosed = true;
    s.headersSent = true;
    this.headers(s, encodeHeaders([[':status', status]]), true);
    this.endEarly(s);
  }

  /**
   * Bytes of a stream's body: cut into gRPC messages. The fragments of a message are kept
   * (copied: never the socket's chunk) and joined once, when the message is whole.
   */
  private onStreamBytes(s: Stream, data: Buffer): void {
    if (s.localClosed) return;
    let off = 0;
    while (off < data.length) {
      if (s.msgLen < 0) {
        // The 5-octet prefix of the next message, from the held fragments and/or data.
        if (s.partBytes + (data.length - off) < 5) { this.hold(s, data.subarray(off)); return; }
        const head = s.partBytes === 0 ? data.subarray(off, off + 5) : Buffer.concat([...s.parts, data.subarray(off, off + 5 - s.partBytes)]);
        const flag = head[0]!;
        const len = head.readUInt32BE(1);
        const path = s.method!.def.path;
        if (len > this.server.maxReceive) {
          this.abort(s, { code: grpc.status.RESOURCE_EXHAUSTED, details: `received a message of ${len} octets for ${path}, larger than the ${this.server.maxReceive} allowed` });
          return;
        }
        if (flag > 1) {
          this.abort(s, { code: grpc.status.INTERNAL, details: `a message for ${path} with flags ${flag} (only 0 and 1, compressed, exist)` });
          return;
        }
        s.msgLen = len;
        s.msgFlag = flag;
      }
      const len = s.msgLen;
      const need = 5 + len - s.partBytes; // octets of data this message still needs
      if (data.length - off < need) { this.hold(s, data.subarray(off)); return; }
      let whole: Buffer;
      if (s.partBytes === 0) whole = data.subarray(off + 5, off + 5 + len);
      else {
        whole = Buffer.concat([...s.parts, data.subarray(off, off + need)]).subarray(5);
        this.dropParts(s);
      }
      off += need;
      s.msgLen = -1;
      if (!this.onMessage(s, s.msgFlag === 1, whole)) return;
    }
  }

  private hold(s: Stream, b: Buffer): void {
    if (this.partialBytes + b.length > MAX_PARTIAL_PER_CONN) {
      this.goaway(E_CALM, `more than ${MAX_PARTIAL_PER_CONN} octets of unfinished request messages on one connection`);
      return;
    }
    s.parts.push(Buffer.from(b));
    s.partBytes += b.length;
    this.partialBytes += b.length;
  }

  /** One whole request message (a view of the socket's chunk or of a join); false when the call ended on it. */
  private onMessage(s: Stream, compressed: boolean, body: Buffer): boolean {
    const path = s.method!.def.path;
    let plain: Buffer;
    if (compressed) {
      if (s.encoding === 'identity') {
        this.abort(s, { code: grpc.status.INTERNAL, details: `a compressed message for ${path} without a grpc-encoding header` });
        return false;
      }
      try {
        const o = { maxOutputLength: this.server.maxReceive };
        plain = s.encoding === 'gzip' ? zlib.gunzipSync(body, o) : zlib.inflateSync(body, o);
      } catch (e) {
        const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        this.abort(s, tooBig
          ? { code: grpc.status.RESOURCE_EXHAUSTED, details: `the message for ${path} decompresses (${s.encoding}) to more than the ${this.server.maxReceive} octets allowed` }
          : { code: grpc.status.INTERNAL, details: `cannot decompress (${s.encoding}) the message for ${path}: ${(e as Error).message}` });
        return false;
      }
    } else plain = Buffer.from(body); // decoders keep views (keys, values): never of the socket's chunk
    if (s.method!.unary) {
      if (++s.unaryCount > 1) {
        this.abort(s, { code: grpc.status.UNIMPLEMENTED, details: `received a second request message for the unary method ${path}` });
        return false;
      }
      s.unaryRequest = plain;
      return true;
    }
    let req: unknown;
    try {
      req = s.method!.def.requestDeserialize(plain);
    } catch (e) {
      this.abort(s, { code: grpc.status.INTERNAL, details: `cannot decode the request for ${path}: ${(e as Error).message}` });
      return false;
    }
    try {
      s.call!.emit('data', req);
    } catch (e) {
      this.abort(s, this.server.toStatus(e));
      return false;
    }
    return !s.localClosed;
  }

  private onRemoteEnd(s: Stream, already = false): void {
    if (!already && s.remoteClosed) return;
    s.remoteClosed = true;
    if (s.localClosed) { this.closeIfDone(s); return; }
    if (s.partBytes > 0) {
      this.abort(s, { code: grpc.status.INTERNAL, details: `the request for ${s.method!.def.path} ends inside a message` });
      return;
    }
    const m = s.method!;
    if (m.stream) {
      try {
        s.call!.emit('end');
      } catch (e) {
        this.abort(s, this.server.toStatus(e));
      }
      return;
    }
    const raw = s.unaryRequest;
    s.unaryRequest = undefined;
    if (!raw) {
      this.finish(s, { code: grpc.status.UNIMPLEMENTED, details: `received no request message for the unary method ${m.def.path}` });
      return;
    }
    let req: unknown;
    try {
      req = m.def.requestDeserialize(raw);
    } catch (e) {
      this.finish(s, { code: grpc.status.INTERNAL, details: `cannot decode the request for ${m.def.path}: ${(e as Error).message}` });
      return;
    }
    let pr: Promise<unknown>;
    try {
      pr = m.unary!(req, s.metadata);
    } catch (e) {
      this.finish(s, this.server.toStatus(e));
      return;
    }
    this.running++;
    pr.then((res) => {
      this.running--;
      if (s.localClosed) { if (this.draining) this.endIfDrained(); return; }
      let body: Buffer;
      try {
        body = m.def.responseSerialize(res);
      } catch (e) {
        this.finish(s, { code: grpc.status.INTERNAL, details: `cannot encode the response of ${m.def.path}: ${(e as Error).message}` });
        return;
      }
      this.answerUnary(s, body);
    }, (e: unknown) => {
      this.running--;
      if (!s.localClosed) this.finish(s, this.server.toStatus(e));
      else if (this.draining) this.endIfDrained();
    });
  }
}

/** The opaque data of a keep-alive PING. */
const KEEPALIVE_PING = Buffer.from('berthka!', 'latin1');

/** The debug text of a drain's GOAWAY. */
const DRAIN_DEBUG = Buffer.from('the server is stopping', 'utf8');

/** For tests: the error codes this server sends in RST_STREAM and GOAWAY. */
export const H2_ERRORS = { NO_ERROR: E_NO_ERROR, PROTOCOL_ERROR: E_PROTOCOL, FLOW_CONTROL_ERROR: E_FLOW, FRAME_SIZE_ERROR: E_FRAME_SIZE, REFUSED_STREAM: E_REFUSED, CANCEL: E_CANCEL, COMPRESSION_ERROR: E_COMPRESSION } as const;
