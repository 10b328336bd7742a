/**
 * Image transfer between members (berth.v1.ImageTransfer on the members' mutual-TLS
 * listener): the serving side over this member's ImageStore, and fetchImage(), the pulling
 * side. See packages/node-agent/design.md, "Images in a cluster".
 *
 * The stream of an image is its original tarball(s) as imported, in the order LXD hashes them
 * (unified; or metadata then rootfs): its SHA-256 is the fingerprint, whatever the format.
 *
 * Contract of fetchImage():
 * - The image is cut into ranges; up to `parallel` ranges are fetched at once, each from one
 *   peer (the peers take turns), so a large image comes from several holders in parallel.
 * - Every chunk must arrive in order (its offset) with a matching CRC-32; a chunk out of order,
 *   a CRC mismatch, a stall or a broken stream ends that attempt: the range goes back to the
 *   queue from the offset it got to (resumed, never fetched again from its start), for another
 *   peer, or the same one after a pause when it is the only one. A peer that sent a corrupt
 *   chunk is dropped; one that failed 3 times in a row too. No peer left: the fetch fails,
 *   naming each peer's last error.
 * - When every byte is in, the file's SHA-256 must be the fingerprint, else the file is removed
 *   and the fetch fails (TamperedImageError): nothing unverified is ever imported.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import * as fsp from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { DataChunk, DataChunk__Output, ImageChunkRequest__Output, ImageHolding, ImageTransferClient, ImageTransferHandlers } from '@berth/proto';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { ImageStore } from '../images/store';
import { unary } from '../daemon/grpc';
import { toStatus } from '../daemon/status';
import { peerCertificateFingerprint } from '@berth/control-plane';
import type { MemberPki } from '@berth/control-plane';
import { CorruptFrameError, dial, FRAME_HEADER, FrameReceiver, FrameWriter } from './data-link';
import type { DataLinks } from './data-link';

/** Data-link frame kind of an image's bytes. */
const K_IMAGE = 1;

/** Bytes per DataChunk. */
export const CHUNK = 1 << 20;
/** File writes a pull keeps going at once (each at most a chunk or frame). */
const WRITES_IN_FLIGHT = 8;
/** No chunk for this long: the attempt is considered cut (a dead peer, a cut link). */
export const STALL_MS = 30_000;

/**
 * Test-only faults of the serving side, OFF unless the berthd's environment sets them
 * (testHooksFromEnv): the whole-system tests use them to prove that a puller resumes a cut
 * transfer and refuses tampered bytes. Never set in production.
 */
export interface ServeTestFaults {
  /**
   * Flip one byte of the chunk holding stream offset `at`: `crc` after its CRC-32 was computed
   * (the puller's CRC check catches it), `sha256` before (the CRC matches; only the SHA-256 of
   * the whole image catches it).
   */
  tamper?: { mode: 'crc' | 'sha256'; at: number } | undefined;
  /** A Fetch whose range starts before this offset and covers it breaks once it has sent up to it. */
  cutAt?: number | undefined;
}

/** The test-only fault file in a data folder (read once, when berthd starts; absent: no fault). */
export const TEST_FAULTS_FILE = 'berth-test-image-faults.json';

/**
 * The serving side's test-only faults: BERTH_TEST_IMAGE_SERVE_TAMPERED=crc|sha256[@OFFSET] and
 * BERTH_TEST_IMAGE_SERVE_CUT_AT=BYTES in berthd's environment, or the same keys in
 * `<data-dir>/berth-test-image-faults.json` (tests whose runner cannot set a child's environment).
 */
