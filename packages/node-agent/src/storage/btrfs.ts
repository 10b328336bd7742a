import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { HostCapabilities } from '../capabilities';
import { AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError, NotSupportedError } from '../errors';
import { toolEnv } from '../host/paths';
import { runTool } from '../host/run';
import { StorageDriverBase, withRevert, type ImportedSection } from './base';
import {
  checkConfigKeys, exists, LONG_TOOL_MS, lstatIfExists, mountAt, mustRun, parseSize, readPoolRecord, refuseExistingPool,
  writePoolRecord, type PoolRecord,
} from './common';
import { toolSink, toolSource, type SectionMeta, type SectionSink, type SectionSource } from './stream';
import type { PoolConfig, PoolRef, StorageDriverInfo, StreamFormat, VolumeUsage } from './types';

const BTRFS_SUPER_MAGIC = 0x9123683e;
/** The root folder of every btrfs subvolume has this inode number. */
const SUBVOLUME_ROOT_INO = 256;
const MIN_LOOP_SIZE = 128 * 2 ** 20;
const DEFAULT_LOOP_SIZE = '5GiB';
const DEFAULT_MOUNT_OPTIONS = 'user_subvol_rm_allowed';
const KEYS = ['size', 'source', 'btrfs.mount_options', 'btrfs.quotas'] as const;

/**
 * The btrfs driver: a pool is a btrfs filesystem, on a loop file berth makes
 * (<dataDir>/disks/<pool>.img, sparse, mounted at the pool's path) or an existing btrfs
 * mount (`source`, bind-mounted at the pool's path). Every volume, image and snapshot is a
 * subvolume: image -> instance and snapshots are subvolume snapshots (instant, sharing
 * extents), snapshots are read-only. Quotas are qgroup limits (`btrfs.quotas=true`).
 * Streams are `btrfs send` (snapshots after the first as increments) or tar.
 */
export class BtrfsDriver extends StorageDriverBase {
  readonly name = 'btrfs';
  protected readonly importFormats: readonly StreamFormat[] = ['btrfs', 'tar'];
  protected readonly nativeFormat: StreamFormat = 'btrfs';
  /** Import sections that `btrfs receive` wrote (into a folder, under the sender's name). */
  private readonly received = new Set<string>();

  constructor(pool: PoolRef, private readonly opts: { caps?: HostCapabilities } = {}) {
    super(pool);
  }

  info(): StorageDriverInfo {
    return btrfsInfo(this.opts.caps);
  }

  private refuseUnusable(): void {
    const i = this.info();
    if (!i.usable) throw new NotSupportedError('btrfs', i.reason);
  }

