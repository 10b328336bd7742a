import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { InternalError, InvalidArgumentError } from '../errors';
import { toolEnv } from '../host/paths';
import type { StreamFormat } from './types';

/**
 * The stream form of a volume (export/import), the same envelope for every driver:
 *
 *   "BERTHVS1"                                   magic, 8 bytes
 *   frame H  {format, driver, volume, snapshots}  header (JSON)
 *   per section, oldest snapshot first, the volume last:
 *     frame S  {kind: "snapshot"|"volume", name, parent?}
 *     frame D* payload bytes: a tar stream or a btrfs send stream, in chunks
 *     frame E  {bytes, sha256}                     over the section's payload
 *   frame Z  {sections}                           end; nothing may follow
 *
 * A frame is a type byte, a 32-bit big-endian length and the payload. The envelope is what
 * lets import refuse a truncated stream (no Z), a corrupt one (a digest that does not match, a
 * bad frame) or a foreign one (no magic) even where tar or btrfs receive would accept a
 * prefix, and it carries the names of the snapshots, which the payload formats do not.
 */
export const MAGIC = Buffer.from('BERTHVS1', 'latin1');
const MAX_DATA = 1 << 20;
const MAX_FRAME = 4 << 20;

export interface StreamHeader {
  format: StreamFormat;
  driver: string;
  volume: string;
  snapshots: string[];
}

export interface SectionMeta {
  kind: 'snapshot' | 'volume';
  name: string;
  /** btrfs: the snapshot this section is an increment on. */
  parent?: string;
}

/** One section's payload: bytes, and a check that whoever made them succeeded. */
export interface SectionSource {
  meta: SectionMeta;
  data: Readable;
  done(): Promise<void>;
}

function frame(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');

/** The envelope around the sections; `sections` is pulled one at a time, as the reader reads. */
export async function* encodeVolumeStream(header: StreamHeader, sections: AsyncIterable<SectionSource>): AsyncGenerator<Buffer> {
  yield MAGIC;
  yield frame('H', json(header));
  let n = 0;
  for await (const s of sections) {
    yield frame('S', json(s.meta));
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const c of s.data) {
      const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c as string);
      for (let off = 0; off < chunk.length; off += MAX_DATA) {
        const part = chunk.subarray(off, off + MAX_DATA);
        hash.update(part);
        bytes += part.length;
        yield frame('D', part);
      }
    }
    await s.done();
    yield frame('E', json({ bytes, sha256: hash.digest('hex') }));
    n++;
  }
  yield frame('Z', json({ sections: n }));
}

/** Where import puts a section's payload (a tool's stdin, usually). */
export interface SectionSink {
  write(chunk: Buffer): Promise<void>;
  /** The payload is complete: wait for the tool and check it succeeded. */
  end(): Promise<void>;
  /** Stop the tool (the stream was bad). */
  abort(): void;
}

const bad = (msg: string): InvalidArgumentError => new InvalidArgumentError('stream', msg);