export function serveTestFaultsFromEnv(env: NodeJS.ProcessEnv = process.env, dataDir?: string): ServeTestFaults {
  let fileEnv: Record<string, string> = {};
  if (dataDir) {
    try {
      fileEnv = JSON.parse(fs.readFileSync(path.join(dataDir, TEST_FAULTS_FILE), 'utf8')) as Record<string, string>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${TEST_FAULTS_FILE}: ${(e as Error).message}`);
    }
  }
  env = { ...env, ...fileEnv };
  const f: ServeTestFaults = {};
  const t = env['BERTH_TEST_IMAGE_SERVE_TAMPERED'];
  if (t) {
    const [mode, at] = t.split('@');
    if (mode !== 'crc' && mode !== 'sha256') throw new Error(`BERTH_TEST_IMAGE_SERVE_TAMPERED: "${t}" is not crc|sha256[@OFFSET]`);
    f.tamper = { mode, at: Number(at ?? 0) };
  }
  const c = env['BERTH_TEST_IMAGE_SERVE_CUT_AT'];
  if (c) f.cutAt = Number(c);
  return f;
}

/** An image's transfer stream as this member's store holds it: parts in order with their offsets. */
async function streamOf(images: ImageStore, fingerprint: string): Promise<{ size: number; parts: Array<{ start: number; size: number; role: string; compression: string; path: string; open: (o: { start: number; end: number; highWaterMark: number }) => NodeJS.ReadableStream }> }> {
  if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new InvalidArgumentError('fingerprint', `${JSON.stringify(fingerprint)} is not a full fingerprint`);
  const files = await images.exportStreams(fingerprint);
  let start = 0;
  const parts = files.map((f) => {
    const p = { start, size: f.size, role: f.role, compression: f.compression, path: f.path, open: f.open };
    start += f.size;
    return p;
  });
  return { size: start, parts };
}

/** A pooled read: `room` is the same bytes with FRAME_HEADER bytes free in front (FrameWriter.frame). */
type Pooled = Buffer & { release?: () => void; room?: Buffer };

/**
 * CRC-32s of served chunks, by file, offset and length: an image is served to several members
 * at once (cluster.images_minimal_replica), the same 1 MiB chunks to each, and the holder's CRC
 * of each chunk was a sixth of its CPU serving two pulls (session 10). Image files never change
 * (content-addressed); a cached CRC was computed from the same file's bytes read earlier, so a
 * chunk read differently now still fails the puller's check.
 */
const servedCrcs = new Map<string, number>();
const SERVED_CRCS = 4096;

function crcOfChunk(file: string, offset: number, data: Buffer): number {
  const key = `${offset}:${data.length}:${file}`;
  let crc = servedCrcs.get(key);
  if (crc === undefined) {
    crc = crc32(data);
    if (servedCrcs.size >= SERVED_CRCS) servedCrcs.delete(servedCrcs.keys().next().value as string);
    servedCrcs.set(key, crc);
  }
  return crc;
}

/** Buffers in flight per served range: read ahead while earlier ones are still being written. */
const POOL = 6;

/**
 * Bytes [from, to) of a file as CHUNK-sized buffers from a small pool: each comes with
 * `release`, to call once it has been written; a read waits for a free buffer.
 */
async function* pooledReads(file: string, from: number, to: number): AsyncGenerator<Pooled> {
  const fh = await fsp.open(file, 'r');
  const free: Buffer[] = [];
  let made = 0;
  let waiting: (() => void) | undefined;
  try {
    for (let at = from; at < to;) {
      while (free.length === 0 && made >= POOL) await new Promise<void>((r) => { waiting = r; });
      const buf = free.pop() ?? (made++, Buffer.allocUnsafeSlow(FRAME_HEADER + CHUNK));
      const { bytesRead } = await fh.read(buf, FRAME_HEADER, Math.min(CHUNK, to - at), at);
      if (bytesRead === 0) throw new Error(`${file}: ended at ${at}, before ${to}`);
      at += bytesRead;
      const out = buf.subarray(FRAME_HEADER, FRAME_HEADER + bytesRead) as Pooled;
      out.room = buf.subarray(0, FRAME_HEADER + bytesRead);
      out.release = () => {
        free.push(buf);
        const w = waiting;
        waiting = undefined;
        w?.();
      };
      yield out;
    }
  } finally {
    await fh.close();
  }
}

/** The serving side: Stat and Fetch over this member's image store. */
export function imageTransferHandlers(images: ImageStore, faults: ServeTestFaults = {}, links?: DataLinks): ImageTransferHandlers {
  return {
    Stat: unary(async (r: ImageChunkRequest__Output): Promise<ImageHolding> => {
      try {
        const s = await streamOf(images, r.fingerprint);
        return { fingerprint: r.fingerprint, sizeBytes: s.size, present: true, files: s.parts.map((p) => ({ role: p.role, size: p.size, compression: p.compression })) };
      } catch (e) {
        if (e instanceof NotFoundError) return { fingerprint: r.fingerprint, sizeBytes: 0, present: false, files: [] };
        throw e;
      }
    }),
    Fetch: (call: grpc.ServerWritableStream<ImageChunkRequest__Output, DataChunk>) => {
      let gone = false;
      call.on('cancelled', () => { gone = true; });
      let linkSocket: { end(): void; destroy(): void } | undefined;
      (async () => {
        const r = call.request;
        const s = await streamOf(images, r.fingerprint);
        const from = Number(r.offset);
        const to = Number(r.length) > 0 ? Math.min(s.size, from + Number(r.length)) : s.size;
        if (from > s.size) throw new InvalidArgumentError('offset', `${from} is past the image's end (${s.size} bytes)`);
        const cut = faults.cutAt !== undefined && from < faults.cutAt && faults.cutAt < to ? faults.cutAt : undefined;
        let pos = from;
        // Asked for a data link: the bytes go there, as frames of K_IMAGE (see the proto).
        let link: FrameWriter | undefined;
        if (r.dataLink && links) {
          const caller = peerCertificateFingerprint(call);
          if (!caller) throw new InvalidArgumentError('data_link', 'the caller presented no certificate');
          const { offer, socket } = links.listener.expect(caller);
          call.write({ offset: from, data: Buffer.alloc(0), crc32c: 0, last: false, linkAddress: offer.address, linkTicket: offer.ticket });
          call.on('cancelled', () => links.listener.cancel(offer));
          const sock = await socket;
          sock.on('error', () => undefined);
          linkSocket = sock;
          call.on('cancelled', () => sock.destroy());
          link = new FrameWriter(sock);
        }
        const send = async (data: Buffer, last: boolean, written?: () => void, room?: Buffer, from?: { file: string; offset: number }): Promise<void> => {
          const t = faults.tamper;
          const hit = t !== undefined && data.length > 0 && pos <= t.at && t.at < pos + data.length;
          if (hit && t.mode === 'sha256') data[t.at - pos] = data[t.at - pos]! ^ 0xff;
          const crc = from && !t ? crcOfChunk(from.file, from.offset, data) : crc32(data);
          if (hit && t.mode === 'crc') data[t.at - pos] = data[t.at - pos]! ^ 0xff;
          pos += data.length;
          if (link) return link.frame(K_IMAGE, data, last, crc, written, room);
          const chunk: DataChunk = { offset: pos - data.length, data, crc32c: crc, last };
          if (!call.write(chunk)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
        };
        for (const p of s.parts) {
          const a = Math.max(from, p.start);
          const z = Math.min(to, p.start + p.size);
          if (a >= z) continue;
          // On a link, read into a few buffers used again once written (fresh 1 MiB buffers per
          // chunk cost the holder most of its garbage collection, serving two pulls: session 6).
          let fileAt = a - p.start;
          for await (const piece of link ? pooledReads(p.path, a - p.start, z - p.start) : p.open({ start: a - p.start, end: z - p.start - 1, highWaterMark: CHUNK })) {
            if (gone) return;
            const data = piece as Buffer;
            const at = { file: p.path, offset: fileAt };
            fileAt += data.length;
            if (cut !== undefined && pos + data.length > cut) {
              if (cut > pos) await send(data.subarray(0, cut - pos), false);
              throw Object.assign(new Error(`test fault: transfer cut at offset ${cut} (BERTH_TEST_IMAGE_SERVE_CUT_AT)`), { code: grpc.status.UNAVAILABLE });
            }
            const isLast = pos + data.length >= to;
            await send(data, isLast, (piece as Pooled).release, (piece as Pooled).room, at);
          }
        }
        if (pos === from && !gone) await send(Buffer.alloc(0), true); // an empty range still ends
        if (link) await link.end();
        call.end();
      })().catch((e: unknown) => {
        linkSocket?.end(); // what was written goes; the puller sees the range end early and resumes
        if (!gone) call.emit('error', toStatus(e));
      });
    },
  };
}

