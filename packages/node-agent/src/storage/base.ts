import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from '../errors';
import { Reverter } from '../reverter';
import {
  checkFingerprint, checkName, checkSnapshotName, diskUsage, exists, isFingerprint, isName, isSnapshotName,
  listNames, mustExist, mustNotExist, PoolLayout, readPoolRecord, splitSnapshotRef,
} from './common';
import {
  decodeVolumeStream, encodeVolumeStream, TAR_CREATE, TAR_EXTRACT, toolSink, toolSource,
  type SectionMeta, type SectionSink, type SectionSource, type StreamHeader,
} from './stream';
import type {
  ExportOptions, PoolConfig, PoolRef, StorageDriver, StorageDriverInfo, StreamFormat, VolumeSource, VolumeUsage,
} from './types';

/**
 * Runs a multi-step change with a Reverter: on failure every registered undo runs, and the
 * original error is what the caller sees (undo failures are appended to its message).
 */
export async function withRevert<T>(fn: (revert: Reverter) => Promise<T>): Promise<T> {
  const revert = new Reverter();
  try {
    const v = await fn(revert);
    revert.success();
    return v;
  } catch (e) {
    try {
      await revert.fail();
    } catch (undo) {
      if (e instanceof Error) e.message += ` (and undoing it failed: ${undo instanceof Error ? undo.message : String(undo)})`;
    }
    throw e;
  }
}

/** A section of an import, where its payload went. */
export interface ImportedSection {
  meta: SectionMeta;
  path: string;
}

/**
 * What dir and btrfs share: names, checks, the layout, the order of steps and their undo.
 * A driver supplies the primitives on whole trees (make empty, clone, remove, read-only)
 * and whatever it does differently (pool lifecycle, usage, quotas, its stream format).
 */
export abstract class StorageDriverBase implements StorageDriver {
  abstract readonly name: string;
  readonly layout: PoolLayout;
  constructor(readonly pool: PoolRef) {
    this.layout = new PoolLayout(pool);
  }

  abstract info(): StorageDriverInfo;
  abstract createPool(cfg?: PoolConfig): Promise<void>;
  abstract activate(): Promise<void>;
  abstract deactivate(): Promise<void>;
  abstract deletePool(): Promise<void>;

  // ---- primitives -------------------------------------------------------------------------
  /** An empty volume at `p` (a folder or a subvolume). */
  protected abstract makeEmpty(p: string): Promise<void>;
  /** A copy of `src` at `dst` (not existing yet), appearing there whole or not at all. */
  protected abstract clone(src: string, dst: string, readOnly: boolean): Promise<void>;
  /** Removes a volume or snapshot at `p`, whatever it holds. Missing is fine. */
  protected abstract remove(p: string): Promise<void>;
  /** Removes a work folder that may hold volumes (the staging area). */
  protected abstract purge(p: string): Promise<void>;
  protected abstract makeReadOnly(p: string): Promise<void>;
  /** Snapshot names of a volume, oldest first. */
  protected abstract orderSnapshots(vol: string, names: string[]): Promise<string[]>;
  /** The stream formats import understands, and the one export writes by default. */
  protected abstract readonly importFormats: readonly StreamFormat[];
  protected abstract readonly nativeFormat: StreamFormat;

  async poolConfig(): Promise<PoolConfig> {
    return (await readPoolRecord(this.layout)).config;
  }

  /** Refuses work on a pool that was not made or is not up. */
  protected async ready(): Promise<void> {
    await readPoolRecord(this.layout);
    if (!(await exists(this.layout.volumes))) throw new FailedPreconditionError(`storage pool ${this.pool.name} is not active (no ${this.layout.volumes}); activate() it`);
  }

  protected async makeFolders(): Promise<void> {
    for (const d of [this.layout.images, this.layout.volumes, this.layout.snapshots, this.layout.staging]) {
      await fs.mkdir(d, { recursive: true, mode: 0o711 });
    }
  }

  /** Removes what a crash left in the staging area. */
  protected async clearStaging(): Promise<void> {
    for (const n of await listNames(this.layout.staging, () => true)) await this.purge(path.join(this.layout.staging, n));
  }

  protected async existingVolume(vol: string, field = 'volume'): Promise<string> {
    checkName(field, vol);
    await this.ready();
    const p = this.layout.volume(vol);
    await mustExist(p, `volume ${vol} in pool ${this.pool.name}`);
    return p;
  }

  protected async existingSnapshot(vol: string, snap: string): Promise<string> {
    await this.existingVolume(vol);
    checkSnapshotName('snapshot', snap);
    const p = this.layout.snapshot(vol, snap);
    await mustExist(p, `snapshot ${vol}/${snap} in pool ${this.pool.name}`);
    return p;
  }

