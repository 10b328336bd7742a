/**
 * Data links: bulk bytes between two members (a live move's volume and CRIU images, an image
 * pulled from a holder) on a plain TLS connection of the members' own certificates, beside
 * their gRPC listener. One gRPC stream moved 50-110 MB/s here (grpc-js reassembles 16 KiB
 * HTTP/2 frames into messages, protobuf copies every byte); a TLS socket moves 500+ MB/s on
 * the same host, leaving framing to the kernel and TLS. gRPC still carries the control (the
 * header, phases, errors); a call offers a link, the link carries that call's bytes only.
 *
 * Contract:
 * - DataListener: each member listens on its cluster address's host, on a port of its own
 *   (`--data-address`, default an ephemeral port: the port travels in the offer). A peer
 *   connects with TLS, both sides presenting certificates of the cluster CA, and sends a
 *   one-time ticket (32 bytes) that the serving side made for ONE gRPC call (expect()); the
 *   connection is refused (closed at once, nothing read past the ticket) when the ticket is
 *   unknown, used or expired, when its certificate is not the certificate of that call's
 *   caller, or when the peer check (peer-auth.ts: current members only) refuses it.
 * - dial(): the other end, to an offer; the server is checked against the CA and the host
 *   dialled (its certificate's subjectAltName), as the gRPC channels do.
 * - Frames (FrameWriter / readFrames): [u8 kind | 0x80 when last][u32 length][u32 CRC-32]
 *   payload. A reader yields only whole frames whose CRC-32 matched (a mismatch throws
 *   CorruptFrameError naming the frame's offset), as the pieces they came in (no copy; `data`
 *   joins them on demand); TLS's own record MACs come on top. A connection that ends inside a
 *   frame throws. Writers respect the socket's backpressure; a payload given with room for
 *   the header in front goes out as one write.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { crc32 } from 'node:zlib';
import { fingerprintDer } from '@berth/control-plane';
import type { MemberPki } from '@berth/control-plane';
import { joinAddress, splitAddress } from './files';

export const TICKET_BYTES = 32;
/** Kind flag: the last frame of its section. */
export const LAST = 0x80;
const HEADER = 9;
/** Bytes of a frame's header (FrameWriter.frame's `room`). */
export const FRAME_HEADER = HEADER;
/**
 * Node's default suites with AES-128-GCM first: bulk bytes cost the serving member less CPU
 * (~15% less than AES-256-GCM, Node's first choice, on this host's AES-NI), and AES-128-GCM is
 * one of TLS 1.3's mandatory, fully strong suites. The server's order decides (honorCipherOrder).
 */
const LINK_CIPHERS = ['TLS_AES_128_GCM_SHA256', ...tls.DEFAULT_CIPHERS.split(':').filter((c) => c !== 'TLS_AES_128_GCM_SHA256')].join(':');
/** Largest payload a reader takes (a peer announcing more is refused: nothing is buffered for it). */
export const MAX_FRAME = 16 << 20;

export interface LinkOffer {
  /** host:port of the serving member's data listener. */
  address: string;
  /** The ticket, hex. */
  ticket: string;
}

/** What a member needs for data links: its listener (serving side) and its certificates (dialling side). */
export interface DataLinks {
  listener: DataListener;
  pki: MemberPki;
}

export class CorruptFrameError extends Error {
  override readonly name = 'CorruptFrameError';
}

interface Pending {
  ticket: Buffer;
  /** SHA-256 fingerprint (hex) of the caller's certificate; the link must present the same. */
  caller: string;
  resolve: (s: tls.TLSSocket) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** One member's data listener (see the contract). */
export class DataListener {
  private readonly pending = new Map<string, Pending>();
  /** Connections refused, with why (tests, diagnostics). */
  readonly refused: string[] = [];
  private readonly open = new Set<tls.TLSSocket>();

  private constructor(private readonly server: tls.Server, readonly address: string) {}