// ---------------------------------------------------------------- the pulling side

/** The image's bytes did not hash to its fingerprint: refused, nothing kept. */
export class TamperedImageError extends Error {
  override readonly name = 'TamperedImageError';
  readonly code = grpc.status.DATA_LOSS;
}

export interface TransferPeer {
  name: string;
  client: ImageTransferClient;
}

export interface FetchImageOptions {
  fingerprint: string;
  /** The stream's length (Stat's size_bytes). */
  size: number;
  /** Holders that answered Stat with the image present. */
  peers: TransferPeer[];
  /** Written here (created or truncated); removed when the fetch fails. */
  file: string;
  /** Ranges fetched at once (default: one per peer, at most 4). */
  parallel?: number;
  /** Bytes per range (default: the image split in 2 ranges per parallel fetch, at least 16 MiB). */
  rangeBytes?: number;
  /** Called as bytes arrive (verified by CRC, written). */
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  stallMs?: number;
  /** This member's certificates: ask the holders for data links (data-link.ts). */
  links?: { pki: MemberPki } | undefined;
}

export interface FetchReport {
  bytes: number;
  /** Bytes each peer sent that were kept. */
  byPeer: Record<string, number>;
  /** Ranges resumed from an offset after a broken attempt. */
  resumed: number;
  /** Bytes that came on data links (the rest came on gRPC streams). */
  linked: number;
  /** Peers dropped (corrupt chunk, or failing again and again), with why. */
  dropped: Record<string, string>;
}

