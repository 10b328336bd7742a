/**
 * H2ClientStream: ONE client-streaming gRPC call on a connection of its own, HTTP/2 framed by
 * hand, whose messages go to the socket the moment write() is called.
 *
 * Why: the member transport sends Raft messages from the Ready loop, a JS immediate. grpc-js
 * writes through node:http2, which hands the session's socket write to a native immediate,
 * run before the JS immediates of a check phase: so a message written from the Ready loop left
 * only after the next poll phase, ~0.8-1 ms on a loaded member (p99 up to 10 ms), on every hop
 * of every write (bench/transport-hop.ts: 1.27 ms median vs 0.08 for a plain socket). Here
 * write() frames the message and calls socket.write, which libuv tries at once.
 *
 * Contract:
 * - The constructor connects (TLS with ALPN h2 when `tls` is given, else plain TCP) and opens
 *   the call at once; writes before the connection is up are queued by the socket.
 * - write(body) sends one gRPC message (uncompressed, length-prefixed), within the server's
 *   flow-control windows (what does not fit waits for its WINDOW_UPDATE, in order).
 * - end() half-closes the call; destroy() drops the connection.
 * - What waits for the server's windows is bounded: past `maxPendingBytes` (default 512 MiB,
 *   above the 256 MiB a Raft leader's pipeline may have in flight to one follower,
 *   maxInflightMsgs x maxSizePerMsg: so only a server that stopped granting window while its
 *   connection lives reaches it) the call is dropped with an error saying so, and onClose gets it
 *   (the member transport then reports the peer unreachable and reconnects).
 * - onClose(err) is called exactly once: undefined when the server ended the call with
 *   grpc-status 0, else an Error naming what happened (connection lost, reset, GOAWAY, a
 *   status, a protocol error in what the server sent).
 * The server is any gRPC server (here grpc-js's, on the member port); the response message is
 * read and dropped (the member transport's Stream answers Empty).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  DEFAULT_WINDOW, F_ACK, F_END_HEADERS, F_END_STREAM, F_PADDED, F_PRIORITY, frame, PREFACE,
  T_CONT, T_DATA, T_GOAWAY, T_HEADERS, T_PING, T_RST, T_SETTINGS, T_WINDOW, u32,
} from './frames';
import { encodeHeaders, HpackDecoder } from './hpack';

const STREAM = 1;
/** This side's receive windows (the response is one small message): the defaults, replenished. */
const RECV_WINDOW = DEFAULT_WINDOW;
const MAX_FRAME_IN = 16384;
/** Octets of messages waiting for the server's windows before the call is given up (default). */
export const MAX_PENDING_BYTES = 512 << 20;

export interface H2ClientStreamOptions {
  /** host:port (or [v6]:port). */
  address: string;
  /** The method's path, e.g. '/berth.v1.RaftTransport/Stream'. */
  path: string;
  /** TLS options (ca, cert, key, servername ...); plain TCP when absent. */
  tls?: tls.ConnectionOptions | undefined;
  /** See the contract; default MAX_PENDING_BYTES. */
  maxPendingBytes?: number | undefined;
  onClose(err?: Error): void;
}

export class H2ClientStream {
  private readonly socket: net.Socket;
  private readonly decoder = new HpackDecoder();
  private inbuf: Buffer | undefined;
  private connWindow = DEFAULT_WINDOW;
  private streamWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16384;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private endPending = false;
  private endSent = false;
  private connUnacked = 0;
  private streamUnacked = 0;
  private headerParts: Buffer[] | undefined;
  private headerFlags = 0;
  private status: string | undefined;
  private closed = false;

