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
 *   CorruptFrameError naming the frame's offset); TLS's own record MACs come on top. A
 *   connection that ends inside a frame throws. Writers respect the socket's backpressure.
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
    const server = tls.createServer({ ca: pki.caPem, cert: pki.certPem, key: pki.keyPem, requestCert: true, rejectUnauthorized: true });
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

/** Connects to an offer and hands over its ticket (see the contract). */
export async function dial(offer: LinkOffer, pki: MemberPki, timeoutMs = 10_000): Promise<tls.TLSSocket> {
  const { host, port } = splitAddress(offer.address);
  if (!/^[0-9a-f]{64}$/.test(offer.ticket)) throw new Error('data link offer: the ticket is not 32 bytes of hex');
  const s = tls.connect({ host, port, ca: pki.caPem, cert: pki.certPem, key: pki.keyPem, servername: net.isIP(host) ? undefined : host });
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

  /** `written`: called once the payload has been handed to the kernel (its buffer may be reused). */
  async frame(kind: number, payload: Buffer, last = false, crc = crc32(payload), written?: () => void): Promise<void> {
    if (this.socket.destroyed) throw new Error('the data link is closed');
    const h = Buffer.allocUnsafe(HEADER);
    h[0] = (kind & 0x7f) | (last ? LAST : 0);
    h.writeUInt32BE(payload.length, 1);
    h.writeUInt32BE(crc, 5);
    this.socket.cork();
    this.socket.write(h);
    const ok = written ? this.socket.write(payload, () => written()) : this.socket.write(payload);
    this.socket.uncork();
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

export interface Frame {
  kind: number;
  last: boolean;
  data: Buffer;
  /** Stream offset of the frame's header. */
  at: number;
}

/**
 * The frames of a link, in order, each whole and CRC-checked. Ends when the peer ends the
 * link between frames; a link that ends or breaks inside one throws.
 */
export async function* readFrames(socket: AsyncIterable<unknown>, maxFrame = MAX_FRAME): AsyncGenerator<Frame> {
  // Pieces are kept as they came and joined once a whole frame is in (one copy per byte).
  let pieces: Buffer[] = [];
  let have = 0;
  let need = HEADER;
  let at = 0;
  const take = (): Buffer => {
    const all = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, have);
    pieces = [];
    have = 0;
    return all;
  };
  for await (const piece of socket) {
    pieces.push(piece as Buffer);
    have += (piece as Buffer).length;
    while (have >= need) {
      let buf = take();
      const len = buf.readUInt32BE(1);
      if (len > maxFrame) throw new CorruptFrameError(`data link: a frame of ${len} bytes at offset ${at} (at most ${maxFrame})`);
      if (buf.length < HEADER + len) {
        pieces = [buf];
        have = buf.length;
        need = HEADER + len;
        break;
      }
      const data = buf.subarray(HEADER, HEADER + len);
      if (crc32(data) !== buf.readUInt32BE(5)) throw new CorruptFrameError(`data link: the frame at offset ${at} (${len} bytes) failed its CRC-32 check (corrupt or tampered)`);
      const kind = buf[0]!;
      buf = buf.subarray(HEADER + len);
      if (buf.length > 0) {
        pieces = [buf];
        have = buf.length;
      }
      need = HEADER;
      yield { kind: kind & 0x7f, last: (kind & LAST) !== 0, data, at };
      at += HEADER + len;
    }
  }
  if (have > 0) throw new Error(`data link: ended inside a frame at offset ${at} (${have} bytes of it arrived)`);
}
