/**
 * A live move's memory pages sent while CRIU is still writing them (stop-and-copy on a data
 * link): the source follows the `pages-*.img` files of the checkpoint as they grow and sends
 * what is new; the target writes them where the rest of the images will be extracted. What
 * is left when the dump ends is a short tail, not the whole memory.
 *
 * Contract:
 * - PagesTail (source): start() polls `dir` every POLL_MS and sends, per pages file, the bytes
 *   past what it sent (from its start, in order); finish(), once the dump has ended, sends
 *   the rest, then reads each file again whole and compares its CRC-32 with that of the bytes
 *   sent: a file CRIU changed behind what was sent is sent again from offset 0 (the target
 *   starts it over). end() answers the list of files with their sizes and CRC-32s, which the
 *   target checks before it may restore.
 * - PagesSink (target): takes (file, offset, bytes) in order per file (offset 0 starts the file
 *   over; any other offset must be where the file ends), refuses names other than
 *   `pages-<n>.img`, and check() compares every file with the source's list (sizes, CRC-32s,
 *   no file missing or extra); nothing is trusted before that.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { InvalidArgumentError } from '../errors';

/** Gives `names` in `dir` the owner and mode of `reference` (images the container's root must read). */
export async function ownLike(dir: string, names: readonly string[], reference: string): Promise<void> {
  const st = await fsp.stat(reference);
  for (const n of names) {
    const p = path.join(dir, n);
    await fsp.chown(p, st.uid, st.gid);
    await fsp.chmod(p, st.mode & 0o777);
  }
}

export const POLL_MS = 15;
const READ = 1 << 20;
const PAGES_FILE = /^pages-\d+\.img$/;

export interface PagesFileSum {
  name: string;
  size: number;
  crc: number;
}

/** One pages frame's payload: [u8 name length][name][u64 offset] then the bytes. */
export function encodePages(name: string, offset: number, data: Buffer): Buffer {
  const n = Buffer.from(name);
  const h = Buffer.allocUnsafe(1 + n.length + 8);
  h[0] = n.length;
  n.copy(h, 1);
  h.writeBigUInt64BE(BigInt(offset), 1 + n.length);
  return Buffer.concat([h, data]);
}

export function decodePages(b: Buffer): { name: string; offset: number; data: Buffer } {
  const len = b[0] ?? 0;
  if (b.length < 1 + len + 8) throw new InvalidArgumentError('pages', `a frame of ${b.length} bytes is too short`);
  return { name: b.subarray(1, 1 + len).toString('utf8'), offset: Number(b.readBigUInt64BE(1 + len)), data: b.subarray(1 + len + 8) };
}

interface Followed { sent: number; crc: number }

export class PagesTail {
  private readonly files = new Map<string, Followed>();
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** Bytes sent again because a file changed behind what was sent (0 when CRIU only appends). */
  resent = 0;

  constructor(private readonly dir: string, private readonly send: (name: string, offset: number, data: Buffer) => Promise<void>) {}

  start(): void {
    this.timer = setInterval(() => {
      this.busy = this.busy.then(() => this.pass(false)).catch((e: unknown) => {
        this.failure ??= e as Error;
      });
    }, POLL_MS);
  }

  /** The dump has ended: the rest of every file, each checked whole (see the contract). */
  async finish(): Promise<PagesFileSum[]> {
    clearInterval(this.timer);
    await this.busy;
    if (this.failure) throw this.failure;
    await this.pass(true);
    const out: PagesFileSum[] = [];
    for (const [name, f] of this.files) {
      let crc = 0;
      for await (const piece of fs.createReadStream(path.join(this.dir, name), { highWaterMark: READ })) crc = crc32(piece as Buffer, crc);
      if (crc !== f.crc) {
        // Not what was sent: the whole file again (the target starts it over at offset 0).
        this.resent += f.sent;
        this.files.set(name, { sent: 0, crc: 0 });
        await this.pass(true, name);
      }
      const g = this.files.get(name)!;
      out.push({ name, size: g.sent, crc: g.crc });
    }
    return out;
  }

  /** Stops following (a failed move). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Sends what each pages file has past what was sent; `all`: up to its end now. */
  private async pass(all: boolean, only?: string): Promise<void> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.dir)).filter((n) => PAGES_FILE.test(n) && (!only || n === only));
    } catch {
      return; // not made yet (runc makes the folder when the dump starts)
    }
    for (const name of names.sort()) {
      const f = this.files.get(name) ?? { sent: 0, crc: 0 };
      this.files.set(name, f);
      const fh = await fsp.open(path.join(this.dir, name), 'r');
      try {
        const size = (await fh.stat()).size;
        while (f.sent < size) {
          const want = Math.min(READ, size - f.sent);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(buf, 0, want, f.sent);
          if (bytesRead === 0) break;
          const data = bytesRead === want ? buf : buf.subarray(0, bytesRead);
          await this.send(name, f.sent, data);
          f.crc = crc32(data, f.crc);
          f.sent += bytesRead;
          if (!all) break; // one read per file per poll while the dump runs
        }
      } finally {
        await fh.close();
      }
    }
  }
}

export class PagesSink {
  private readonly files = new Map<string, { fh: fsp.FileHandle; size: number; crc: number }>();

  constructor(private readonly dir: string) {}

  async write(name: string, offset: number, data: Buffer): Promise<void> {
    if (!PAGES_FILE.test(name)) throw new InvalidArgumentError('pages', `"${name}" is not a pages-<n>.img file`);
    let f = this.files.get(name);
    if (!f) {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o711 });
      f = { fh: await fsp.open(path.join(this.dir, name), 'w', 0o600), size: 0, crc: 0 };
      this.files.set(name, f);
    }
    if (offset === 0 && f.size > 0) {
      await f.fh.truncate(0);
      f.size = 0;
      f.crc = 0;
    }
    if (offset !== f.size) throw new InvalidArgumentError('pages', `${name} at offset ${offset}, expected ${f.size}`);
    try {
      await f.fh.write(data, 0, data.length, offset);
    } catch (e) {
      throw new Error(`writing the memory pages (${name}) at offset ${offset}: ${(e as Error).message}`, { cause: e });
    }
    f.size += data.length;
    f.crc = crc32(data, f.crc);
  }

  /** Every file as the source summed it; closes them. Throws naming the first that differs. */
  async check(sums: PagesFileSum[]): Promise<void> {
    try {
      const names = new Set(sums.map((s) => s.name));
      for (const n of this.files.keys()) if (!names.has(n)) throw new InvalidArgumentError('pages', `${n} arrived but the source did not list it`);
      for (const s of sums) {
        const f = this.files.get(s.name);
        if (!f && s.size === 0) continue;
        if (!f || f.size !== s.size || f.crc !== s.crc) {
          throw new InvalidArgumentError('pages', `${s.name}: ${f ? `${f.size} bytes, CRC-32 ${f.crc.toString(16)}` : 'missing'}; the source sent ${s.size} bytes, CRC-32 ${s.crc.toString(16)}`);
        }
      }
    } finally {
      await this.close();
    }
  }

  /** Gives each file the owner and mode of a file the images' tar made (the container's root must read them). */
  async ownLike(reference: string): Promise<void> {
    await ownLike(this.dir, [...this.files.keys()], reference);
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) await f.fh.close().catch(() => undefined);
  }
}