  // ---- images -----------------------------------------------------------------------------
  async createImage(fingerprint: string, fill: (dir: string) => Promise<void>): Promise<string> {
    checkFingerprint('fingerprint', fingerprint);
    await this.ready();
    const dst = this.layout.image(fingerprint);
    await mustNotExist(dst, `image ${fingerprint} in pool ${this.pool.name}`);
    return withRevert(async (revert) => {
      const tmp = this.layout.temp('image');
      await this.makeEmpty(tmp);
      revert.add(() => this.remove(tmp));
      await fill(tmp);
      await mustNotExist(dst, `image ${fingerprint} in pool ${this.pool.name}`);
      // A read-only subvolume cannot change folder (its ".." would change): rename, then seal.
      await fs.rename(tmp, dst);
      revert.add(() => this.remove(dst));
      await this.makeReadOnly(dst);
      return dst;
    });
  }

  async deleteImage(fingerprint: string): Promise<void> {
    checkFingerprint('fingerprint', fingerprint);
    await this.ready();
    const p = this.layout.image(fingerprint);
    await mustExist(p, `image ${fingerprint} in pool ${this.pool.name}`);
    await this.trash(p);
  }

  async listImages(): Promise<string[]> {
    await this.ready();
    return listNames(this.layout.images, isFingerprint);
  }

  // ---- volumes ----------------------------------------------------------------------------
  async createVolume(vol: string, from?: VolumeSource): Promise<string> {
    checkName('volume', vol);
    await this.ready();
    const dst = this.layout.volume(vol);
    let src: string | undefined;
    let copySnapshots: string | undefined;
    if (from === undefined) {
      // empty
    } else if ('image' in from) {
      checkFingerprint('from.image', from.image);
      src = this.layout.image(from.image);
      await mustExist(src, `image ${from.image} in pool ${this.pool.name}`);
    } else if ('volume' in from) {
      src = await this.existingVolume(from.volume, 'from.volume');
      if (from.snapshots) copySnapshots = from.volume;
    } else if ('snapshot' in from) {
      const [v, s] = splitSnapshotRef('from.snapshot', from.snapshot);
      src = await this.existingSnapshot(v, s);
    } else {
      throw new InvalidArgumentError('from', 'must name an image, a volume or a snapshot');
    }
    await mustNotExist(dst, `volume ${vol} in pool ${this.pool.name}`);
    await mustNotExist(this.layout.snapshotDir(vol), `snapshots of volume ${vol} (left from an earlier volume) in pool ${this.pool.name}`);
    return withRevert(async (revert) => {
      if (src === undefined) await this.makeEmpty(dst);
      else await this.clone(src, dst, false);
      revert.add(() => this.remove(dst));
      if (copySnapshots !== undefined) {
        const snaps = await this.listSnapshots(copySnapshots);
        if (snaps.length > 0) {
          await fs.mkdir(this.layout.snapshotDir(vol), { mode: 0o711 });
          revert.add(() => fs.rm(this.layout.snapshotDir(vol), { recursive: true, force: true }));
          for (const s of snaps) {
            const to = this.layout.snapshot(vol, s);
            await this.clone(this.layout.snapshot(copySnapshots, s), to, true);
            revert.add(() => this.remove(to));
          }
        }
      }
      return dst;
    });
  }

  async deleteVolume(vol: string): Promise<void> {
    const p = await this.existingVolume(vol);
    const snaps = this.layout.snapshotDir(vol);
    // Out of sight first, one rename each, so a failure half-way leaves no half volume.
    const trash = this.layout.temp('delete');
    await withRevert(async (revert) => {
      await fs.mkdir(trash);
      revert.add(() => fs.rmdir(trash));
      if (await exists(snaps)) {
        await fs.rename(snaps, path.join(trash, 'snapshots'));
        revert.add(() => fs.rename(path.join(trash, 'snapshots'), snaps));
      }
      await fs.rename(p, path.join(trash, 'volume'));
    });
    await this.purge(trash);
  }

  async renameVolume(from: string, to: string): Promise<void> {
    const src = await this.existingVolume(from, 'from');
    checkName('to', to);
    const dst = this.layout.volume(to);
    await mustNotExist(dst, `volume ${to} in pool ${this.pool.name}`);
    await mustNotExist(this.layout.snapshotDir(to), `snapshots of volume ${to} in pool ${this.pool.name}`);
    await withRevert(async (revert) => {
      await fs.rename(src, dst);
      revert.add(() => fs.rename(dst, src));
      if (await exists(this.layout.snapshotDir(from))) {
        await fs.rename(this.layout.snapshotDir(from), this.layout.snapshotDir(to));
        revert.add(() => fs.rename(this.layout.snapshotDir(to), this.layout.snapshotDir(from)));
      }
    });
  }