  // ---- pool lifecycle ---------------------------------------------------------------------
  async createPool(cfg: PoolConfig = {}): Promise<void> {
    checkConfigKeys(cfg, KEYS);
    this.refuseUnusable();
    if (cfg['size'] !== undefined && cfg['source'] !== undefined) throw new InvalidArgumentError('config.source', 'size and source exclude each other (size makes a loop file, source uses an existing btrfs mount)');
    const quotas = parseBool('config.btrfs.quotas', cfg['btrfs.quotas'] ?? 'false');
    const mountOptions = cfg['btrfs.mount_options'] ?? DEFAULT_MOUNT_OPTIONS;
    if (!/^[A-Za-z0-9_=,.:-]*$/.test(mountOptions)) throw new InvalidArgumentError('config.btrfs.mount_options', `${JSON.stringify(mountOptions)} has characters mount options do not`);
    await refuseExistingPool(this.layout);
    const root = this.layout.root;
    await withRevert(async (revert) => {
      if (await exists(root)) {
        if ((await fs.readdir(root)).length > 0 || (await mountAt(root))) throw new AlreadyExistsError(`${root} exists and is not empty or is mounted`);
      } else {
        await fs.mkdir(root, { recursive: true, mode: 0o711 });
        revert.add(() => fs.rmdir(root));
      }
      let rec: PoolRecord;
      if (cfg['source'] !== undefined) {
        const source = cfg['source'];
        if (!path.isAbsolute(source)) throw new InvalidArgumentError('config.source', 'must be an absolute path');
        if (await exists(source)) {
          if (!(await isBtrfs(source))) throw new InvalidArgumentError('config.source', `${source} is not on a btrfs filesystem`);
          if ((await fs.readdir(source)).length > 0) throw new InvalidArgumentError('config.source', `${source} is not empty`);
        } else {
          // LXD's way: a folder that does not exist yet becomes a subvolume of the btrfs below it.
          if (!(await isBtrfs(path.dirname(source)))) throw new InvalidArgumentError('config.source', `${path.dirname(source)} is not on a btrfs filesystem`);
          await mustRun('btrfs', ['subvolume', 'create', source]);
          revert.add(() => this.remove(source));
        }
        await mustRun('mount', ['--bind', source, root]);
        revert.add(() => umount(root));
        rec = { driver: this.name, kind: 'source', config: { ...cfg }, createdAtUnixMs: Date.now() };
      } else {
        const size = parseSize('config.size', cfg['size'] ?? DEFAULT_LOOP_SIZE);
        if (size < MIN_LOOP_SIZE) throw new InvalidArgumentError('config.size', `at least 128MiB (btrfs needs room for its metadata), not ${cfg['size']}`);
        const disk = this.layout.disk;
        await fs.mkdir(path.dirname(disk), { recursive: true, mode: 0o700 });
        const fh = await fs.open(disk, 'wx', 0o600).catch((e: NodeJS.ErrnoException) => {
          throw e.code === 'EEXIST' ? new AlreadyExistsError(`loop file ${disk} already exists`) : e;
        });
        revert.add(() => fs.rm(disk, { force: true }));
        try {
          await fh.truncate(size); // sparse: blocks are taken as the pool fills
        } finally {
          await fh.close();
        }
        await mustRun('mkfs.btrfs', ['-q', '-L', `berth-${this.pool.name}`.slice(0, 255), disk], { timeoutMs: 120_000 });
        const dev = await attachLoop(disk);
        revert.add(() => detachLoop(dev));
        await mustRun('mount', ['-t', 'btrfs', ...(mountOptions ? ['-o', mountOptions] : []), dev, root], { timeoutMs: 60_000 });
        revert.add(() => umount(root));
        rec = { driver: this.name, kind: 'loop', config: { ...cfg }, createdAtUnixMs: Date.now() };
      }
      if (quotas) {
        await mustRun('btrfs', ['quota', 'enable', root]);
        // Existing data (a source pool) is only counted after a rescan.
        await mustRun('btrfs', ['quota', 'rescan', '-w', root], { timeoutMs: LONG_TOOL_MS });
      }
      await this.makeFolders();
      await writePoolRecord(this.layout, rec);
    });
  }

  async activate(): Promise<void> {
    const rec = await readPoolRecord(this.layout);
    this.refuseUnusable();
    if (!(await mountAt(this.layout.root))) {
      await fs.mkdir(this.layout.root, { recursive: true, mode: 0o711 });
      if (rec.kind === 'source') {
        await mustRun('mount', ['--bind', rec.config['source']!, this.layout.root]);
      } else {
        await withRevert(async (revert) => {
          let dev = await findLoop(this.layout.disk);
          if (!dev) {
            if (!(await exists(this.layout.disk))) throw new NotFoundError(`loop file ${this.layout.disk} of storage pool ${this.pool.name} is missing`);
            dev = await attachLoop(this.layout.disk);
            const d = dev;
            revert.add(() => detachLoop(d));
          }
          const opts = rec.config['btrfs.mount_options'] ?? DEFAULT_MOUNT_OPTIONS;
          await mustRun('mount', ['-t', 'btrfs', ...(opts ? ['-o', opts] : []), dev, this.layout.root], { timeoutMs: 60_000 });
        });
      }
    }
    await this.makeFolders();
    await this.clearStaging();
  }

  async deactivate(): Promise<void> {
    const rec = await readPoolRecord(this.layout);
    if (await mountAt(this.layout.root)) await umount(this.layout.root);
    if (rec.kind !== 'source') {
      const dev = await findLoop(this.layout.disk);
      if (dev) await detachLoop(dev);
    }
  }