  /**
   * Listens on `listen` (host:port; port 0: any). `admit` is the peer check: a certificate it
   * answers with a reason for is refused.
   */
  static async start(listen: string, pki: MemberPki, admit: (cert: tls.PeerCertificate) => string | undefined): Promise<DataListener> {
    const server = tls.createServer({ ca: pki.caPem, cert: pki.certPem, key: pki.keyPem, requestCert: true, rejectUnauthorized: true, ciphers: LINK_CIPHERS, honorCipherOrder: true });
    const { host, port: wanted } = splitAddress(listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, host, () => { server.off('error', reject); resolve(); });
    }).catch((e: Error) => { throw new Error(`cannot listen for data links on ${listen}: ${e.message}`); });
    const port = (server.address() as net.AddressInfo).port;
    const l = new DataListener(server, joinAddress(host, port));
    server.on('secureConnection', (s) => l.accept(s, admit));
    server.on('tlsClientError', () => undefined); // a peer without a CA certificate: TLS refused it
    return l;
  }

  /**
   * A ticket for one connection from the holder of `callerFingerprint`'s certificate; `socket`
   * resolves when it arrived, or rejects after `timeoutMs` (then the ticket is void).
   */
  expect(callerFingerprint: string, timeoutMs = 10_000): { offer: LinkOffer; socket: Promise<tls.TLSSocket> } {
    const ticket = randomBytes(TICKET_BYTES);
    const key = ticket.toString('hex');
    const socket = new Promise<tls.TLSSocket>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no data link arrived within ${timeoutMs} ms (is ${this.address} reachable from the peer?)`));
      }, timeoutMs);
      this.pending.set(key, { ticket, caller: callerFingerprint, resolve, reject, timer });
    });
    socket.catch(() => undefined);
    return { offer: { address: this.address, ticket: key }, socket };
  }

  /** Voids a ticket nobody will use (the call ended first). */
  cancel(offer: LinkOffer): void {
    const p = this.pending.get(offer.ticket);
    if (!p) return;
    this.pending.delete(offer.ticket);
    clearTimeout(p.timer);
    p.reject(new Error('the call ended before its data link arrived'));
  }

  private accept(s: tls.TLSSocket, admit: (cert: tls.PeerCertificate) => string | undefined): void {
    const refuse = (why: string): void => {
      this.refused.push(why);
      if (this.refused.length > 100) this.refused.shift();
      s.destroy();
    };
    s.on('error', () => undefined);
    this.open.add(s);
    s.on('close', () => this.open.delete(s));
    const cert = s.getPeerCertificate();
    const why = admit(cert);
    if (why) return refuse(why);
    const got: Buffer[] = [];
    let have = 0;
    const t = setTimeout(() => refuse('no ticket within 10 s'), 10_000);
    const onData = (d: Buffer): void => {
      got.push(d);
      have += d.length;
      if (have < TICKET_BYTES) return;
      s.off('data', onData);
      s.pause();
      clearTimeout(t);
      const all = Buffer.concat(got, have);
      const key = all.subarray(0, TICKET_BYTES).toString('hex');
      const p = this.pending.get(key);
      if (!p || !timingSafeEqual(p.ticket, all.subarray(0, TICKET_BYTES))) return refuse('unknown or used ticket');
      const fp = cert.raw ? fingerprintDer(cert.raw) : '';
      if (fp !== p.caller) return refuse(`ticket of another caller (certificate ${fp.slice(0, 16)})`);
      this.pending.delete(key);
      clearTimeout(p.timer);
      if (have > TICKET_BYTES) s.unshift(all.subarray(TICKET_BYTES));
      p.resolve(s);
    };
    s.on('data', onData);
  }

  async close(): Promise<void> {
    for (const [k, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('this member is stopping'));
      this.pending.delete(k);
    }
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.open) s.destroy();
    await closed;
  }
}

/**
 * Connects to an offer and hands over its ticket (see the contract). With `receiver`, what the
 * link brings goes to it (FrameReceiver) instead of the socket's stream.
 */
export async function dial(offer: LinkOffer, pki: MemberPki, timeoutMs = 10_000, receiver?: FrameReceiver): Promise<tls.TLSSocket> {
  const { host, port } = splitAddress(offer.address);
  if (!/^[0-9a-f]{64}$/.test(offer.ticket)) throw new Error('data link offer: the ticket is not 32 bytes of hex');
  const s = tls.connect({ host, port, ca: pki.caPem, cert: pki.certPem, key: pki.keyPem, servername: net.isIP(host) ? undefined : host, ...(receiver ? { onread: receiver.onread } : {}) });
  receiver?.attach(s);
  s.setNoDelay(true);
  const t = setTimeout(() => s.destroy(new Error(`data link to ${offer.address}: no TLS connection within ${timeoutMs} ms`)), timeoutMs);
  try {
    await once(s, 'secureConnect');
  } catch (e) {
    s.destroy();
    throw new Error(`data link to ${offer.address}: ${(e as Error).message}`);
  } finally {
    clearTimeout(t);
  }
  s.write(Buffer.from(offer.ticket, 'hex'));
  return s;
}

/** Writes frames on a link, waiting for the socket to drain when its buffer is full. */
export class FrameWriter {
  /** Payload bytes written. */
  bytes = 0;

  constructor(private readonly socket: tls.TLSSocket | net.Socket) {}

  /**
   * `written`: called once the payload has been handed to the kernel (its buffer may be reused).
   * `room`: the payload with FRAME_HEADER bytes of the caller's in front of it (the same
   * memory: `room.subarray(FRAME_HEADER)` is `payload`); the header goes there and the frame
   * is ONE write. (Two buffers make Node's TLS copy both into one before encrypting: a copy of
   * every byte served. Session 10.)
   */
  async frame(kind: number, payload: Buffer, last = false, crc = crc32(payload), written?: () => void, room?: Buffer): Promise<void> {
    if (this.socket.destroyed) throw new Error('the data link is closed');
    const whole = room !== undefined && room.length === HEADER + payload.length && room.buffer === payload.buffer && room.byteOffset + HEADER === payload.byteOffset;
    const h = whole ? room : Buffer.allocUnsafe(HEADER);
    h[0] = (kind & 0x7f) | (last ? LAST : 0);
    h.writeUInt32BE(payload.length, 1);
    h.writeUInt32BE(crc, 5);
    let ok: boolean;
    if (whole) {
      ok = written ? this.socket.write(room, () => written()) : this.socket.write(room);
    } else {
      this.socket.cork();
      this.socket.write(h);
      ok = written ? this.socket.write(payload, () => written()) : this.socket.write(payload);
      this.socket.uncork();
    }
    this.bytes += payload.length;
    if (!ok) await waitDrain(this.socket);
  }

  /** Ends the link's writing side once everything written has been handed to the kernel. */
  async end(): Promise<void> {
    if (this.socket.destroyed) throw new Error('the data link is closed');
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.end(() => { this.socket.off('error', reject); resolve(); });
    });
  }
}

function waitDrain(s: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      s.off('drain', ok);
      s.off('close', closed);
      s.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    const ok = (): void => done();
    const closed = (): void => done(new Error('the data link closed'));
    s.on('drain', ok);
    s.on('close', closed);
    s.on('error', done);
  });
}

/** One frame as read: its payload as the pieces it came in (views, no copy), CRC-checked. */
export class Frame {
  private joined: Buffer | undefined;

  constructor(readonly kind: number, readonly last: boolean, readonly pieces: readonly Buffer[], readonly length: number, readonly at: number) {}

  /** The payload in one buffer (joined on first use: one copy; none for a frame of one piece). */
  get data(): Buffer {
    if (this.joined === undefined) this.joined = this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat(this.pieces as Buffer[], this.length);
    return this.joined;
  }
}

/**
 * The frames of a link, in order, each whole and CRC-checked. Ends when the peer ends the
 * link between frames; a link that ends or breaks inside one throws.
 *
 * A frame's payload is handed over as the socket's own pieces (views into them), its CRC-32
 * computed across them: nothing is copied unless the reader asks for `data`. (Session 10:
 * joining each 1 MiB frame from TLS's 16 KiB pieces cost a puller 0.5-0.6 ms of CPU per MiB,
 * a third of it Buffer.concat's per-piece overhead, and most of its garbage collection.)
 */
export async function* readFrames(socket: AsyncIterable<unknown>, maxFrame = MAX_FRAME): AsyncGenerator<Frame> {
  let pieces: Buffer[] = [];
  let have = 0;
  let need = HEADER;
  let header: Buffer | undefined;
  let at = 0;
  /** The first n bytes of `pieces`, removed from it, as views. */
  const takeViews = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    let i = 0;
    let left = n;
    while (left > 0) {
      const p = pieces[i]!;
      if (p.length <= left) {
        out.push(p);
        left -= p.length;
        i++;
      } else {
        out.push(p.subarray(0, left));
        pieces[i] = p.subarray(left);
        left = 0;
      }
    }
    pieces = i > 0 ? pieces.slice(i) : pieces;
    have -= n;
    return out;
  };
  for await (const piece of socket) {
    pieces.push(piece as Buffer);
    have += (piece as Buffer).length;
    while (have >= need) {
      if (!header) {
        const h = takeViews(HEADER);
        header = h.length === 1 ? h[0]! : Buffer.concat(h, HEADER);
        const len = header.readUInt32BE(1);
        if (len > maxFrame) throw new CorruptFrameError(`data link: a frame of ${len} bytes at offset ${at} (at most ${maxFrame})`);
        need = len;
        if (have < need) break;
      }
      const len = need;
      const payload = len > 0 ? takeViews(len) : [];
      let crc = 0;
      for (const b of payload) crc = crc32(b, crc);
      if (crc !== header.readUInt32BE(5)) throw new CorruptFrameError(`data link: the frame at offset ${at} (${len} bytes) failed its CRC-32 check (corrupt or tampered)`);
      const kind = header[0]!;
      header = undefined;
      need = HEADER;
      yield new Frame(kind & 0x7f, (kind & LAST) !== 0, payload, len, at);
      at += HEADER + len;
    }
  }
  if (have > 0 || header) throw new Error(`data link: ended inside a frame at offset ${at} (${have + (header ? HEADER : 0)} bytes of it arrived)`);
}

/** A frame a FrameReceiver holds: `data` is a buffer of its pool until `release()` is called. */
export interface HeldFrame {
  kind: number;
  last: boolean;
  data: Buffer;
  /** The frame's offset in the link. */
  at: number;
  /** Gives the buffer back (call once, when nothing reads `data` any more). */
  release(): void;
}

/** Bytes Node's TLS hands a receiver at once (a TLS record is at most 16 KiB). */
const RECEIVE_BUFFER = 64 << 10;

/**
 * The reading side of a link without the socket's stream (dial's `receiver`): Node's TLS
 * decrypts into one buffer of ours (net's `onread`), and each frame's bytes are copied from
 * it into a buffer of a small pool, so a frame is ONE buffer (one CRC-32, one hash update, one
 * write). Same checks as readFrames (CRC-32, size, a link ending inside a frame). Backpressure:
 * while `slabs` frames are held (not released), the socket stops reading. (Session 12: the
 * stream's 16 KiB Buffer per TLS record, its push and 'data' event cost a puller ~0.45 ms of
 * CPU per MiB, as much as TLS's own decryption: 200 MiB over TLS to a reader that drops them,
 * 280 ms of CPU through 'data', 100 ms through onread.)
 */
export class FrameReceiver {
  readonly onread: { buffer: Buffer; callback: (n: number, buf: Buffer) => boolean };
  private socket: tls.TLSSocket | undefined;
  private readonly header = Buffer.alloc(HEADER);
  private headerHave = 0;
  /** The frame being filled: its buffer, length and bytes so far (undefined: reading a header). */
  private slab: Buffer | undefined;
  private need = 0;
  private have = 0;
  private readonly free: Buffer[] = [];
  private held = 0;
  private paused = false;
  private readonly ready: HeldFrame[] = [];
  private failed: Error | undefined;
  private ended = false;
  private wake: (() => void) | undefined;
  private at = 0;
  /** Times the socket was stopped because `slabs` frames were held, and the most held at once (diagnostics, tests). */
  pauses = 0;
  maxHeld = 0;

  constructor(private readonly slabs = 8, private readonly maxFrame = MAX_FRAME) {
    this.onread = { buffer: Buffer.allocUnsafe(RECEIVE_BUFFER), callback: (n, buf) => this.take(buf, n) };
  }

  /** The socket whose bytes come here (dial calls it). */
  attach(s: tls.TLSSocket): void {
    this.socket = s;
    s.on('end', () => {
      this.ended = true;
      this.poke();
    });
    s.on('close', () => {
      if (!this.ended) this.fail(new Error('the data link closed'));
    });
    s.on('error', (e: Error) => this.fail(e));
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(e: Error): void {
    this.failed ??= e;
    this.poke();
  }

  /** onread's callback: every byte of buf[0, n) is consumed now (Node reuses the buffer). */
  private take(buf: Buffer, n: number): boolean {
    let i = 0;
    while (i < n && !this.failed) {
      if (this.slab === undefined) {
        const k = Math.min(HEADER - this.headerHave, n - i);
        buf.copy(this.header, this.headerHave, i, i + k);
        this.headerHave += k;
        i += k;
        if (this.headerHave < HEADER) break;
        const len = this.header.readUInt32BE(1);
        if (len > this.maxFrame) {
          this.fail(new CorruptFrameError(`data link: a frame of ${len} bytes at offset ${this.at} (at most ${this.maxFrame})`));
          this.socket?.destroy();
          break;
        }
        this.need = len;
        this.have = 0;
        this.slab = this.slabFor(len);
      }
      const k = Math.min(this.need - this.have, n - i);
      if (k > 0) buf.copy(this.slab, this.have, i, i + k);
      this.have += k;
      i += k;
      if (this.have === this.need) this.complete();
    }
    if (this.held >= this.slabs && !this.failed) {
      this.paused = true;
      this.pauses++;
      return false;
    }
    return true;
  }

  private slabFor(len: number): Buffer {
    if (len === 0) return Buffer.alloc(0);
    const j = this.free.findIndex((b) => b.length >= len);
    const b = j >= 0 ? this.free.splice(j, 1)[0]! : Buffer.allocUnsafeSlow(Math.max(len, CHUNK_HINT));
    this.held++;
    if (this.held > this.maxHeld) this.maxHeld = this.held;
    return b;
  }

  private complete(): void {
    const slab = this.slab!;
    const len = this.need;
    const data = slab.subarray(0, len);
    const at = this.at;
    this.slab = undefined;
    this.headerHave = 0;
    this.at += HEADER + len;
    if (crc32(data) !== this.header.readUInt32BE(5)) {
      this.fail(new CorruptFrameError(`data link: the frame at offset ${at} (${len} bytes) failed its CRC-32 check (corrupt or tampered)`));
      this.socket?.destroy();
      return;
    }
    const kind = this.header[0]!;
    let released = len === 0;
    this.ready.push({
      kind: kind & 0x7f,
      last: (kind & LAST) !== 0,
      data,
      at,
      release: () => {
        if (released) return;
        released = true;
        this.held--;
        if (this.free.length < this.slabs) this.free.push(slab);
        if (this.paused && this.held < this.slabs && this.socket && !this.socket.destroyed) {
          this.paused = false;
          this.socket.resume();
        }
      },
    });
    this.poke();
  }

  /**
   * The frames, in order, each whole and CRC-checked; ends when the peer ends the link between
   * frames, throws when it ends or breaks inside one or a check fails (frames already whole
   * come first).
   */
  async *frames(): AsyncGenerator<HeldFrame> {
    for (;;) {
      const f = this.ready.shift();
      if (f) {
        yield f;
        continue;
      }
      if (this.failed) throw this.failed;
      if (this.ended) {
        if (this.slab !== undefined || this.headerHave > 0) throw new Error(`data link: ended inside a frame at offset ${this.at} (${this.have + this.headerHave} bytes of it arrived)`);
        return;
      }
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }
}

/** Size of a receiver's frame buffers (frames are usually 1 MiB chunks; larger ones get their own). */
const CHUNK_HINT = 1 << 20;
