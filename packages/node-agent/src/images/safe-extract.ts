/**
 * Validation and extraction of UNTRUSTED image tarballs.
 *
 * Every entry goes through `ArchiveValidator.check` before anything is done with it; an
 * import first runs the validator over the whole archive without writing (scan), and only
 * then extracts (running the same validator again, so nothing unchecked is ever written).
 *
 * The rules (what an image may contain):
 * - Names are normalized lexically: a leading "./" and repeated or trailing "/" go away.
 *   An absolute name, a name with a ".." component (even one that would stay inside), a
 *   NUL byte, a component over 255 bytes or a path over 4095 bytes is refused.
 * - Where entries may go: a unified tarball holds `metadata.yaml`, `rootfs/...` and
 *   `templates/...` only; a split metadata tarball holds `metadata.yaml` and `templates/...`;
 *   a split rootfs tarball holds the root file system at its root (placed under rootfs/).
 * - Every parent of an entry must be a directory: one named earlier as a directory, or not
 *   named yet (then it is created as a plain 0755 root directory). A parent that is a
 *   symlink (the classic "extract through a symlink" escape), a file or anything else is
 *   refused. The extractor never follows symlinks: parents are directories it made itself,
 *   and files are opened with O_EXCL|O_NOFOLLOW.
 * - Symlinks only inside rootfs/. Their targets are stored verbatim and never followed on
 *   the host. An ABSOLUTE target is allowed (it is resolved inside the container, where "/"
 *   is the rootfs: Debian's rootfs has many such links). A RELATIVE target is resolved
 *   lexically from the link's folder and must stay inside rootfs/ ("../../../etc/shadow"
 *   from rootfs/a is refused): such a link is useless in the container (".." stops at "/")
 *   and only harmful to host-side tools. Symlinks in templates/ are refused: templates are
 *   read on the host.
 * - Hard links only inside rootfs/, and only to a regular file that came EARLIER in the same
 *   tarball (so a hard link can never reach a host file nor a symlink).
 * - Device nodes (char, block) only when the caller allows them (privileged images);
 *   fifos inside rootfs/ are fine. Any other entry type (sparse 'S', volume labels,
 *   contiguous files are read as files) is refused.
 * - The same path twice is refused, except a directory named again as a directory.
 * - Limits: total bytes of file data and number of entries (both per image, across the two
 *   tarballs of a split image).
 * Errors are InvalidArgumentError('image archive', "entry '<name>' <reason>").
 */
import * as fsp from 'node:fs/promises';
import { constants as FS } from 'node:fs';
import * as path from 'node:path';
import { InternalError, InvalidArgumentError } from '../errors';
import { runTool } from '../host/run';
import { openDecompressed, type Compression } from './compression';
import { readTar, type TarEntry, type TarType } from './tar';

export type ArchivePart = 'unified' | 'metadata' | 'rootfs';

export interface UnpackLimits {
  /** Most bytes of file data an image may unpack to. */
  maxBytes: number;
  /** Most entries (files, directories, links, ...) an image may have. */
  maxEntries: number;
  /** Whether char/block device nodes are allowed (only for privileged use). */
  allowDevices: boolean;
  /** Largest metadata.yaml accepted. */
  maxMetadataBytes: number;
}

export const DEFAULT_LIMITS: UnpackLimits = {
  maxBytes: 16 * 1024 ** 3,
  maxEntries: 2_000_000,
  allowDevices: false,
  maxMetadataBytes: 1024 * 1024,
};

/** Counters shared by the tarballs of one image. */
export interface Budget {
  bytes: number;
  entries: number;
}

/** Where a checked entry goes, relative to the unpacked image folder. */
export interface Placement {
  /** e.g. "metadata.yaml", "rootfs", "rootfs/etc/passwd", "templates/hostname.tpl" */
  dest: string;
  type: TarType;
  /** Parents not named in the archive so far, to be created first (outermost first). */
  implicitDirs: string[];
  /** For hard links: the dest of the file linked to. */
  linkDest?: string;
  /** A directory named again: only its attributes change. */
  repeated?: boolean;
}

const LABEL = 'image archive';