  constructor(private readonly opts: H2ClientStreamOptions) {
    const m = /^\[(.*)\]:(\d+)$/.exec(opts.address) ?? /^([^:]*):(\d+)$/.exec(opts.address);
    if (!m) throw new Error(`member address ${opts.address} is not host:port`);
    const host = m[1]!;
    const port = Number(m[2]);
    this.socket = opts.tls
      ? tls.connect({ ...opts.tls, host, port, ALPNProtocols: ['h2'], ...(net.isIP(host) ? {} : { servername: opts.tls.servername ?? host }) })
      : net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e: Error) => this.finish(new Error(`connection to ${opts.address}: ${e.message}`)));
    this.socket.on('close', () => this.finish(new Error(`connection to ${opts.address} closed`)));
    const headers = encodeHeaders([
      [':method', 'POST'], [':scheme', opts.tls ? 'https' : 'http'], [':path', opts.path], [':authority', opts.address],
      ['content-type', 'application/grpc'], ['te', 'trailers'],
    ]);
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(0x2, 0); settings.writeUInt32BE(0, 2); // no push
    settings.writeUInt16BE(0x4, 6); settings.writeUInt32BE(RECV_WINDOW, 8);
    this.socket.write(Buffer.concat([PREFACE, frame(T_SETTINGS, 0, 0, settings), frame(T_HEADERS, F_END_HEADERS, STREAM, headers)]));
  }

  /** Sends one message on the call. */
  write(body: Buffer): void {
    if (this.closed || this.endPending) return;
    const len = 5 + body.length;
    if (this.pending.length === 0 && len <= this.peerMaxFrame && len <= this.connWindow && len <= this.streamWindow) {
      // The usual case: one DATA frame, built once (header, message prefix, body).
      const f = Buffer.allocUnsafe(9 + len);
      f.writeUIntBE(len, 0, 3);
      f[3] = T_DATA; f[4] = 0;
      f.writeUInt32BE(STREAM, 5);
      f[9] = 0;
      f.writeUInt32BE(body.length, 10);
      body.copy(f, 14);
      this.connWindow -= len;
      this.streamWindow -= len;
      this.socket.write(f);
      return;
    }
    const msg = Buffer.allocUnsafe(len);
    msg[0] = 0;
    msg.writeUInt32BE(body.length, 1);
    body.copy(msg, 5);
    if (this.pending.length > 0) { this.hold(msg, false); return; }
    this.send(msg);
  }

  /** Queues what the windows do not take now (first: the rest of a message partly sent). */
  private hold(msg: Buffer, first: boolean): void {
    this.pendingBytes += msg.length;
    if (first) this.pending.unshift(msg);
    else this.pending.push(msg);
    if (this.pendingBytes > (this.opts.maxPendingBytes ?? MAX_PENDING_BYTES)) {
      this.finish(new Error(`connection to ${this.opts.address}: the server took no more data (window ${this.streamWindow} / ${this.connWindow}) while ${this.pendingBytes} octets waited`));
    }
  }

  /** Half-closes the call (after what is still waiting for the server's window). */
  end(): void {
    if (this.closed || this.endPending) return;
    this.endPending = true;
    if (this.pending.length === 0) this.sendEnd();
  }

  private sendEnd(): void {
    if (this.endSent) return;
    this.endSent = true;
    this.socket.write(frame(T_DATA, F_END_STREAM, STREAM, undefined));
  }

  destroy(): void {
    this.finish(new Error('stream destroyed'));
  }

  /** As much of msg as the windows allow, in frames of the server's size; the rest waits. */
  private send(msg: Buffer): void {
    let off = 0;
    const out: Buffer[] = [];
    while (off < msg.length) {
      const n = Math.min(msg.length - off, this.peerMaxFrame, this.connWindow, this.streamWindow);
      if (n <= 0) break;
      out.push(frame(T_DATA, 0, STREAM, msg.subarray(off, off + n)));
      this.connWindow -= n;
      this.streamWindow -= n;
      off += n;
    }
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
    if (off < msg.length) this.hold(msg.subarray(off), true);
  }

  private flushPending(): void {
    // send() puts back, first, what does not fit; the windows then stop the loop.
    while (this.pending.length > 0 && this.connWindow > 0 && this.streamWindow > 0) {
      const m = this.pending.shift()!;
      this.pendingBytes -= m.length;
      this.send(m);
    }
    if (this.pending.length === 0 && this.endPending && !this.closed) this.sendEnd();
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.destroy();
    this.opts.onClose(err);
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let buf = this.inbuf ? Buffer.concat([this.inbuf, chunk]) : chunk;
    this.inbuf = undefined;
    let p = 0;
    try {
      while (buf.length - p >= 9) {
        const len = buf.readUIntBE(p, 3);
        if (len > MAX_FRAME_IN) throw new Error(`the server sent a frame of ${len} octets, above ${MAX_FRAME_IN}`);
        if (buf.length - p < 9 + len) break;
        this.onFrame(buf[p + 3]!, buf[p + 4]!, buf.readUInt32BE(p + 5) & 0x7fffffff, buf.subarray(p + 9, p + 9 + len));
        if (this.closed) return;
        p += 9 + len;
      }
    } catch (e) {
      this.finish(new Error(`from ${this.opts.address}: ${(e as Error).message}`));
      return;
    }
    if (p < buf.length) this.inbuf = Buffer.from(buf.subarray(p));
    buf = Buffer.alloc(0);
  }

  private onFrame(type: number, flags: number, id: number, p: Buffer): void {
    if (this.headerParts && type !== T_CONT) throw new Error('a frame in the middle of a header block');
    switch (type) {
      case T_SETTINGS:
        if (flags & F_ACK) return;
        for (let o = 0; o + 6 <= p.length; o += 6) {
          const k = p.readUInt16BE(o); const v = p.readUInt32BE(o + 2);
          if (k === 0x4) {
            this.streamWindow += v - this.peerInitialWindow;
            this.peerInitialWindow = v;
          } else if (k === 0x5) this.peerMaxFrame = v;
        }
        this.socket.write(frame(T_SETTINGS, F_ACK, 0, undefined));
        this.flushPending();
        return;
      case T_PING:
        if (!(flags & F_ACK)) this.socket.write(frame(T_PING, F_ACK, 0, p));
        return;
      case T_WINDOW: {
        const inc = p.readUInt32BE(0) & 0x7fffffff;
        if (id === 0) this.connWindow += inc;
        else if (id === STREAM) this.streamWindow += inc;
        this.flushPending();
        return;
      }
      case T_DATA: {
        // The response message: read and dropped; the windows it used given back.
        this.connUnacked += p.length;
        this.streamUnacked += p.length;
        if (this.connUnacked >= RECV_WINDOW / 2) { this.socket.write(frame(T_WINDOW, 0, 0, u32(this.connUnacked))); this.connUnacked = 0; }
        if (this.streamUnacked >= RECV_WINDOW / 2 && !(flags & F_END_STREAM)) { this.socket.write(frame(T_WINDOW, 0, STREAM, u32(this.streamUnacked))); this.streamUnacked = 0; }
        if (flags & F_END_STREAM) this.finish(new Error(`${this.opts.address} ended the call without a status`));
        return;
      }
      case T_HEADERS: {
        let start = 0; let end = p.length;
        if (flags & F_PADDED) { start = 1; end -= p[0] ?? 0; }
        if (flags & F_PRIORITY) start += 5;
        this.headerParts = [Buffer.from(p.subarray(start, end))];
        this.headerFlags = flags;
        if (flags & F_END_HEADERS) this.onHeaders();
        return;
      }
      case T_CONT:
        if (!this.headerParts) throw new Error('CONTINUATION without a header block');
        this.headerParts.push(Buffer.from(p));
        if (this.headerParts.length > 64) throw new Error('a header block in more than 64 frames');
        if (flags & F_END_HEADERS) this.onHeaders();
        return;
      case T_RST:
        this.finish(new Error(`${this.opts.address} reset the call (code ${p.length >= 4 ? p.readUInt32BE(0) : '?'})`));
        return;
      case T_GOAWAY:
        this.finish(new Error(`${this.opts.address} is going away (GOAWAY code ${p.length >= 8 ? p.readUInt32BE(4) : '?'}${p.length > 8 ? `: ${p.subarray(8).toString()}` : ''})`));
        return;
      default:
        return;
    }
  }

  private onHeaders(): void {
    const block = this.headerParts!.length === 1 ? this.headerParts![0]! : Buffer.concat(this.headerParts!);
    this.headerParts = undefined;
    const fields = this.decoder.decode(block);
    let message = '';
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'grpc-status') this.status = fields[i + 1];
      else if (fields[i] === 'grpc-message') message = fields[i + 1]!;
    }
    if (this.headerFlags & F_END_STREAM) {
      if (this.status === '0') this.finish(undefined);
      else {
        let text = message;
        try { text = decodeURIComponent(message); } catch { /* shown as sent */ }
        this.finish(new Error(`${this.opts.address} ended the call with grpc-status ${this.status ?? '(none)'}${text ? `: ${text}` : ''}`));
      }
    }
  }
}