  async deletePool(): Promise<void> {
    const rec = await readPoolRecord(this.layout);
    if (rec.kind === 'source') {
      // The filesystem is not ours: remove what berth made in it.
      await this.activate();
      for (const d of [this.layout.snapshots, this.layout.volumes, this.layout.images, this.layout.staging]) await this.purge(d);
    }
    await this.deactivate();
    if (rec.kind === 'source' && (await isSubvolume(rec.config['source']!)) && (await fs.readdir(rec.config['source']!)).length === 0) {
      await this.remove(rec.config['source']!).catch(() => undefined); // made by createPool, or empty anyway
    }
    if (rec.kind !== 'source') await fs.rm(this.layout.disk, { force: true });
    await fs.rmdir(this.layout.root).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    await fs.rm(this.layout.record, { force: true });
  }

  private async quotasOn(): Promise<boolean> {
    const rec = await readPoolRecord(this.layout);
    return rec.config['btrfs.quotas'] === 'true';
  }

  // ---- primitives -------------------------------------------------------------------------
  protected async makeEmpty(p: string): Promise<void> {
    await mustRun('btrfs', ['subvolume', 'create', p]);
  }

  protected async clone(src: string, dst: string, readOnly: boolean): Promise<void> {
    await mustRun('btrfs', ['subvolume', 'snapshot', ...(readOnly ? ['-r'] : []), src, dst]);
  }

  protected async remove(p: string): Promise<void> {
    const st = await lstatIfExists(p);
    if (!st) return;
    if (!st.isDirectory() || st.ino !== SUBVOLUME_ROOT_INO) {
      await this.purge(p);
      return;
    }
    const id = (await this.quotasOn().catch(() => false)) ? await subvolumeId(p).catch(() => undefined) : undefined;
    let r = await runTool('btrfs', ['subvolume', 'delete', p], { timeoutMs: LONG_TOOL_MS });
    if (r.code !== 0 && /not empty/i.test(r.stderr)) {
      // The instance made subvolumes of its own inside its root (allowed to unprivileged users).
      for (const nested of await nestedSubvolumes(p, st.dev)) await this.remove(nested);
      r = await runTool('btrfs', ['subvolume', 'delete', p], { timeoutMs: LONG_TOOL_MS });
    }
    if (r.code !== 0) throw new InternalError(`btrfs subvolume delete ${p}: ${r.stderr.trim() || r.error || `exit ${r.code}`}`);
    // The qgroup of a deleted subvolume stays until destroyed (and still counts its usage).
    if (id !== undefined) await runTool('btrfs', ['qgroup', 'destroy', `0/${id}`, this.layout.root]);
  }