/** Reads frames from a byte stream. */
class FrameReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private readonly it: AsyncIterator<Buffer | string>;
  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or fewer only at the end of the stream. */
  async take(n: number): Promise<Buffer> {
    while (this.have < n) {
      const r = await this.it.next();
      if (r.done) break;
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.chunks.push(b);
      this.have += b.length;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }

  async frame(): Promise<{ type: string; payload: Buffer } | undefined> {
    const head = await this.take(5);
    if (head.length === 0) return undefined;
    if (head.length < 5) throw bad('truncated (in a frame header)');
    const type = head.toString('latin1', 0, 1);
    const len = head.readUInt32BE(1);
    if (!'HSDEZ'.includes(type)) throw bad(`corrupt (unknown frame type 0x${head[0]!.toString(16)})`);
    if (len > MAX_FRAME) throw bad(`corrupt (frame of ${len} bytes)`);
    const payload = await this.take(len);
    if (payload.length < len) throw bad('truncated (in a frame)');
    return { type, payload };
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function parseJson<T>(b: Buffer, what: string): T {
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch {
    throw bad(`corrupt (${what} is not JSON)`);
  }
}

/**
 * Reads a whole volume stream, handing each section's payload to the sink `open` gives.
 * Throws InvalidArgumentError("stream") when the stream is not a complete, intact volume
 * stream; the caller undoes what the sinks made.
 */
export async function decodeVolumeStream(
  stream: Readable,
  onHeader: (h: StreamHeader) => void | Promise<void>,
  open: (meta: SectionMeta, index: number) => Promise<SectionSink>,
): Promise<StreamHeader> {
  const r = new FrameReader(stream);
  let sink: SectionSink | undefined;
  try {
    const magic = await r.take(MAGIC.length);
    if (!magic.equals(MAGIC)) throw bad(magic.length < MAGIC.length ? 'truncated (no header)' : 'not a berth volume stream (bad magic)');
    const h = await r.frame();
    if (!h || h.type !== 'H') throw bad(h ? `corrupt (frame ${h.type} before the header)` : 'truncated (no header)');
    const header = parseJson<StreamHeader>(h.payload, 'the header');
    if ((header.format !== 'tar' && header.format !== 'btrfs') || !Array.isArray(header.snapshots)) throw bad('corrupt (bad header)');
    await onHeader(header);
    let index = 0;
    let hash = createHash('sha256');
    let bytes = 0;
    // When the tool gives up on a section, the rest of it is still read and checked: a stream
    // damaged in transit is then reported as such, not as whatever the tool made of it.
    let sinkError: unknown;
    for (;;) {
      const f = await r.frame();
      if (!f) throw bad(sink ? `truncated (in section ${index})` : 'truncated (no end frame)');
      if (f.type === 'S') {
        if (sink) throw bad('corrupt (section inside a section)');
        const meta = parseJson<SectionMeta>(f.payload, 'a section header');
        if ((meta.kind !== 'snapshot' && meta.kind !== 'volume') || typeof meta.name !== 'string') throw bad('corrupt (bad section header)');
        sink = await open(meta, index);
        hash = createHash('sha256');
        bytes = 0;
        sinkError = undefined;
      } else if (f.type === 'D') {
        if (!sink) throw bad('corrupt (data outside a section)');
        hash.update(f.payload);
        bytes += f.payload.length;
        if (sinkError === undefined) {
          try {
            await sink.write(f.payload);
          } catch (e) {
            sinkError = e;
          }
        }
      } else if (f.type === 'E') {
        if (!sink) throw bad('corrupt (section end outside a section)');
        const end = parseJson<{ bytes: number; sha256: string }>(f.payload, 'a section end');
        const digest = hash.digest('hex');
        if (end.bytes !== bytes || end.sha256 !== digest) throw bad(`corrupt (section ${index}: ${bytes} bytes with sha256 ${digest.slice(0, 12)}…, the sender wrote ${end.bytes} with ${String(end.sha256).slice(0, 12)}…)`);
        if (sinkError !== undefined) throw sinkError;
        const s = sink;
        sink = undefined;
        await s.end();
        index++;
      } else if (f.type === 'Z') {
        if (sink) throw bad('corrupt (end inside a section)');
        const z = parseJson<{ sections: number }>(f.payload, 'the end frame');
        if (z.sections !== index) throw bad(`corrupt (${index} sections, the sender wrote ${z.sections})`);
        if ((await r.take(1)).length > 0) throw bad('corrupt (data after the end frame)');
        return header;
      } else {
        throw bad('corrupt (second header)');
      }
    }
  } catch (e) {
    sink?.abort();
    throw e;
  } finally {
    await r.close().catch(() => undefined);
  }
}

/** A running tool whose stdout is a section's payload. */
export function toolSource(meta: SectionMeta, cmd: string, args: readonly string[], cwd?: string): SectionSource & { child: ChildProcess } {
  const child = spawn(cmd, args, { env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'], cwd });
  const exited = waitTool(child, cmd);
  exited.catch(() => { /* reported by done() */ });
  return { meta, data: child.stdout!, done: () => exited, child };
}

/** A running tool whose stdin takes a section's payload. */
export function toolSink(cmd: string, args: readonly string[], cwd?: string): SectionSink {
  const child = spawn(cmd, args, { env: toolEnv(), stdio: ['pipe', 'ignore', 'pipe'], cwd });
  let exitedWith: Error | null | undefined;
  const exited = waitTool(child, cmd).then(() => { exitedWith = null; }, (e: Error) => { exitedWith = e; });
  const stdin = child.stdin!;
  stdin.on('error', () => { /* the tool exited early; its exit status says why */ });
  return {
    async write(chunk) {
      if (exitedWith !== undefined) throw exitedWith ?? new InternalError(`${cmd} exited before its input ended`);
      // once() rejects on 'error' (EPIPE when the tool died): its exit status is the reason.
      if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain').catch(() => exited), exited]);
      if (exitedWith) throw exitedWith;
    },
    async end() {
      stdin.end();
      await exited;
      if (exitedWith) throw exitedWith;
    },
    abort() {
      child.kill('SIGKILL');
    },
  };
}

function waitTool(child: ChildProcess, cmd: string): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new InternalError(`${cmd}: ${e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new InternalError(`${cmd}: exit ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
    });
  });
}

/** GNU tar flags that keep what a container's root needs: numeric owners, modes, xattrs, ACLs, devices, hard links, holes. */
export const TAR_CREATE = ['--create', '--file=-', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls', '--sparse', '--one-file-system', '-C'];
export const TAR_EXTRACT = ['--extract', '--file=-', '--numeric-owner', '--same-owner', '--same-permissions', '--xattrs', '--xattrs-include=*', '--acls', '-C'];
