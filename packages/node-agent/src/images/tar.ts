/**
 * A small tar reader and writer: POSIX ustar, GNU long names (types 'L' and 'K'), GNU
 * base-256 numbers, and PAX extended headers ('x', and 'g' which is parsed and ignored).
 *
 * The reader is streaming: it pulls 512-byte blocks from an async iterable of buffers and
 * yields one entry at a time; an entry's body must be read (or is skipped) before the next.
 * It checks every header's checksum and refuses archives that end early (inside a header or
 * a body, or without the two zero blocks that end a tar archive). It knows nothing of paths
 * or of what is safe to write: that is `safe-extract.ts`'s job.
 *
 * The writer is deliberately dumb: it writes whatever names it is given (the tests use it to
 * make malicious archives). Names that do not fit ustar's fields go into a PAX header, or a
 * GNU long-name header when asked.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors';

export const BLOCK = 512;

export type TarType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

const TYPEFLAG: Record<TarType, string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};
const TYPE_OF_FLAG: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

/** One entry as read from an archive (after PAX / GNU long-name headers were applied). */
export interface TarEntry {
  /** The name as stored (not normalized; may be hostile). */
  name: string;
  /** The entry's kind, or 'unknown' with the raw `typeflag` for types this reader does not handle. */
  type: TarType | 'unknown';
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch (fractional when a PAX header said so). */
  mtime: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** The PAX records that applied to this entry (extended, not global). */
  pax: Record<string, string>;
  /** Byte offset of the entry's own header in the (uncompressed) archive. */
  offset: number;
}

export interface TarReadOptions {
  /** Prefix of error messages (the InvalidArgumentError's field). */
  label?: string;
  /** Largest PAX or GNU long-name header accepted (bytes). */
  maxMetaHeaderBytes?: number;
}

/** Pulls exact byte counts from an async iterable of buffers. */
class ByteSource {
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;
  private chunks: Buffer[] = [];
  private have = 0;
  private eof = false;
  position = 0;

  constructor(src: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>) {
    if (Symbol.asyncIterator in src) this.it = src[Symbol.asyncIterator]();
    else {
      const sync = src[Symbol.iterator]();
      this.it = { next: async () => sync.next() };
    }
  }

  private async fill(n: number): Promise<void> {
    while (this.have < n && !this.eof) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      if (b.length === 0) continue;
      this.chunks.push(b);
      this.have += b.length;
    }
  }

  /** Up to n bytes; fewer only at the end of the input. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const take = Math.min(n, this.have);
    const out = Buffer.allocUnsafe(take);
    let off = 0;
    while (off < take) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, take - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.have -= take;
    this.position += take;
    return out;
  }

  /** Yields exactly n bytes in chunks; returns how many were really there (less at EOF). */
  async *take(n: number, got: { n: number }): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.have === 0) await this.fill(1);
      if (this.have === 0) return;
      const c = this.chunks[0]!;
      const k = Math.min(c.length, left);
      const part = k === c.length ? c : c.subarray(0, k);
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
      this.have -= k;
      this.position += k;
      left -= k;
      got.n += k;
      yield part;
    }
  }

  async close(): Promise<void> {
    if (!this.eof && this.it.return) {
      this.eof = true;
      await this.it.return();
    }
  }
}

function cstr(buf: Buffer, off: number, len: number): Buffer {
  const f = buf.subarray(off, off + len);
  const z = f.indexOf(0);
  return z < 0 ? f : f.subarray(0, z);
}

/** Decodes bytes as UTF-8, refusing what is not valid UTF-8 (null then). */
function utf8(b: Buffer): string | null {
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? s : null;
}

/** An octal (or GNU base-256) numeric field; null when malformed. */
export function parseNumeric(buf: Buffer, off: number, len: number): number | null {
  const f = buf.subarray(off, off + len);
  if (f.length > 0 && (f[0]! & 0x80) !== 0) {
    if (f[0] === 0xff) return null; // negative base-256 values: never valid here
    let v = f[0]! & 0x7f;
    for (let i = 1; i < f.length; i++) {
      v = v * 256 + f[i]!;
      if (v > Number.MAX_SAFE_INTEGER) return null;
    }
    return v;
  }
  const s = f.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return null;
  const v = parseInt(s, 8);
  return Number.isSafeInteger(v) ? v : null;
}