  protected async purge(p: string): Promise<void> {
    const st = await lstatIfExists(p);
    if (!st) return;
    if (st.isDirectory() && st.ino === SUBVOLUME_ROOT_INO) {
      await this.remove(p);
      return;
    }
    // Work folders are shallow: subvolumes sit at most three levels down.
    const walk = async (dir: string, depth: number): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const child = path.join(dir, e.name);
        const cst = await fs.lstat(child);
        if (cst.ino === SUBVOLUME_ROOT_INO) await this.remove(child);
        else if (depth < 3) await walk(child, depth + 1);
      }
    };
    if (st.isDirectory()) await walk(p, 1);
    await fs.rm(p, { recursive: true, force: true });
  }

  protected async makeReadOnly(p: string): Promise<void> {
    await mustRun('btrfs', ['property', 'set', '-ts', p, 'ro', 'true']);
  }

  protected async orderSnapshots(vol: string, names: string[]): Promise<string[]> {
    // Subvolume ids only grow, so they order snapshots by when they were taken (birth times
    // do not: a snapshot's root folder keeps its source's).
    const ids = await Promise.all(names.map((n) => subvolumeId(this.layout.snapshot(vol, n))));
    return names.map((n, i) => ({ n, id: ids[i]! })).sort((a, b) => a.id - b.id).map((x) => x.n);
  }

  protected override async trash(p: string): Promise<void> {
    await this.remove(p);
  }

  // ---- usage and quotas -------------------------------------------------------------------
  override async usage(vol: string): Promise<VolumeUsage> {
    const p = await this.existingVolume(vol);
    if (!(await this.quotasOn())) return super.usage(vol);
    const q = await this.qgroup(p);
    return q.limit ? { bytes: q.referenced, quotaBytes: q.limit } : { bytes: q.referenced };
  }

  override async setQuota(vol: string, bytes: number): Promise<void> {
    const p = await this.existingVolume(vol);
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('bytes', 'must be a whole number of bytes, 0 for no limit');
    if (!(await this.quotasOn())) throw new NotSupportedError('btrfs.quota', `quotas are off on pool ${this.pool.name} (create it with btrfs.quotas=true)`);
    await mustRun('btrfs', ['qgroup', 'limit', bytes === 0 ? 'none' : String(bytes), p]);
  }

  /** The volume's qgroup (0/<subvolume id>): referenced bytes and its limit. */
  private async qgroup(p: string): Promise<{ referenced: number; limit: number }> {
    const id = await subvolumeId(p);
    const r = await mustRun('btrfs', ['qgroup', 'show', '--raw', '-re', '--sync', p]);
    for (const line of r.stdout.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[0] !== `0/${id}`) continue;
      return { referenced: Number(f[1]), limit: f[3] === 'none' ? 0 : Number(f[3]) };
    }
    throw new InternalError(`no qgroup 0/${id} for ${p} in: ${r.stdout.trim().split('\n').slice(0, 4).join(' / ')}`);
  }

  protected override async keepAcrossReplace(volPath: string): Promise<(newPath: string) => Promise<void>> {
    if (!(await this.quotasOn())) return async () => undefined;
    const { limit } = await this.qgroup(volPath);
    return async (newPath) => {
      if (limit) await mustRun('btrfs', ['qgroup', 'limit', String(limit), newPath]);
    };
  }

  // ---- stream form ------------------------------------------------------------------------
  protected override async exportPoint(volPath: string, _format: StreamFormat): Promise<{ path: string; cleanup: () => Promise<void> }> {
    // btrfs send needs a read-only subvolume; it is also a consistent point in time for tar.
    const p = this.layout.temp('export');
    await this.clone(volPath, p, true);
    return { path: p, cleanup: () => this.remove(p) };
  }

  protected override exportSection(meta: SectionMeta, p: string, parentPath: string | undefined, format: StreamFormat): SectionSource {
    if (format !== 'btrfs') return super.exportSection(meta, p, parentPath, format);
    return toolSource(meta, 'btrfs', ['send', '-q', ...(parentPath ? ['-p', parentPath] : []), p]);
  }

  protected override async importSection(meta: SectionMeta, format: StreamFormat, dir: string): Promise<{ sink: SectionSink; path: string }> {
    if (format !== 'btrfs') return super.importSection(meta, format, dir);
    await fs.mkdir(dir);
    this.received.add(dir);
    // -e: stop at the stream's end marker, so bytes after it cannot add anything.
    return { sink: toolSink('btrfs', ['receive', '-e', dir]), path: dir };
  }

  protected override async placeImported(s: ImportedSection, dst: string): Promise<void> {
    if (!this.received.has(s.path)) return super.placeImported(s, dst);
    // What btrfs receive made is read-only and cannot move folders: snapshot it into place.
    const entries = await fs.readdir(s.path);
    if (entries.length !== 1) throw new InvalidArgumentError('stream', `corrupt (section ${s.meta.name} received ${entries.length} subvolumes)`);
    await this.clone(path.join(s.path, entries[0]!), dst, s.meta.kind === 'snapshot');
  }

  override async import(vol: string, stream: import('node:stream').Readable): Promise<void> {
    try {
      await super.import(vol, stream);
    } finally {
      for (const d of [...this.received]) if (d.startsWith(this.layout.staging) && !(await exists(d))) this.received.delete(d);
    }
  }
}

function parseBool(field: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidArgumentError(field, `${JSON.stringify(v)} is not true or false`);
}

