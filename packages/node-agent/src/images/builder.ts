/**
 * Writing images: the shared tarball writer, the built-in busybox image (from Debian's
 * busybox-static, so the quick start needs no network) and publish (an image from a folder).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InternalError, InvalidArgumentError, NotFoundError } from '../errors';
import { runTool } from '../host/run';
import { compressedSink, type Compression } from './compression';
import { formatMetadata, lxdArchitecture, type ImageMetadata, type TemplateRule } from './metadata';
import { TarWriter, type TarWriteHeader } from './tar';

export interface ImageFile {
  path: string;
  /** SHA-256 of the file: the image's fingerprint for a unified tarball. */
  fingerprint: string;
  /** Bytes of the (compressed) file. */
  size: number;
}

/** SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Writes a tarball: `fill` adds the entries. The file must not exist; it is removed again
 * when anything fails.
 */
export async function writeTarball(out: string, compression: Compression, fill: (w: TarWriter) => Promise<void>): Promise<ImageFile> {
  const sink = compressedSink(out, compression);
  try {
    const w = new TarWriter(sink.stream);
    await fill(w);
    await w.finish();
    await sink.done();
    const st = await fsp.stat(out);
    return { path: out, fingerprint: await sha256File(out), size: st.size };
  } catch (e) {
    await sink.abort().catch(() => undefined);
    await fsp.rm(out, { force: true });
    throw e;
  }
}

/** This host's architecture, as LXD names it (dpkg's name mapped: amd64 -> x86_64, ...). */
export async function hostArchitecture(): Promise<string> {
  const r = await runTool('dpkg', ['--print-architecture'], { timeoutMs: 5000 });
  const fromDpkg = r.code === 0 ? lxdArchitecture(r.stdout.trim()) : null;
  const arch = fromDpkg ?? lxdArchitecture(process.arch);
  if (!arch) throw new InternalError(`cannot tell this host's architecture (dpkg: ${r.stdout.trim() || r.error || r.stderr.trim()}, node: ${process.arch})`);
  return arch;
}

// ---------------------------------------------------------------- busybox

export interface BusyboxImageOptions {
  /** Where to write the tarball (must not exist). */
  out: string;
  compression?: Compression;
  /** The static busybox binary (default /bin/busybox, Debian's busybox-static). */
  busybox?: string;
  /**
   * Time stamp of every entry and the metadata's creation_date. Default: SOURCE_DATE_EPOCH,
   * else the busybox binary's mtime, so building twice gives the same bytes.
   */
  epoch?: number;
  /** Architecture written into metadata.yaml (default: this host's). */
  architecture?: string;
}

export interface BuiltImage extends ImageFile {
  metadata: ImageMetadata;
}

/** init stays up (no respawn or askfirst lines, so it never spins); SIGPWR/SIGUSR2 power off cleanly. */
const INITTAB = `# berth busybox image.
# init (PID 1) stays up with nothing to respawn; it reaps orphans.
# Stop: SIGPWR or SIGUSR2 -> poweroff, SIGTERM -> reboot; both run the
# shutdown lines, then send every process SIGTERM, then SIGKILL, and exit.
::sysinit:/bin/mkdir -p /run /tmp /var/log
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sync
`;