function headerChecksums(h: Buffer): { unsigned: number; signed: number } {
  let u = 0;
  let s = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    u += b;
    s += b > 127 ? b - 256 : b;
  }
  return { unsigned: u, signed: s };
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Parses a PAX extended header body into its records. */
export function parsePax(body: Buffer): Record<string, string> | string {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // some writers pad with NULs
    const sp = body.indexOf(0x20, off);
    if (sp < 0) return 'PAX record without a length';
    const lenStr = body.subarray(off, sp).toString('latin1');
    if (!/^[0-9]{1,9}$/.test(lenStr)) return 'PAX record with a bad length';
    const len = parseInt(lenStr, 10);
    if (len <= sp - off + 1 || off + len > body.length || body[off + len - 1] !== 0x0a) return 'PAX record with a bad length';
    const rec = body.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) return 'PAX record without a key';
    const key = utf8(rec.subarray(0, eq));
    const val = utf8(rec.subarray(eq + 1));
    if (key === null || val === null) return 'PAX record that is not valid UTF-8';
    out[key] = val;
    off += len;
  }
  return out;
}

/**
 * Reads a tar archive entry by entry. Each yielded entry comes with its body; the body not
 * read by the consumer is skipped. Throws InvalidArgumentError(label, ...) naming the entry
 * (or the last good one) for bad checksums, malformed fields and truncation.
 */
export async function* readTar(
  src: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>,
  opts: TarReadOptions = {},
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Buffer> }> {
  const label = opts.label ?? 'tar archive';
  const maxMeta = opts.maxMetaHeaderBytes ?? 1024 * 1024;
  const bytes = new ByteSource(src);
  let last: string | null = null; // last good entry name, for messages
  const where = (): string => (last === null ? 'at the start of the archive' : `after entry '${last}'`);
  const fail = (msg: string): never => {
    throw new InvalidArgumentError(label, msg);
  };
  try {
    let pax: Record<string, string> = Object.create(null) as Record<string, string>;
    let longName: string | null = null;
    let longLink: string | null = null;
    for (;;) {
      const offset = bytes.position;
      const h = await bytes.read(BLOCK);
      if (h.length === 0) {
        if (offset === 0) fail('archive is empty');
        fail(`archive is truncated: missing end-of-archive blocks ${where()}`);
      }
      if (h.length < BLOCK) fail(`archive is truncated inside a header ${where()}`);
      if (isZeroBlock(h)) {
        const h2 = await bytes.read(BLOCK);
        if (h2.length < BLOCK) fail(`archive is truncated: missing the second end-of-archive block ${where()}`);
        if (!isZeroBlock(h2)) fail(`archive has a lone zero block ${where()} (corrupt archive)`);
        if (longName !== null || longLink !== null || Object.keys(pax).length > 0) fail(`archive ends after an extended header ${where()}`);
        return;
      }
      const stored = parseNumeric(h, 148, 8);
      const sums = headerChecksums(h);
      if (stored === null || (stored !== sums.unsigned && stored !== sums.signed)) {
        fail(`bad header checksum at byte ${offset} ${where()}${offset === 0 ? ' (not a tar archive?)' : ''}`);
      }
      const typeflag = String.fromCharCode(h[156]!);
      const rawName = (() => {
        const name = cstr(h, 0, 100);
        const magic = h.subarray(257, 263).toString('latin1');
        if (magic === 'ustar\0') {
          const prefix = cstr(h, 345, 155);
          if (prefix.length > 0) return Buffer.concat([prefix, Buffer.from('/'), name]);
        }
        return name;
      })();
      const nameStr = utf8(rawName) ?? fail(`entry ${where()} has a name that is not valid UTF-8`);
      const num = (off: number, len: number, what: string): number =>
        parseNumeric(h, off, len) ?? fail(`entry '${nameStr}' has a malformed ${what} field`);
      const size = num(124, 12, 'size');
      const bodyBlocks = Math.ceil(size / BLOCK) * BLOCK;

      // Meta headers: read their body and apply to the next real entry.
      if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
        if (size > maxMeta) fail(`extended header ${where()} is too large (${size} bytes)`);
        const body = await bytes.read(bodyBlocks);
        if (body.length < bodyBlocks) fail(`archive is truncated inside an extended header ${where()}`);
        const data = body.subarray(0, size);
        if (typeflag === 'x' || typeflag === 'g') {
          const recs = parsePax(data);
          if (typeof recs === 'string') fail(`${recs} ${where()}`);
          if (typeflag === 'x') Object.assign(pax, recs);
          // 'g' (global) records are ignored: nothing berth uses may be set globally.
        } else {
          const s = utf8(cstr(data, 0, data.length)) ?? fail(`GNU long name ${where()} is not valid UTF-8`);
          if (typeflag === 'L') longName = s;
          else longLink = s;
        }
        continue;
      }

      const name = pax['path'] ?? longName ?? nameStr;
      const linkRaw = utf8(cstr(h, 157, 100)) ?? fail(`entry '${name}' has a link name that is not valid UTF-8`);
      const linkname = pax['linkpath'] ?? longLink ?? linkRaw;
      const paxNum = (key: string, dflt: number, isFloat = false): number => {
        const v = pax[key];
        if (v === undefined) return dflt;
        const ok = isFloat ? /^-?[0-9]+(\.[0-9]+)?$/.test(v) : /^[0-9]+$/.test(v);
        const n = Number(v);
        if (!ok || !Number.isFinite(n) || (!isFloat && !Number.isSafeInteger(n))) fail(`entry '${name}' has a malformed PAX ${key}`);
        return n;
      };
      const realSize = paxNum('size', size);
      const entry: TarEntry = {
        name,
        type: TYPE_OF_FLAG[typeflag] ?? 'unknown',
        typeflag,
        mode: num(100, 8, 'mode') & 0o7777,
        uid: paxNum('uid', num(108, 8, 'uid')),
        gid: paxNum('gid', num(116, 8, 'gid')),
        mtime: paxNum('mtime', num(136, 12, 'mtime'), true),
        size: realSize,
        linkname,
        devmajor: typeflag === '3' || typeflag === '4' ? num(329, 8, 'devmajor') : 0,
        devminor: typeflag === '3' || typeflag === '4' ? num(337, 8, 'devminor') : 0,
        pax,
        offset,
      };
      pax = Object.create(null) as Record<string, string>;
      longName = null;
      longLink = null;
      // Links, directories, devices and fifos carry no data whatever the size field says
      // (GNU tar writes size 0; some writers put the target's size on hard links).
      const dataSize = entry.type === 'file' || entry.type === 'unknown' ? realSize : 0;
      const skipAfter = (realSize === size ? bodyBlocks : Math.ceil(realSize / BLOCK) * BLOCK);
      const got = { n: 0 };
      let consumed = false;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => {
          if (consumed) throw new Error('tar entry body read twice');
          consumed = true;
          return bytes.take(dataSize, got);
        },
      };
      yield { entry, body };
      // Skip what the consumer left, then the padding.
      if (!consumed) {
        consumed = true;
        for await (const _ of bytes.take(dataSize, got)) { /* skip */ }
      }
      if (got.n < dataSize) fail(`archive is truncated inside entry '${name}' (${got.n} of ${dataSize} bytes)`);
      const pad = skipAfter - dataSize;
      if (pad > 0) {
        const skipped = { n: 0 };
        for await (const _ of bytes.take(pad, skipped)) { /* skip */ }
        if (skipped.n < pad) fail(`archive is truncated after entry '${name}'`);
      }
      last = name;
    }
  } finally {
    await bytes.close();
  }
}