  async listVolumes(): Promise<string[]> {
    await this.ready();
    return listNames(this.layout.volumes, isName);
  }

  async volumePath(vol: string): Promise<string> {
    return this.existingVolume(vol);
  }

  // ---- snapshots --------------------------------------------------------------------------
  async snapshot(vol: string, snap: string): Promise<void> {
    const src = await this.existingVolume(vol);
    checkSnapshotName('snapshot', snap);
    const dst = this.layout.snapshot(vol, snap);
    await mustNotExist(dst, `snapshot ${vol}/${snap} in pool ${this.pool.name}`);
    await withRevert(async (revert) => {
      const dir = this.layout.snapshotDir(vol);
      if (!(await exists(dir))) {
        await fs.mkdir(dir, { mode: 0o711 });
        revert.add(() => fs.rmdir(dir));
      }
      await this.clone(src, dst, true);
    });
  }

  async restore(vol: string, snap: string): Promise<void> {
    const snapPath = await this.existingSnapshot(vol, snap);
    const volPath = this.layout.volume(vol);
    const old = this.layout.temp('restore-old');
    await withRevert(async (revert) => {
      const fresh = this.layout.temp('restore-new');
      await this.clone(snapPath, fresh, false);
      revert.add(() => this.remove(fresh));
      const keep = await this.keepAcrossReplace(volPath);
      await fs.rename(volPath, old);
      revert.add(() => fs.rename(old, volPath));
      await fs.rename(fresh, volPath);
      revert.add(() => fs.rename(volPath, fresh));
      await keep(volPath);
    });
    // The restore is done; if removing the old content fails, activate() clears it later.
    await this.remove(old).catch(() => undefined);
  }

  /**
   * What a volume carries that its content does not (btrfs: its quota), read before the
   * volume is replaced by a new copy and applied to the copy.
   */
  protected async keepAcrossReplace(_volPath: string): Promise<(newPath: string) => Promise<void>> {
    return async () => undefined;
  }

  async deleteSnapshot(vol: string, snap: string): Promise<void> {
    const p = await this.existingSnapshot(vol, snap);
    await this.remove(p);
    const dir = this.layout.snapshotDir(vol);
    if ((await listNames(dir, () => true)).length === 0) await fs.rmdir(dir).catch(() => undefined);
  }

  async listSnapshots(vol: string): Promise<string[]> {
    await this.existingVolume(vol);
    const names = await listNames(this.layout.snapshotDir(vol), isSnapshotName);
    return names.length > 1 ? this.orderSnapshots(vol, names) : names;
  }

  // ---- usage and quotas -------------------------------------------------------------------
  async usage(vol: string): Promise<VolumeUsage> {
    return { bytes: await diskUsage(await this.existingVolume(vol)) };
  }

  async setQuota(vol: string, bytes: number): Promise<void> {
    await this.existingVolume(vol);
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('bytes', 'must be a whole number of bytes, 0 for no limit');
    throw new NotSupportedError('storage.quota', `the ${this.name} driver has no quotas (pool ${this.pool.name}); use a btrfs pool with btrfs.quotas=true`);
  }

  // ---- stream form ------------------------------------------------------------------------
  streamFormats(): { import: readonly StreamFormat[]; native: StreamFormat } {
    return { import: this.importFormats, native: this.nativeFormat };
  }

  export(vol: string, opts: ExportOptions = {}): Readable {
    const format = opts.format ?? this.nativeFormat;
    return Readable.from(this.exportFrames(vol, format, opts.volumeOnly === true));
  }

  private async *exportFrames(vol: string, format: StreamFormat, volumeOnly: boolean): AsyncGenerator<Buffer> {
    const volPath = await this.existingVolume(vol);
    if (format !== 'tar' && format !== this.nativeFormat) throw new NotSupportedError(`storage.stream.${format}`, `the ${this.name} driver cannot write ${format} streams`);
    const snapshots = volumeOnly ? [] : await this.listSnapshots(vol);
    const header: StreamHeader = { format, driver: this.name, volume: vol, snapshots };
    const cleanups: (() => Promise<void>)[] = [];
    const children: SectionSource[] = [];
    const self = this;
    async function* sections(): AsyncGenerator<SectionSource> {
      let parent: string | undefined;
      for (const s of snapshots) {
        const src = self.exportSection({ kind: 'snapshot', name: s }, self.layout.snapshot(vol, s), parent, format);
        children.push(src);
        yield src;
        parent = self.layout.snapshot(vol, s);
      }
      const { path: p, cleanup } = await self.exportPoint(volPath, format);
      cleanups.push(cleanup);
      const src = self.exportSection({ kind: 'volume', name: vol }, p, parent, format);
      children.push(src);
      yield src;
    }
    try {
      yield* encodeVolumeStream(header, sections());
    } finally {
      for (const c of children) (c as { child?: { kill(s: string): void } }).child?.kill('SIGKILL');
      for (const c of cleanups) await c().catch(() => undefined);
    }
  }

