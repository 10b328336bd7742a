import { once } from 'node:events';
import * as tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { createCertificateAuthority, fingerprint, fingerprintDer, issueCertificate } from '@berth/control-plane';
import type { MemberPki } from '@berth/control-plane';
import { CorruptFrameError, DataListener, dial, FrameReceiver, FrameWriter, LAST, readFrames } from './data-link';

const ca = createCertificateAuthority({ commonName: 'berth-test-ca', validDays: 1 });
const pkiOf = (cn: string, authority = ca): MemberPki => {
  const c = issueCertificate(authority, { commonName: cn, ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
  return { caPem: authority.certPem, certPem: c.certPem, keyPem: c.keyPem };
};

describe('data links', () => {
  const server = pkiOf('m1');
  const client = pkiOf('m2');
  const outsider = pkiOf('m9');
  let l: DataListener;
  beforeAll(async () => {
    const members = new Set([fingerprint(server.certPem), fingerprint(client.certPem)]);
    l = await DataListener.start('127.0.0.1:0', server, (cert) => (members.has(fingerprintDer(cert.raw)) ? undefined : 'not a member'));
  });
  afterAll(() => l.close());

  it('carries frames whole and in order, each CRC-checked, at the caller\'s ticket', async () => {
    const { offer, socket } = l.expect(fingerprint(client.certPem));
    const out = await dial(offer, client);
    const sent = createHash('sha256');
    const w = new FrameWriter(out);
    const writing = (async () => {
      for (let i = 0; i < 40; i++) {
        const b = randomBytes(i % 3 === 0 ? 1 << 20 : 1000 + i);
        sent.update(b);
        await w.frame(i % 2 ? 2 : 3, b, i === 39);
      }
      await w.end();
    })();
    const inn = await socket;
    const got = createHash('sha256');
    const kinds: number[] = [];
    let last = false;
    for await (const f of readFrames(inn)) {
      got.update(f.data);
      kinds.push(f.kind);
      last = f.last;
    }
    await writing;
    expect(kinds).toHaveLength(40);
    expect(kinds.slice(0, 3)).toEqual([3, 2, 3]);
    expect(last).toBe(true);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    inn.destroy();
  });

  it('reads the same frames however the stream is cut into pieces (split headers, 1-byte pieces, empty frames); a frame written from its own room is the same bytes', async () => {
    // The wire bytes of some frames: through FrameWriter on a socket-like sink, both ways.
    const writes: number[] = [];
    const wire = async (room: boolean): Promise<Buffer> => {
      const parts: Buffer[] = [];
      const sink = { destroyed: false, cork: () => undefined, uncork: () => undefined, write: (b: Buffer, cb?: () => void) => { parts.push(Buffer.from(b)); cb?.(); return true; } };
      const w = new FrameWriter(sink as unknown as tls.TLSSocket);
      for (const [i, n] of [70_000, 0, 1, 9, 4096, 3].entries()) {
        const buf = Buffer.alloc(9 + n);
        for (let j = 0; j < n; j++) buf[9 + j] = (i * 31 + j) & 0xff;
        const payload = buf.subarray(9);
        await w.frame(i + 1, payload, i === 5, undefined, undefined, room ? buf : undefined);
      }
      writes.push(parts.length);
      return Buffer.concat(parts);
    };
    const bytes = await wire(false);
    expect((await wire(true)).equals(bytes)).toBe(true);
    // From its room, each frame is one write (header and payload together); else two.
    expect(writes).toEqual([12, 6]);
    const want = [70_000, 0, 1, 9, 4096, 3];
    for (const cut of [1, 2, 5, 9, 10, 4097, 16_384, 1 << 20]) {
      async function* pieces(): AsyncGenerator<Buffer> {
        for (let at = 0; at < bytes.length; at += cut) yield bytes.subarray(at, at + cut);
      }
      const got: Array<{ kind: number; len: number; ok: boolean; last: boolean }> = [];
      for await (const f of readFrames(pieces())) {
        let ok = true;
        for (let j = 0; j < f.length; j++) if (f.data[j] !== (((f.kind - 1) * 31 + j) & 0xff)) ok = false;
        got.push({ kind: f.kind, len: f.length, ok, last: f.last });
      }
      expect(got).toEqual(want.map((len, i) => ({ kind: i + 1, len, ok: true, last: i === 5 })));
    }
  });

  it('refuses a frame whose bytes do not match its CRC-32, naming where', async () => {
    const { offer, socket } = l.expect(fingerprint(client.certPem));
    const out = await dial(offer, client);
    const payload = Buffer.from('hello world');
    const h = Buffer.alloc(9);
    h[0] = 2 | LAST;
    h.writeUInt32BE(payload.length, 1);
    h.writeUInt32BE(12345, 5);
    out.end(Buffer.concat([h, payload]));
    const inn = await socket;
    await expect((async () => { for await (const _ of readFrames(inn)); })()).rejects.toThrow(CorruptFrameError);
    inn.destroy();
  });

  it('refuses a link that ends inside a frame, and a frame announcing more than the limit', async () => {
    const a = l.expect(fingerprint(client.certPem));
    const out = await dial(a.offer, client);
    const h = Buffer.alloc(9);
    h.writeUInt32BE(100, 1);
    out.end(Buffer.concat([h, Buffer.alloc(10)]));
    const inn = await a.socket;
    await expect((async () => { for await (const _ of readFrames(inn)); })()).rejects.toThrow(/ended inside a frame at offset 0/);
    const b = l.expect(fingerprint(client.certPem));
    const out2 = await dial(b.offer, client);
    const big = Buffer.alloc(9);
    big.writeUInt32BE(1 << 30, 1);
    out2.write(big);
    const inn2 = await b.socket;
    await expect((async () => { for await (const _ of readFrames(inn2)); })()).rejects.toThrow(/a frame of 1073741824 bytes/);
    out2.destroy();
    inn.destroy();
    inn2.destroy();
  });

  /** A link whose listening side writes `send`'s frames and whose dialling side reads through a FrameReceiver. */
  const received = async (receiver: FrameReceiver, send: (inn: tls.TLSSocket) => Promise<void>): Promise<{ frames: AsyncGenerator<import('./data-link').HeldFrame>; sending: Promise<void>; out: tls.TLSSocket }> => {
    const { offer, socket } = l.expect(fingerprint(client.certPem));
    const out = await dial(offer, client, undefined, receiver);
    out.on('error', () => undefined);
    const inn = await socket;
    inn.on('error', () => undefined);
    const sending = send(inn).finally(() => inn.end());
    sending.catch(() => undefined);
    return { frames: receiver.frames(), sending, out };
  };

  it('a receiver (dial\'s onread) hands over the same frames whole, one pooled buffer each; a slow reader stops the link instead of piling frames up', async () => {
    const sizes = [0, 1, 9, 70_000, 1 << 20, (1 << 20) + 3, 3 << 20, 16_383, 16_384, 16_385];
    const sent = createHash('sha256');
    const receiver = new FrameReceiver(4);
    const { frames, sending, out } = await received(receiver, async (inn) => {
      const w = new FrameWriter(inn);
      for (let i = 0; i < 60; i++) {
        const b = randomBytes(sizes[i % sizes.length]!);
        sent.update(b);
        await w.frame(1 + (i % 5), b, i === 59);
      }
    });
    const got = createHash('sha256');
    const seen: Array<{ kind: number; len: number; last: boolean }> = [];
    let n = 0;
    for await (const f of frames) {
      got.update(f.data);
      seen.push({ kind: f.kind, len: f.data.length, last: f.last });
      // The first frames are held a while (a slow disk): the sender must be stopped meanwhile.
      if (n++ < 4) setTimeout(f.release, 300);
      else f.release();
    }
    await sending;
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => ({ kind: 1 + (i % 5), len: sizes[i % sizes.length], last: i === 59 })));
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(receiver.pauses).toBeGreaterThan(0);
    // Never more than its pool, plus the frames completed by the one read that filled it.
    expect(receiver.maxHeld).toBeLessThanOrEqual(4 + 2);
    out.destroy();
  });

  it('a receiver refuses a frame failing its CRC-32 (naming its offset), one over the limit, and a link ending inside a frame; frames whole before it come first', async () => {
    const raw = (kind: number, payload: Buffer, crc?: number): Buffer => {
      const h = Buffer.alloc(9);
      h[0] = kind;
      h.writeUInt32BE(payload.length, 1);
      h.writeUInt32BE(crc ?? crc32(payload), 5);
      return Buffer.concat([h, payload]);
    };
    const drain = async (frames: AsyncGenerator<import('./data-link').HeldFrame>): Promise<number[]> => {
      const kinds: number[] = [];
      for await (const f of frames) {
        kinds.push(f.kind);
        f.release();
      }
      return kinds;
    };
    const good = raw(2, Buffer.from('fine'));
    const a = await received(new FrameReceiver(), async (inn) => { inn.write(Buffer.concat([good, raw(3, Buffer.from('hello world'), 12345)])); });
    const kindsA: number[] = [];
    await expect((async () => { for await (const f of a.frames) kindsA.push(f.kind); })()).rejects.toThrow(new CorruptFrameError(`data link: the frame at offset ${good.length} (11 bytes) failed its CRC-32 check (corrupt or tampered)`));
    expect(kindsA).toEqual([2]);
    const b = await received(new FrameReceiver(), async (inn) => { inn.write(raw(2, Buffer.alloc(100)).subarray(0, 50)); });
    await expect(drain(b.frames)).rejects.toThrow(/ended inside a frame at offset 0 \(50 bytes of it arrived\)/);
    const big = Buffer.alloc(9);
    big.writeUInt32BE(1 << 30, 1);
    const c = await received(new FrameReceiver(), async (inn) => { inn.write(big); });
    await expect(drain(c.frames)).rejects.toThrow(/a frame of 1073741824 bytes at offset 0 \(at most 16777216\)/);
    for (const x of [a, b, c]) x.out.destroy();
  });

  /** Dials and reports whether the listener closed the connection without handing it over. */
  const refusedAt = async (ticket: string, pki: MemberPki): Promise<boolean> => {
    let s: tls.TLSSocket;
    try {
      s = await dial({ address: l.address, ticket }, pki);
    } catch {
      return true; // TLS itself refused it
    }
    s.on('error', () => undefined);
    // Refused: the listener closes it at once; handed over, it stays open.
    const closed = s.destroyed || await Promise.race([once(s, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
    s.destroy();
    return closed;
  };

  it('refuses a ticket it never made, one used already, and another caller\'s', async () => {
    expect(await refusedAt(randomBytes(32).toString('hex'), client)).toBe(true);
    const used = l.expect(fingerprint(client.certPem));
    (await dial(used.offer, client)).destroy();
    (await used.socket).destroy();
    expect(await refusedAt(used.offer.ticket, client)).toBe(true);
    const mine = l.expect(fingerprint(client.certPem));
    // The server's own certificate (a member's, but not the caller's) cannot use the client's ticket.
    expect(await refusedAt(mine.offer.ticket, server)).toBe(true);
    expect(l.refused.some((r) => /another caller/.test(r))).toBe(true);
    l.cancel(mine.offer);
    await expect(mine.socket).rejects.toThrow(/ended before its data link/);
  });

  it('refuses a certificate of the CA that the peer check refuses, and one of another CA', async () => {
    const t = l.expect(fingerprint(outsider.certPem), 2000);
    expect(await refusedAt(t.offer.ticket, outsider)).toBe(true);
    expect(l.refused).toContain('not a member');
    await expect(t.socket).rejects.toThrow(/no data link arrived within 2000 ms/);
    const other = createCertificateAuthority({ commonName: 'other-ca', validDays: 1 });
    const foreign = pkiOf('m2', other);
    const u = l.expect(fingerprint(foreign.certPem), 2000);
    expect(await refusedAt(u.offer.ticket, { ...foreign, caPem: ca.certPem })).toBe(true);
    await expect(u.socket).rejects.toThrow(/no data link arrived/);
  });
});