interface Range { start: number; end: number }
interface PeerState extends TransferPeer { busy: number; failures: number; dropped?: string | undefined; lastError?: string | undefined }

class CorruptChunkError extends Error {}

export async function fetchImage(o: FetchImageOptions): Promise<FetchReport> {
  if (o.peers.length === 0) throw new Error(`image ${o.fingerprint.slice(0, 12)}: no peer to fetch it from`);
  const peers: PeerState[] = o.peers.map((p) => ({ ...p, busy: 0, failures: 0 }));
  const parallel = Math.max(1, o.parallel ?? Math.min(peers.length, 4));
  const rangeBytes = o.rangeBytes ?? Math.max(16 << 20, Math.ceil(o.size / (parallel * 2)));
  const queue: Range[] = [];
  for (let s = 0; s < o.size; s += rangeBytes) queue.push({ start: s, end: Math.min(o.size, s + rangeBytes) });
  if (queue.length === 0) queue.push({ start: 0, end: 0 });
  const report: FetchReport = { bytes: 0, byPeer: {}, resumed: 0, dropped: {}, linked: 0 };
  const fh = await fsp.open(o.file, 'w+', 0o600);
  let ok = false;
  try {
    await fh.truncate(o.size);
    let active = 0;
    let fatal: Error | undefined;
    let wake: Array<() => void> = [];
    const notify = (): void => { for (const w of wake.splice(0)) w(); };
    // The SHA-256 follows the bytes in stream order as they arrive (the first range, and each
    // range that continues it); what arrived ahead of it is read back from the file at the end.
    const hash = createHash('sha256');
    let hashed = 0;
    const pick = (): PeerState | undefined => peers.filter((p) => !p.dropped).sort((x, y) => x.busy - y.busy || x.failures - y.failures)[0];

    const attempt = async (peer: PeerState, r: Range): Promise<number> => {
      let pos = r.start;
      const call = peer.client.Fetch({ fingerprint: o.fingerprint, offset: r.start, length: r.end - r.start, dataLink: !!o.links });
      let last = Date.now();
      let sock: import('node:tls').TLSSocket | undefined;
      const stall = setInterval(() => {
        if (Date.now() - last > (o.stallMs ?? STALL_MS)) {
          call.cancel();
          sock?.destroy(new Error(`no bytes for ${(o.stallMs ?? STALL_MS) / 1000} s`));
        }
      }, 1000);
      // Writes at their offsets go on while the next bytes arrive: up to WRITES_IN_FLIGHT at
      // once (awaited one by one, each write held the stream up for its whole time).
      const writing = new Set<Promise<unknown>>();
      let writeError: Error | undefined;
      const settled = async (): Promise<void> => {
        await Promise.all(writing);
        if (writeError) throw writeError;
      };
      /**
       * The bytes of one chunk or frame at `pos` (checked), into the file and the hash; a
       * frame's bytes as the pieces they came in (one positioned writev, no copy).
       */
      const take = async (pieces: readonly Buffer[], length: number, written?: () => void): Promise<void> => {
        if (pos + length > r.end) throw new Error(`chunk at offset ${pos} runs past the range's end ${r.end}`);
        if (writeError) throw writeError;
        // Hashed before anything is awaited: once written, a receiver's buffer is used again.
        if (pos === hashed) {
          for (const b of pieces) hash.update(b);
          hashed += length;
        }
        if (length > 0) {
          const w = (pieces.length === 1 ? fh.write(pieces[0]!, 0, length, pos) : fh.writev(pieces as Buffer[], pos)).then(() => undefined, (e: Error) => { writeError ??= e; }).finally(written);
          writing.add(w);
          void w.finally(() => writing.delete(w));
          if (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
        } else written?.();
        pos += length;
        report.bytes += length;
        report.byPeer[peer.name] = (report.byPeer[peer.name] ?? 0) + length;
        o.onProgress?.(report.bytes, o.size);
      };
      try {
        for await (const c of call as AsyncIterable<DataChunk__Output>) {
          last = Date.now();
          if (c.linkTicket && o.links && !sock) {
            // The bytes come on a data link: frames of K_IMAGE, each whole in one buffer of the
            // receiver's pool and CRC-checked, given back once written.
            const receiver = new FrameReceiver(WRITES_IN_FLIGHT + 4);
            const s = await dial({ address: c.linkAddress, ticket: c.linkTicket }, o.links.pki, undefined, receiver);
            sock = s;
            s.on('error', () => undefined);
            let ended = false;
            try {
              for await (const f of receiver.frames()) {
                last = Date.now();
                if (f.kind !== K_IMAGE) {
                  f.release();
                  throw new Error(`a data-link frame of kind ${f.kind} at offset ${pos}`);
                }
                try {
                  await take([f.data], f.data.length, f.release);
                } catch (e) {
                  f.release();
                  throw e;
                }
                report.linked += f.data.length;
                if (f.last) {
                  ended = true;
                  break;
                }
              }
            } catch (e) {
              if (e instanceof CorruptFrameError) throw new CorruptChunkError(`chunk at offset ${pos} failed its CRC-32 check (corrupt or tampered)`);
              throw e;
            }
            if (!ended || pos < r.end) throw new Error(`the data link ended at offset ${pos}, before ${r.end}`);
            await settled();
            return pos;
          }
          if (Number(c.offset) !== pos) throw new Error(`chunk at offset ${c.offset}, expected ${pos}`);
          if (crc32(c.data) !== c.crc32c) throw new CorruptChunkError(`chunk at offset ${pos} failed its CRC-32 check (corrupt or tampered)`);
          await take([c.data], c.data.length);
        }
        if (pos < r.end) throw new Error(`the stream ended at offset ${pos}, before ${r.end}`);
        await settled();
        return pos;
      } catch (e) {
        // What was written stays (a resumed range starts after it); the writes must be over first.
        await Promise.all(writing);
        // A write that failed leaves a hole somewhere before `pos`: the range starts over.
        if (writeError) throw Object.assign(writeError, { reachedOffset: r.start });
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { reachedOffset: pos });
      } finally {
        clearInterval(stall);
        call.cancel();
        sock?.destroy();
      }
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        if (fatal) return;
        const r = queue.shift();
        if (!r) {
          if (active === 0) return;
          await new Promise<void>((resolve) => wake.push(resolve));
          continue;
        }
        const peer = pick();
        if (!peer) {
          fatal = new Error(`image ${o.fingerprint.slice(0, 12)}: every peer failed (${peers.map((p) => `${p.name}: ${p.dropped ?? p.lastError ?? 'no answer'}`).join('; ')})`);
          notify();
          return;
        }
        active++;
        peer.busy++;
        try {
          await attempt(peer, r);
          peer.failures = 0;
        } catch (e) {
          const reached = (e as { reachedOffset?: number }).reachedOffset ?? r.start;
          const why = (e as grpc.ServiceError).details || (e as Error).message;
          peer.failures++;
          peer.lastError = why;
          if (e instanceof CorruptChunkError || peer.failures >= 3) {
            peer.dropped = why;
            report.dropped[peer.name] = why;
          }
          if (reached > r.start) report.resumed++;
          o.log?.(`image ${o.fingerprint.slice(0, 12)}: range ${r.start}-${r.end} from ${peer.name} broke at offset ${reached} (${why}); resuming from offset ${reached}`);
          queue.unshift({ start: reached, end: r.end });
          // The only peer left: give it a moment before asking again.
          if (peers.filter((p) => !p.dropped).length === 1 && !peer.dropped) await new Promise((res) => setTimeout(res, 200 * peer.failures));
        } finally {
          active--;
          peer.busy--;
          notify();
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, () => worker()));
    wake = [];
    if (fatal) throw fatal;
    await fh.close();
    // (No fsync: the file is read once, by the import, which makes the durable copy.)
    if (hashed < o.size) for await (const c of createReadStream(o.file, { start: hashed, highWaterMark: CHUNK })) hash.update(c as Buffer);
    const got = hash.digest('hex');
    if (got !== o.fingerprint) {
      throw new TamperedImageError(`image ${o.fingerprint.slice(0, 12)} from ${Object.keys(report.byPeer).sort().join(', ')}: its bytes hash to SHA-256 ${got}, not its fingerprint: refused (tampered or corrupt), nothing kept`);
    }
    ok = true;
    return report;
  } finally {
    await fh.close().catch(() => undefined);
    if (!ok) await fsp.rm(o.file, { force: true });
  }
}