// ---------------------------------------------------------------- writer

export interface TarWriteHeader {
  name: string;
  type: TarType;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  uname?: string;
  gname?: string;
}

export interface TarWriterOptions {
  /** How names longer than ustar's fields are written: PAX 'path'/'linkpath' (default) or GNU 'L'/'K'. */
  longNames?: 'pax' | 'gnu';
  /** Pad the archive to a multiple of this many bytes (GNU tar's record: 10240). 0 = no padding. */
  recordSize?: number;
}

function writeOctal(h: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (s.length > len - 1 || v < 0) return false;
  h.write(s.padStart(len - 1, '0'), off, 'latin1');
  h[off + len - 1] = 0;
  return true;
}

/** The 512-byte ustar header for h (no extended headers). Fields that do not fit are left for PAX. */
export function encodeHeader(h: TarWriteHeader, typeflag?: string): { block: Buffer; overflow: Record<string, string> } {
  const b = Buffer.alloc(BLOCK);
  const overflow: Record<string, string> = {};
  const name = Buffer.from(h.name, 'utf8');
  if (name.length <= 100) name.copy(b, 0);
  else {
    // Try the ustar prefix split at a '/'.
    let split = -1;
    for (let i = name.length - 1; i > 0; i--) {
      if (name[i] === 0x2f && i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
        split = i;
        break;
      }
    }
    if (split > 0) {
      name.copy(b, 345, 0, split);
      name.copy(b, 0, split + 1);
    } else {
      name.copy(b, 0, 0, 100);
      overflow['path'] = h.name;
    }
  }
  const size = h.type === 'file' ? h.size ?? 0 : 0;
  writeOctal(b, 100, 8, (h.mode ?? (h.type === 'dir' ? 0o755 : 0o644)) & 0o7777);
  if (!writeOctal(b, 108, 8, h.uid ?? 0)) overflow['uid'] = String(h.uid);
  if (!writeOctal(b, 116, 8, h.gid ?? 0)) overflow['gid'] = String(h.gid);
  if (!writeOctal(b, 124, 12, size)) {
    overflow['size'] = String(size);
    writeOctal(b, 124, 12, 0);
  }
  if (!writeOctal(b, 136, 12, h.mtime ?? 0)) overflow['mtime'] = String(h.mtime);
  b[156] = (typeflag ?? TYPEFLAG[h.type]).charCodeAt(0);
  const link = Buffer.from(h.linkname ?? '', 'utf8');
  if (link.length <= 100) link.copy(b, 157);
  else {
    link.copy(b, 157, 0, 100);
    overflow['linkpath'] = h.linkname!;
  }
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  b.write((h.uname ?? (h.uid ? '' : 'root')).slice(0, 31), 265, 'utf8');
  b.write((h.gname ?? (h.gid ? '' : 'root')).slice(0, 31), 297, 'utf8');
  writeOctal(b, 329, 8, h.devmajor ?? 0);
  writeOctal(b, 337, 8, h.devminor ?? 0);
  setChecksum(b);
  return { block: b, overflow };
}

