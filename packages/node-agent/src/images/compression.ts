/**
 * Compression of image tarballs: detected by magic bytes, never by file name.
 * gzip through node:zlib; xz through Debian's `xz` (xz-utils) as a child process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { InternalError, InvalidArgumentError, NotSupportedError } from '../errors';
import { toolEnv } from '../host/paths';
import { runTool } from '../host/run';

export type Compression = 'none' | 'gzip' | 'xz';

/** File name suffix LXD uses for each compression. */
export const COMPRESSION_EXT: Record<Compression, string> = { none: '.tar', gzip: '.tar.gz', xz: '.tar.xz' };

/** Largest memory xz may use to decompress (an archive asking for more is refused, not obeyed). */
const XZ_MEMLIMIT = '1GiB';

/** What the first bytes of a file say it is. Refuses formats berth cannot read, naming them. */
export async function detectCompression(file: string, label: string): Promise<Compression> {
  const fh = await fsp.open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(6);
    const { bytesRead } = await fh.read(head, 0, 6, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') throw new NotSupportedError('images.bzip2', `${label} is bzip2-compressed; berth reads gzip, xz or uncompressed tarballs`);
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) throw new NotSupportedError('images.zstd', `${label} is zstd-compressed; berth reads gzip, xz or uncompressed tarballs`);
  if (head.length >= 4 && head.subarray(0, 4).toString('latin1') === 'hsqs') throw new NotSupportedError('images.squashfs', `${label} is a SquashFS image; berth reads tarballs only`);
  if (head.length >= 3 && head[0] === 0x5d && head[1] === 0x00 && head[2] === 0x00) throw new NotSupportedError('images.lzma', `${label} is lzma-compressed; berth reads gzip, xz or uncompressed tarballs`);
  return 'none';
}

function xzMissing(): NotSupportedError {
  return new NotSupportedError('xz', 'the xz tool (Debian package xz-utils) is not installed');
}

/** Whether `xz` can be run here. */
export async function xzAvailable(): Promise<boolean> {
  const r = await runTool('xz', ['--version'], { timeoutMs: 5000 });
  return r.code === 0;
}

/**
 * The decompressed bytes of a file, as an async iterable. Stopping early (return/throw in
 * the consumer) closes the file and ends the decompressor. Corrupt compressed data is an
 * InvalidArgumentError(label).
 */
export async function* openDecompressed(file: string, compression: Compression, label: string): AsyncGenerator<Buffer> {
  if (compression === 'none') {
    for await (const c of createReadStream(file, { highWaterMark: 256 * 1024 })) yield c as Buffer;
    return;
  }
  if (compression === 'gzip') {
    const src = createReadStream(file, { highWaterMark: 256 * 1024 });
    const gunzip = createGunzip();
    src.on('error', (e) => gunzip.destroy(e));
    src.pipe(gunzip);
    try {
      for await (const c of gunzip) yield c as Buffer;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new InvalidArgumentError(label, `gzip data is corrupt: ${(e as Error).message}`);
      throw e;
    } finally {
      src.destroy();
      gunzip.destroy();
    }
    return;
  }
  // xz: a child process reading the file itself.
  const child = spawn('xz', ['--decompress', '--stdout', `--memlimit-decompress=${XZ_MEMLIMIT}`, '--', file], {
    env: toolEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await spawned;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw xzMissing();
    throw e;
  }
  let finished = false;
  try {
    for await (const c of child.stdout) yield c as Buffer;
    const code = await exited;
    finished = true;
    if (code !== 0) throw new InvalidArgumentError(label, `xz data is corrupt: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** A Writable that compresses into a file; `done()` resolves when the file is complete. */
export interface CompressedSink {
  stream: Writable;
  done(): Promise<void>;
  /** Gives up: stops the compressor and closes the file (the caller removes it). */
  abort(): Promise<void>;
}

/**
 * Opens `file` for writing a compressed tarball. Output is deterministic for a given input
 * (gzip header has no name or time; xz runs single-threaded with fixed settings).
 */
export function compressedSink(file: string, compression: Compression): CompressedSink {
  const out = createWriteStream(file, { flags: 'wx', mode: 0o644 });
  const outDone = once(out, 'close');
  outDone.catch(() => { /* reported through done() */ });
  if (compression === 'none') {
    return {
      stream: out,
      done: async () => {
        out.end();
        await outDone;
      },
      abort: async () => {
        out.destroy();
        await outDone;
      },
    };
  }
  if (compression === 'gzip') {
    const gz = createGzip({ level: 9 });
    gz.pipe(out);
    return {
      stream: gz,
      done: async () => {
        gz.end();
        await outDone;
      },
      abort: async () => {
        gz.destroy();
        out.destroy();
        await outDone;
      },
    };
  }
  const child = spawn('xz', ['--compress', '--stdout', '-6', '--threads=1', '--check=crc64'], {
    env: toolEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  child.on('error', (e: NodeJS.ErrnoException) => { spawnError = e; out.destroy(); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.stdout.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const input = new PassThrough();
  input.pipe(child.stdin);
  child.stdin.on('error', () => { /* xz died: reported by done() */ });
  return {
    stream: input,
    done: async () => {
      input.end();
      const code = await exited;
      if (spawnError) throw spawnError.code === 'ENOENT' ? xzMissing() : spawnError;
      if (code !== 0) throw new InternalError(`xz: compression failed: ${stderr.trim()}`);
      await outDone.catch(() => undefined);
    },
    abort: async () => {
      input.destroy();
      child.kill('SIGKILL');
      await exited;
      out.destroy();
      await outDone.catch(() => undefined);
    },
  };
}