/** Quotes a hostile name for an error message (control characters escaped). */
export function q(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

type Kind = 'dir' | 'file' | 'symlink' | 'device' | 'fifo';

function kindOf(t: TarType): Kind {
  switch (t) {
    case 'dir': return 'dir';
    case 'file': case 'hardlink': return 'file';
    case 'symlink': return 'symlink';
    case 'char': case 'block': return 'device';
    case 'fifo': return 'fifo';
  }
}

/** Lexical normalization; returns the components or the reason the name is refused. */
export function normalizeArchivePath(raw: string): string[] | string {
  if (raw.includes('\0')) return 'has a NUL byte in its name';
  if (raw.startsWith('/')) return 'is an absolute path';
  if (Buffer.byteLength(raw) > 4095) return 'has a name longer than 4095 bytes';
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return 'escapes the root (a ".." component)';
  for (const p of parts) if (Buffer.byteLength(p) > 255) return 'has a name component longer than 255 bytes';
  return parts;
}

export class ArchiveValidator {
  private readonly seen = new Map<string, Kind>();
  private readonly where: string;

  constructor(
    private readonly part: ArchivePart,
    private readonly limits: UnpackLimits,
    private readonly budget: Budget,
  ) {
    this.where = part === 'unified' ? '' : ` in the ${part} tarball`;
  }

  private refuse(name: string, reason: string): never {
    throw new InvalidArgumentError(LABEL, `entry ${q(name)}${this.where} ${reason}`);
  }

  /** Maps normalized components to the dest path, or refuses. Null: the archive's own root. */
  private destOf(name: string, parts: string[]): string | null {
    if (this.part === 'rootfs') return ['rootfs', ...parts].join('/');
    if (parts.length === 0) return null;
    const top = parts[0]!;
    const allowed = this.part === 'unified' ? ['metadata.yaml', 'rootfs', 'templates'] : ['metadata.yaml', 'templates'];
    if (!allowed.includes(top) || (top === 'metadata.yaml' && parts.length > 1)) {
      this.refuse(name, `is not part of an image (a ${this.part === 'unified' ? 'unified tarball' : 'metadata tarball'} holds only ${allowed.map((a) => (a === 'metadata.yaml' ? a : `${a}/`)).join(', ')})`);
    }
    return parts.join('/');
  }

  /** Checks one entry; returns where it goes (null for the archive's root "." directory). */
  check(e: TarEntry): Placement | null {
    const name = e.name;
    this.budget.entries += 1;
    if (this.budget.entries > this.limits.maxEntries) this.refuse(name, `exceeds the limit of ${this.limits.maxEntries} entries per image`);
    if (e.type === 'unknown') {
      const flag = /^[\x20-\x7e]$/.test(e.typeflag) ? `'${e.typeflag}'` : `0x${e.typeflag.charCodeAt(0).toString(16)}`;
      this.refuse(name, `has an unsupported entry type ${flag}`);
    }
    if (Object.keys(e.pax).some((k) => k.startsWith('GNU.sparse.'))) this.refuse(name, 'is a sparse file (not supported)');
    const parts = normalizeArchivePath(name);
    if (typeof parts === 'string') this.refuse(name, parts);
    const dest = this.destOf(name, parts);
    const type = e.type;
    if (dest === null) {
      if (type !== 'dir') this.refuse(name, 'is the archive root but not a directory');
      return null;
    }
    const area = dest.split('/')[0]!;
    const inRootfs = area === 'rootfs' && dest !== 'rootfs';
    if (dest === 'metadata.yaml' && type !== 'file') this.refuse(name, 'must be a regular file');
    if (dest === 'metadata.yaml' && e.size > this.limits.maxMetadataBytes) this.refuse(name, `is larger than ${this.limits.maxMetadataBytes} bytes`);
    if ((dest === 'rootfs' || dest === 'templates') && type !== 'dir') this.refuse(name, 'must be a directory');
    if (area === 'templates' && type !== 'dir' && type !== 'file') this.refuse(name, 'is not a regular file or directory (templates are read on the host)');

    // Parents: directories, never through a symlink or a file.
    const destParts = dest.split('/');
    const implicitDirs: string[] = [];
    for (let i = 1; i < destParts.length; i++) {
      const anc = destParts.slice(0, i).join('/');
      const k = this.seen.get(anc);
      if (k === undefined) {
        this.seen.set(anc, 'dir');
        implicitDirs.push(anc);
      } else if (k === 'symlink') {
        this.refuse(name, `goes through the symlink ${q(this.archiveName(anc))}`);
      } else if (k !== 'dir') {
        this.refuse(name, `goes through ${q(this.archiveName(anc))}, which is not a directory`);
      }
    }

    const placement: Placement = { dest, type, implicitDirs };
    switch (type) {
      case 'file':
        if (e.size > this.limits.maxBytes - this.budget.bytes) {
          this.refuse(name, `makes the image larger than the limit of ${this.limits.maxBytes} bytes unpacked`);
        }
        this.budget.bytes += e.size;
        break;
      case 'symlink': {
        if (!inRootfs) this.refuse(name, 'is a symlink outside rootfs/');
        const t = e.linkname;
        if (t === '') this.refuse(name, 'is a symlink with an empty target');
        if (t.includes('\0')) this.refuse(name, 'is a symlink whose target has a NUL byte');
        if (Buffer.byteLength(t) > 4095) this.refuse(name, 'is a symlink whose target is longer than 4095 bytes');
        if (!t.startsWith('/')) {
          // Resolve lexically from the link's folder, inside rootfs/.
          const stack = destParts.slice(1, -1);
          for (const c of t.split('/')) {
            if (c === '' || c === '.') continue;
            if (c === '..') {
              if (stack.length === 0) this.refuse(name, `is a symlink whose target ${q(t)} escapes the root`);
              stack.pop();
            } else stack.push(c);
          }
        }
        break;
      }
      case 'hardlink': {
        if (!inRootfs) this.refuse(name, 'is a hard link outside rootfs/');
        const tp = normalizeArchivePath(e.linkname);
        if (typeof tp === 'string') this.refuse(name, `is a hard link whose target ${q(e.linkname)} ${tp}`);
        const td = this.part === 'rootfs' ? ['rootfs', ...tp].join('/') : tp.join('/');
        if (!td.startsWith('rootfs/')) this.refuse(name, `is a hard link to ${q(e.linkname)}, outside rootfs/`);
        const tk = this.seen.get(td);
        if (tk === undefined) this.refuse(name, `is a hard link to ${q(e.linkname)}, which is not an earlier entry of the archive`);
        if (tk !== 'file') this.refuse(name, `is a hard link to ${q(e.linkname)}, which is not a regular file`);
        if (td === dest) this.refuse(name, 'is a hard link to itself');
        placement.linkDest = td;
        break;
      }
      case 'char':
      case 'block':
        if (!this.limits.allowDevices) this.refuse(name, `is a device node (${type} ${e.devmajor}:${e.devminor}), not allowed in an image for unprivileged containers`);
        if (!inRootfs) this.refuse(name, 'is a device node outside rootfs/');
        break;
      case 'fifo':
        if (!inRootfs) this.refuse(name, 'is a fifo outside rootfs/');
        break;
      case 'dir':
        break;
    }

    const prev = this.seen.get(dest);
    if (prev !== undefined) {
      if (prev === 'dir' && type === 'dir') {
        placement.repeated = true;
        return placement;
      }
      this.refuse(name, prev === 'dir' ? 'replaces a directory' : 'appears twice in the archive');
    }
    this.seen.set(dest, kindOf(type));
    return placement;
  }

  private archiveName(dest: string): string {
    return this.part === 'rootfs' ? dest.replace(/^rootfs\/?/, '') : dest;
  }

  /** Checks what must be there once the archive ended. */
  finish(): void {
    if (this.part !== 'rootfs' && this.seen.get('metadata.yaml') !== 'file') {
      throw new InvalidArgumentError(LABEL, `the ${this.part === 'unified' ? 'image tarball' : 'metadata tarball'} has no metadata.yaml`);
    }
    if (this.part === 'unified' && this.seen.get('rootfs') !== 'dir') {
      throw new InvalidArgumentError(LABEL, 'the image tarball has no rootfs/ (VM images and metadata-only tarballs are not container images)');
    }
  }

  /** Regular files placed under templates/ (dest paths). */
  templateFiles(): Set<string> {
    const out = new Set<string>();
    for (const [d, k] of this.seen) if (k === 'file' && d.startsWith('templates/')) out.add(d.slice('templates/'.length));
    return out;
  }
}

export interface ArchiveContext {
  limits: UnpackLimits;
  budget: Budget;
}

export interface ScanResult {
  metadataYaml?: Buffer;
  templateFiles: Set<string>;
}

async function walk(
  file: string,
  compression: Compression,
  part: ArchivePart,
  ctx: ArchiveContext,
  onEntry: (p: Placement | null, e: TarEntry, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<ArchiveValidator> {
  const v = new ArchiveValidator(part, ctx.limits, ctx.budget);
  const label = part === 'unified' ? LABEL : `${LABEL} (${part} tarball)`;
  for await (const { entry, body } of readTar(openDecompressed(file, compression, label), { label })) {
    await onEntry(v.check(entry), entry, body);
  }
  v.finish();
  return v;
}

/** Reads a whole tarball, checking every entry, writing nothing. Returns metadata.yaml's bytes. */
export async function scanArchive(file: string, compression: Compression, part: ArchivePart, ctx: ArchiveContext): Promise<ScanResult> {
  const result: ScanResult = { templateFiles: new Set() };
  const v = await walk(file, compression, part, ctx, async (p, e, body) => {
    if (p?.dest !== 'metadata.yaml') return;
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    result.metadataYaml = Buffer.concat(chunks);
    void e;
  });
  result.templateFiles = v.templateFiles();
  return result;
}

interface DirAttrs { mode: number; uid: number; gid: number; mtime: number }

export interface ExtractOptions {
  /** chown entries to the archive's uid/gid (default: when running as root). */
  preserveOwnership?: boolean;
}

/**
 * Extracts a tarball into `root` (an empty folder the caller made and removes on failure),
 * checking every entry again as it goes.
 */
export async function extractArchive(
  file: string,
  compression: Compression,
  part: ArchivePart,
  root: string,
  ctx: ArchiveContext,
  opts: ExtractOptions = {},
): Promise<void> {
  const chown = opts.preserveOwnership ?? process.getuid?.() === 0;
  const dirs = new Map<string, DirAttrs>();
  const abs = (dest: string): string => path.join(root, ...dest.split('/'));
  const mtimeOf = (e: TarEntry): Date => new Date(Math.max(0, e.mtime) * 1000);
  await walk(file, compression, part, ctx, async (p, e, body) => {
    if (p === null) return;
    for (const d of p.implicitDirs) {
      await fsp.mkdir(abs(d), { mode: 0o755 });
    }
    const target = abs(p.dest);
    switch (p.type) {
      case 'dir':
        if (!p.repeated) await fsp.mkdir(target, { mode: 0o700 });
        dirs.set(p.dest, { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
        break;
      case 'file': {
        const fh = await fsp.open(target, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600);
        try {
          for await (const c of body) {
            let off = 0;
            while (off < c.length) off += (await fh.write(c, off, c.length - off)).bytesWritten;
          }
          if (chown) await fh.chown(e.uid, e.gid);
          await fh.chmod(e.mode); // after chown, which clears setuid/setgid
          await fh.utimes(mtimeOf(e), mtimeOf(e));
        } finally {
          await fh.close();
        }
        break;
      }
      case 'hardlink':
        await fsp.link(abs(p.linkDest!), target);
        break;
      case 'symlink':
        await fsp.symlink(e.linkname, target);
        if (chown) await fsp.lchown(target, e.uid, e.gid);
        await fsp.lutimes(target, mtimeOf(e), mtimeOf(e));
        break;
      case 'char':
      case 'block':
      case 'fifo': {
        const args = p.type === 'fifo' ? ['-m', '600', target, 'p'] : ['-m', '600', target, p.type === 'char' ? 'c' : 'b', String(e.devmajor), String(e.devminor)];
        const r = await runTool('mknod', args);
        if (r.code !== 0) throw new InternalError(`mknod ${p.dest}: ${r.error ?? r.stderr.trim()}`);
        if (chown) await fsp.lchown(target, e.uid, e.gid);
        await fsp.chmod(target, e.mode);
        await fsp.lutimes(target, mtimeOf(e), mtimeOf(e));
        break;
      }
    }
  });
  // Directories last, deepest first: their modes may forbid writing into them, and
  // writing into them changed their mtimes.
  const order = [...dirs.keys()].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const d of order) {
    const a = dirs.get(d)!;
    const t = abs(d);
    if (chown) await fsp.lchown(t, a.uid, a.gid);
    await fsp.chmod(t, a.mode);
    const m = new Date(Math.max(0, a.mtime) * 1000);
    await fsp.utimes(t, m, m);
  }
}