  /** The tree to send for the live volume (btrfs: a read-only snapshot of it, removed after). */
  protected async exportPoint(volPath: string, _format: StreamFormat): Promise<{ path: string; cleanup: () => Promise<void> }> {
    return { path: volPath, cleanup: async () => undefined };
  }

  protected exportSection(meta: SectionMeta, p: string, _parentPath: string | undefined, _format: StreamFormat): SectionSource {
    return toolSource(meta, 'tar', [...TAR_CREATE, p, '.']);
  }

  async import(vol: string, stream: Readable): Promise<void> {
    checkName('volume', vol);
    await this.ready();
    const dst = this.layout.volume(vol);
    const snapDir = this.layout.snapshotDir(vol);
    await mustNotExist(dst, `volume ${vol} in pool ${this.pool.name}`);
    await mustNotExist(snapDir, `snapshots of volume ${vol} in pool ${this.pool.name}`);
    const work = this.layout.temp('import');
    const placed: ImportedSection[] = [];
    try {
      await fs.mkdir(work);
      let header: StreamHeader | undefined;
      await decodeVolumeStream(stream, (h) => {
        if (!this.importFormats.includes(h.format)) {
          throw new NotSupportedError(h.format === 'btrfs' ? 'btrfs' : `storage.stream.${h.format}`, `a ${h.format} stream cannot be imported into a ${this.name} pool (export it with format "tar")`);
        }
        const seen = new Set<string>();
        for (const s of h.snapshots) {
          checkSnapshotName('stream.snapshots', s);
          if (seen.has(s)) throw new InvalidArgumentError('stream', `corrupt (snapshot ${s} twice)`);
          seen.add(s);
        }
        header = h;
      }, async (meta, index): Promise<SectionSink> => {
        const h = header!;
        const expected = index < h.snapshots.length ? { kind: 'snapshot', name: h.snapshots[index] } : index === h.snapshots.length ? { kind: 'volume' } : undefined;
        if (!expected || meta.kind !== expected.kind || (expected.name !== undefined && meta.name !== expected.name)) {
          throw new InvalidArgumentError('stream', `corrupt (section ${index} is ${meta.kind} ${meta.name}, not what the header lists)`);
        }
        const dir = path.join(work, String(index));
        const { sink, path: p } = await this.importSection(meta, h.format, dir);
        placed.push({ meta, path: p });
        return sink;
      });
      if (placed.length !== (header?.snapshots.length ?? 0) + 1) throw new InvalidArgumentError('stream', 'corrupt (no volume section)');
      await withRevert(async (revert) => {
        const volume = placed[placed.length - 1]!;
        await this.placeImported(volume, dst);
        revert.add(() => this.remove(dst));
        if (placed.length > 1) {
          await fs.mkdir(snapDir, { mode: 0o711 });
          revert.add(() => fs.rm(snapDir, { recursive: true, force: true }));
          for (const s of placed.slice(0, -1)) {
            const to = this.layout.snapshot(vol, s.meta.name);
            await this.placeImported(s, to);
            revert.add(() => this.remove(to));
          }
        }
      });
    } finally {
      await this.purge(work);
    }
  }

  /** Where a section's payload goes: tar into a fresh empty volume. */
  protected async importSection(_meta: SectionMeta, format: StreamFormat, dir: string): Promise<{ sink: SectionSink; path: string }> {
    if (format !== 'tar') throw new NotSupportedError(`storage.stream.${format}`, `the ${this.name} driver cannot read ${format} streams`);
    await this.makeEmpty(dir);
    return { sink: toolSink('tar', [...TAR_EXTRACT, dir]), path: dir };
  }

  /** Moves an imported section to where it belongs (a snapshot is sealed read-only there). */
  protected async placeImported(s: ImportedSection, dst: string): Promise<void> {
    await fs.rename(s.path, dst);
    if (s.meta.kind === 'snapshot') await this.makeReadOnly(dst);
  }

  /**
   * Removes a volume so that it disappears at once: moved into the staging area, then removed
   * (btrfs overrides: deleting a subvolume is already one step, and a read-only one cannot move).
   */
  protected async trash(p: string): Promise<void> {
    const t = this.layout.temp('delete');
    await fs.rename(p, t);
    await this.purge(t);
  }
}
