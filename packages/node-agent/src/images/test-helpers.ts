/** Helpers for the image tests (not exported from the package index). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { TarWriter, type TarWriteHeader, type TarWriterOptions } from './tar';

/** A fresh temp folder whose name says it belongs to a test. */
export function makeTestDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `berth-test-images-${tag}-`));
}

export function removeTestDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a tar archive into memory. `end: false` leaves out the end-of-archive blocks. */
export async function tarBuffer(
  entries: Array<[TarWriteHeader, Buffer?]> | ((w: TarWriter) => Promise<void>),
  opts: TarWriterOptions & { end?: boolean } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  const w = new TarWriter(sink, opts);
  if (typeof entries === 'function') await entries(w);
  else for (const [h, d] of entries) await w.add(h, d);
  if (opts.end !== false) await w.finish();
  return Buffer.concat(chunks);
}

export const GOOD_METADATA = 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: test\n  release: "1"\n';

export function file(name: string, data: string | Buffer, extra: Partial<TarWriteHeader> = {}): [TarWriteHeader, Buffer] {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return [{ name, type: 'file', mode: 0o644, mtime: 1700000000, ...extra }, b];
}

export function dir(name: string, extra: Partial<TarWriteHeader> = {}): [TarWriteHeader] {
  return [{ name, type: 'dir', mode: 0o755, mtime: 1700000000, ...extra }];
}

export function link(name: string, type: 'symlink' | 'hardlink', target: string): [TarWriteHeader] {
  return [{ name, type, mode: 0o777, mtime: 1700000000, linkname: target }];
}

/** A unified image with metadata.yaml, rootfs/ and then the given entries. */
export async function unifiedImage(extra: Array<[TarWriteHeader, Buffer?]>, metadata = GOOD_METADATA, opts: TarWriterOptions & { end?: boolean } = {}): Promise<Buffer> {
  return tarBuffer([file('metadata.yaml', metadata), dir('rootfs/'), dir('rootfs/etc/'), file('rootfs/etc/hostname', 'test\n'), ...extra], opts);
}

export function gz(b: Buffer): Buffer {
  return gzipSync(b);
}

/** Every path under a folder (relative), for "nothing left behind" checks. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const n of fs.readdirSync(d)) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      const st = fs.lstatSync(path.join(d, n));
      if (st.isDirectory()) walk(path.join(d, n), r);
    }
  };
  if (fs.existsSync(root)) walk(root, '');
  return out.sort();
}