/** Writes the checksum field of a header block (after any change to it). */
export function setChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  const { unsigned } = headerChecksums(b);
  b.write(unsigned.toString(8).padStart(6, '0'), 148, 'latin1');
  b[154] = 0;
  b[155] = 0x20;
}

/** One PAX record, "<len> key=value\n", where len counts the whole record. */
export function paxRecord(key: string, value: string): Buffer {
  const kv = Buffer.byteLength(`${key}=${value}\n`, 'utf8');
  let len = kv + 1;
  for (;;) {
    const total = kv + 1 + String(len).length;
    if (total === len) break;
    len = total;
  }
  return Buffer.from(`${len} ${key}=${value}\n`, 'utf8');
}

function padTo(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

/** Streams a tar archive into a Writable, with backpressure. */
export class TarWriter {
  private written = 0;
  private readonly longNames: 'pax' | 'gnu';
  private readonly recordSize: number;

  constructor(private readonly out: Writable, opts: TarWriterOptions = {}) {
    this.longNames = opts.longNames ?? 'pax';
    this.recordSize = opts.recordSize ?? 10240;
  }

  /** Bytes written so far (uncompressed). */
  get bytes(): number {
    return this.written;
  }

  /** Writes raw bytes (for hand-made archives in tests). */
  async raw(buf: Buffer): Promise<void> {
    if (buf.length === 0) return;
    this.written += buf.length;
    if (!this.out.write(buf)) await once(this.out, 'drain');
  }

  /** Adds one entry; data is a Buffer or the path of a file to copy (size must match). */
  async add(h: TarWriteHeader, data?: Buffer | string): Promise<void> {
    const size = h.type === 'file' ? (typeof data === 'string' ? h.size ?? 0 : data?.length ?? h.size ?? 0) : 0;
    const hdr: TarWriteHeader = { ...h, size };
    const { block, overflow } = encodeHeader(hdr);
    const keys = Object.keys(overflow);
    if (keys.length > 0) {
      if (this.longNames === 'gnu' && keys.every((k) => k === 'path' || k === 'linkpath')) {
        for (const [k, flag] of [['linkpath', 'K'], ['path', 'L']] as const) {
          const v = overflow[k];
          if (v === undefined) continue;
          const body = Buffer.concat([Buffer.from(v, 'utf8'), Buffer.alloc(1)]);
          const { block: lb } = encodeHeader({ name: '././@LongLink', type: 'file', size: body.length, mode: 0o644 }, flag);
          await this.raw(lb);
          await this.raw(body);
          await this.raw(Buffer.alloc(padTo(body.length)));
        }
      } else {
        const body = Buffer.concat(keys.map((k) => paxRecord(k, overflow[k]!)));
        const base = h.name.replace(/\/+$/, '').split('/').pop() ?? 'entry';
        const { block: pb } = encodeHeader(
          { name: `PaxHeaders/${Buffer.from(base).subarray(0, 80).toString('utf8').replace(/\uFFFD/g, '')}`, type: 'file', size: body.length, mode: 0o644, mtime: Math.min(h.mtime ?? 0, 0o77777777777) },
          'x',
        );
        await this.raw(pb);
        await this.raw(body);
        await this.raw(Buffer.alloc(padTo(body.length)));
      }
    }
    await this.raw(block);
    if (size === 0) return;
    if (Buffer.isBuffer(data)) await this.raw(data);
    else if (typeof data === 'string') {
      let n = 0;
      for await (const c of createReadStream(data)) {
        const chunk = c as Buffer;
        n += chunk.length;
        if (n > size) throw new Error(`tar writer: ${data} grew while being archived`);
        await this.raw(chunk);
      }
      if (n !== size) throw new Error(`tar writer: ${data} shrank while being archived (${n} of ${size} bytes)`);
    }
    await this.raw(Buffer.alloc(padTo(size)));
  }

  /** Writes the two end-of-archive blocks and pads to the record size. Does not end the stream. */
  async finish(): Promise<void> {
    await this.raw(Buffer.alloc(2 * BLOCK));
    if (this.recordSize > 0) await this.raw(Buffer.alloc((this.recordSize - (this.written % this.recordSize)) % this.recordSize));
  }
}