/** Builds the busybox image (a unified LXD tarball). */
export async function buildBusyboxImage(opts: BusyboxImageOptions): Promise<BuiltImage> {
  const bin = opts.busybox ?? '/bin/busybox';
  const st = await fsp.stat(bin).catch(() => null);
  if (!st?.isFile()) throw new NotFoundError(`busybox: ${bin} does not exist (install Debian's busybox-static)`);
  const list = await runTool(bin, ['--list-full']);
  if (list.code !== 0) throw new InternalError(`busybox --list-full: ${list.error ?? list.stderr.trim()}`);
  const banner = await runTool(bin, []);
  const bannerLine = `${banner.stdout}\n${banner.stderr}`.split('\n').find((l) => l.startsWith('BusyBox v')) ?? '';
  const version = /^BusyBox v([0-9][^\s]*)/.exec(bannerLine)?.[1] ?? 'unknown';
  const build = /\(([^)]*)\)/.exec(bannerLine)?.[1];
  const envEpoch = process.env['SOURCE_DATE_EPOCH'];
  const epoch = opts.epoch ?? (envEpoch && /^[0-9]+$/.test(envEpoch) ? Number(envEpoch) : Math.floor(st.mtimeMs / 1000));
  const architecture = opts.architecture ?? (await hostArchitecture());
  const metadata: ImageMetadata = {
    architecture,
    creationDate: epoch,
    properties: {
      os: 'busybox',
      release: version,
      architecture,
      description: `BusyBox ${version}${build ? ` (${build})` : ''} ${architecture}`,
      name: `busybox-${version}-${architecture}`,
    },
    templates: {},
  };

  // The applets: "usr/bin/awk" -> symlink to /bin/busybox. Sorted, without busybox itself.
  const applets = list.stdout.split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox' && l.includes('/') && /^[a-z0-9_./[\]-]+$/i.test(l) && !l.split('/').includes('..'))
    .sort();
  const dirs = new Map<string, number>([
    ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700], ['run', 0o755],
    ['sbin', 0o755], ['sys', 0o555], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
    ['var', 0o755], ['var/log', 0o755], ['var/tmp', 0o1777],
  ]);
  for (const a of applets) {
    const parts = a.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) dirs.set(d, 0o755);
    }
  }
  const files = new Map<string, { data: Buffer; mode: number }>([
    ['etc/inittab', { data: Buffer.from(INITTAB), mode: 0o644 }],
    ['etc/passwd', { data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'), mode: 0o644 }],
    ['etc/group', { data: Buffer.from('root:x:0:\nnogroup:x:65534:\n'), mode: 0o644 }],
    ['etc/shadow', { data: Buffer.from('root:*:0:0:99999:7:::\nnobody:*:0:0:99999:7:::\n'), mode: 0o640 }],
    ['etc/hostname', { data: Buffer.from('busybox\n'), mode: 0o644 }],
    ['etc/hosts', { data: Buffer.from('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'), mode: 0o644 }],
    ['etc/profile', { data: Buffer.from('export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1=\'\\h:\\w\\$ \'\n'), mode: 0o644 }],
  ]);
  const links = new Map<string, string>();
  for (const a of applets) if (!files.has(a) && !dirs.has(a)) links.set(a, '/bin/busybox');
  links.set('sbin/init', '/bin/busybox');

  const base = { uid: 0, gid: 0, mtime: epoch, uname: 'root', gname: 'root' };
  return {
    ...(await writeTarball(opts.out, opts.compression ?? 'gzip', async (w) => {
      await w.add({ ...base, name: 'metadata.yaml', type: 'file', mode: 0o644 }, Buffer.from(formatMetadata(metadata)));
      await w.add({ ...base, name: 'rootfs/', type: 'dir', mode: 0o755 });
      // One sorted list, so the order never depends on Map insertion.
      type Item = { name: string; add: () => Promise<void> };
      const items: Item[] = [];
      for (const [d, mode] of dirs) items.push({ name: d, add: () => w.add({ ...base, name: `rootfs/${d}/`, type: 'dir', mode }) });
      for (const [f, { data, mode }] of files) items.push({ name: f, add: () => w.add({ ...base, name: `rootfs/${f}`, type: 'file', mode }, data) });
      for (const [l, target] of links) items.push({ name: l, add: () => w.add({ ...base, name: `rootfs/${l}`, type: 'symlink', mode: 0o777, linkname: target }) });
      items.push({ name: 'bin/busybox', add: () => w.add({ ...base, name: 'rootfs/bin/busybox', type: 'file', mode: 0o755, size: st.size }, bin) });
      items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const it of items) await it.add();
    })),
    metadata,
  };
}

// ---------------------------------------------------------------- publish

export interface PublishOptions {
  /** The folder to publish (an instance's or snapshot's rootfs). */
  rootfs: string;
  /** Where to write the tarball (must not exist). */
  out: string;
  compression?: Compression;
  properties?: Record<string, string>;
  /** Default: this host's. */
  architecture?: string;
  /** Default: now. */
  creationDate?: number;
  expiryDate?: number;
  /** Templates: rules, and the folder holding their files (copied to templates/). */
  templates?: { dir: string; rules: Record<string, TemplateRule> };
  /**
   * Maps host ownership back to the container's (an unprivileged rootfs is owned by a
   * shifted range: pass `(u, g) => [u - 1000000, g - 1000000]`). Default: unchanged.
   */
  mapOwner?: (uid: number, gid: number) => [number, number];
}