async function isBtrfs(p: string): Promise<boolean> {
  return (await fs.statfs(p)).type === BTRFS_SUPER_MAGIC;
}

async function isSubvolume(p: string): Promise<boolean> {
  try {
    const st = await fs.lstat(p);
    return st.isDirectory() && st.ino === SUBVOLUME_ROOT_INO && (await isBtrfs(p));
  } catch {
    return false;
  }
}

async function subvolumeId(p: string): Promise<number> {
  const r = await mustRun('btrfs', ['inspect-internal', 'rootid', p]);
  const id = Number(r.stdout.trim());
  if (!Number.isSafeInteger(id)) throw new InternalError(`btrfs inspect-internal rootid ${p}: ${r.stdout.trim()}`);
  return id;
}

/** Subvolumes inside a subvolume's tree (another st_dev), outermost first. */
async function nestedSubvolumes(root: string, dev: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      const st = await fs.lstat(p);
      if (st.dev !== dev) out.push(p);
      else await walk(p);
    }
  };
  await walk(root);
  return out;
}

async function attachLoop(file: string): Promise<string> {
  const r = await mustRun('losetup', ['--find', '--show', '--nooverlap', file], { timeoutMs: 60_000 });
  const dev = r.stdout.trim();
  if (!dev.startsWith('/dev/')) throw new InternalError(`losetup ${file}: unexpected output ${JSON.stringify(r.stdout)}`);
  return dev;
}

async function detachLoop(dev: string): Promise<void> {
  await mustRun('losetup', ['-d', dev], { timeoutMs: 60_000 });
}

/** The loop device backed by `file`, if one is attached. */
async function findLoop(file: string): Promise<string | undefined> {
  const r = await mustRun('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']);
  for (const line of r.stdout.split('\n')) {
    const [name, ...rest] = line.trim().split(' ');
    const back = rest.join(' ').replace(/\\x20/g, ' ').replace(/ \(deleted\)$/, '');
    if (name && back === file) return name;
  }
  return undefined;
}

async function umount(p: string): Promise<void> {
  const r = await runTool('umount', [p], { timeoutMs: 60_000 });
  if (r.code === 0) return;
  if (!(await mountAt(p))) return;
  throw new InternalError(`umount ${p}: ${r.stderr.trim() || r.error || `exit ${r.code}`}`);
}

const infoCache = new Map<string, StorageDriverInfo>();

/**
 * Whether btrfs pools can be made here: from the capability report when there is one
 * (HostCapabilities.btrfs: the kernel has btrfs and mkfs.btrfs is installed), else a direct
 * probe of /proc/filesystems and the btrfs tool.
 */
export function btrfsInfo(caps?: HostCapabilities): StorageDriverInfo {
  const version = (): string => {
    const r = spawnSync('btrfs', ['--version'], { encoding: 'utf8', env: toolEnv(), timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  if (caps) {
    const key = `caps:${caps.btrfs.supported}:${caps.btrfs.detail}`;
    let i = infoCache.get(key);
    if (!i) {
      i = { usable: caps.btrfs.supported, reason: caps.btrfs.detail, version: caps.btrfs.supported ? version() : '' };
      infoCache.set(key, i);
    }
    return i;
  }
  let i = infoCache.get('probe');
  if (i) return i;
  let inKernel = false;
  try {
    inKernel = readFileSync('/proc/filesystems', 'utf8').split('\n').some((l) => l.split('\t').pop() === 'btrfs');
  } catch { /* no /proc */ }
  const v = version();
  const mkfs = spawnSync('mkfs.btrfs', ['--version'], { encoding: 'utf8', env: toolEnv(), timeout: 5000 });
  if (!inKernel) i = { usable: false, reason: 'btrfs not in /proc/filesystems (module not loaded?)', version: v };
  else if (!v || mkfs.status !== 0) i = { usable: false, reason: 'btrfs-progs not installed (btrfs, mkfs.btrfs)', version: v };
  else i = { usable: true, reason: 'btrfs in /proc/filesystems; btrfs-progs installed', version: v };
  infoCache.set('probe', i);
  return i;
}