function majorMinor(rdev: number): [number, number] {
  // glibc's gnu_dev_major/minor on a 64-bit dev_t (rdev fits a double exactly up to 2^53).
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  const major = ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0);
  const minor = (lo & 0xff) | ((lo >>> 12) & 0xffffff00);
  return [major >>> 0, minor >>> 0];
}

/**
 * Makes a unified image tarball from a folder: entries sorted by name, owners numeric,
 * hard links kept, sockets skipped (tar does the same). Returns the file and its fingerprint.
 */
export async function publishImage(opts: PublishOptions): Promise<BuiltImage> {
  const rootSt = await fsp.lstat(opts.rootfs).catch(() => null);
  if (!rootSt?.isDirectory()) throw new InvalidArgumentError('rootfs', `${opts.rootfs} is not a directory`);
  const metadata: ImageMetadata = {
    architecture: opts.architecture ? lxdArchitecture(opts.architecture) ?? '' : await hostArchitecture(),
    creationDate: opts.creationDate ?? Math.floor(Date.now() / 1000),
    properties: { ...(opts.properties ?? {}) },
    templates: opts.templates?.rules ?? {},
  };
  if (!metadata.architecture) throw new InvalidArgumentError('architecture', `${opts.architecture} is not an architecture LXD knows`);
  if (opts.expiryDate !== undefined) metadata.expiryDate = opts.expiryDate;
  const owner = opts.mapOwner ?? ((u: number, g: number): [number, number] => [u, g]);

  const file = await writeTarball(opts.out, opts.compression ?? 'gzip', async (w) => {
    await w.add({ name: 'metadata.yaml', type: 'file', mode: 0o644, mtime: metadata.creationDate }, Buffer.from(formatMetadata(metadata)));
    const inodes = new Map<string, string>();
    const walk = async (dir: string, rel: string, prefix: string, st: import('node:fs').Stats): Promise<void> => {
      const [uid, gid] = owner(st.uid, st.gid);
      await w.add({ name: `${prefix}${rel ? `/${rel}` : ''}/`, type: 'dir', mode: st.mode & 0o7777, uid, gid, mtime: Math.floor(st.mtimeMs / 1000) });
      const names = (await fsp.readdir(dir)).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
      for (const n of names) {
        const abs = path.join(dir, n);
        const r = rel ? `${rel}/${n}` : n;
        const name = `${prefix}/${r}`;
        const s = await fsp.lstat(abs);
        const [u, g] = owner(s.uid, s.gid);
        const h: Omit<TarWriteHeader, 'type'> = { name, mode: s.mode & 0o7777, uid: u, gid: g, mtime: Math.floor(s.mtimeMs / 1000) };
        if (s.isDirectory()) await walk(abs, r, prefix, s);
        else if (s.isFile()) {
          const key = `${s.dev}:${s.ino}`;
          const first = s.nlink > 1 ? inodes.get(key) : undefined;
          if (first !== undefined) await w.add({ ...h, type: 'hardlink', linkname: first });
          else {
            if (s.nlink > 1) inodes.set(key, name);
            await w.add({ ...h, type: 'file', size: s.size }, abs);
          }
        } else if (s.isSymbolicLink()) await w.add({ ...h, type: 'symlink', linkname: await fsp.readlink(abs) });
        else if (s.isCharacterDevice() || s.isBlockDevice()) {
          const [devmajor, devminor] = majorMinor(s.rdev);
          await w.add({ ...h, type: s.isCharacterDevice() ? 'char' : 'block', devmajor, devminor });
        } else if (s.isFIFO()) await w.add({ ...h, type: 'fifo' });
        // sockets: skipped
      }
    };
    await walk(opts.rootfs, '', 'rootfs', rootSt);
    if (opts.templates) {
      const tst = await fsp.lstat(opts.templates.dir);
      await walk(opts.templates.dir, '', 'templates', tst);
    }
  });
  return { ...file, metadata };
}
