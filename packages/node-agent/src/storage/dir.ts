import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import type { HostCapabilities } from '../capabilities';
import { AlreadyExistsError } from '../errors';
import { toolEnv } from '../host/paths';
import { StorageDriverBase, withRevert } from './base';
import { checkConfigKeys, exists, LONG_TOOL_MS, mustRun, readPoolRecord, refuseExistingPool, writePoolRecord } from './common';
import type { PoolConfig, PoolRef, StorageDriverInfo, StreamFormat } from './types';

/**
 * The dir driver: a pool is a folder, a volume a folder in it. Image -> instance and
 * snapshots are full copies (`cp -a --reflink=auto`: owners, modes, times, xattrs, ACLs,
 * symlinks, device nodes and hard links are kept; extents are shared where the filesystem
 * can reflink, e.g. XFS or btrfs under the folder). No quotas. Streams are tar.
 */
export class DirDriver extends StorageDriverBase {
  readonly name = 'dir';
  protected readonly importFormats: readonly StreamFormat[] = ['tar'];
  protected readonly nativeFormat: StreamFormat = 'tar';

  /** `caps` is accepted like every driver's; dir needs nothing the capability report covers. */
  constructor(pool: PoolRef, _opts: { caps?: HostCapabilities } = {}) {
    super(pool);
  }

  info(): StorageDriverInfo {
    return dirInfo();
  }

  async createPool(cfg: PoolConfig = {}): Promise<void> {
    checkConfigKeys(cfg, []);
    await refuseExistingPool(this.layout);
    await withRevert(async (revert) => {
      if (await exists(this.layout.root)) {
        if ((await fs.readdir(this.layout.root)).length > 0) throw new AlreadyExistsError(`${this.layout.root} exists and is not empty`);
      } else {
        await fs.mkdir(this.layout.root, { recursive: true, mode: 0o711 });
      }
      revert.add(() => fs.rm(this.layout.root, { recursive: true, force: true }));
      await this.makeFolders();
      await writePoolRecord(this.layout, { driver: this.name, config: { ...cfg }, createdAtUnixMs: Date.now() });
    });
  }

  async activate(): Promise<void> {
    await readPoolRecord(this.layout);
    await this.makeFolders();
    await this.clearStaging();
  }

  async deactivate(): Promise<void> {
    await readPoolRecord(this.layout);
  }

  async deletePool(): Promise<void> {
    await readPoolRecord(this.layout);
    await fs.rm(this.layout.root, { recursive: true, force: true });
    await fs.rm(this.layout.record, { force: true });
  }

  protected async makeEmpty(p: string): Promise<void> {
    await fs.mkdir(p, { mode: 0o755 });
  }

  protected async clone(src: string, dst: string, _readOnly: boolean): Promise<void> {
    const tmp = this.layout.temp('copy');
    try {
      await mustRun('cp', ['-a', '--reflink=auto', '--no-target-directory', src, tmp], { timeoutMs: LONG_TOOL_MS });
      await fs.rename(tmp, dst);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  protected async remove(p: string): Promise<void> {
    await fs.rm(p, { recursive: true, force: true });
  }

  protected async purge(p: string): Promise<void> {
    await fs.rm(p, { recursive: true, force: true });
  }

  protected async makeReadOnly(_p: string): Promise<void> {
    // Snapshots of a dir pool are plain copies; nothing enforces read-only on a folder tree.
  }

  protected async orderSnapshots(vol: string, names: string[]): Promise<string[]> {
    // A snapshot's folder is made by the copy, so its birth time is when it was taken
    // (cp -a keeps mtime, not birth time). Same birth time (coarse clocks): by name.
    const born = await Promise.all(names.map(async (n) => (await fs.stat(this.layout.snapshot(vol, n), { bigint: true })).birthtimeNs));
    return names.map((n, i) => ({ n, t: born[i]! })).sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.n.localeCompare(b.n))).map((x) => x.n);
  }
}

let dirInfoCache: StorageDriverInfo | undefined;

/** dir needs cp (coreutils) and tar (GNU, for the stream form). */
export function dirInfo(): StorageDriverInfo {
  if (dirInfoCache) return dirInfoCache;
  const env = toolEnv();
  const tar = spawnSync('tar', ['--version'], { encoding: 'utf8', env, timeout: 5000 });
  const cp = spawnSync('cp', ['--version'], { encoding: 'utf8', env, timeout: 5000 });
  const firstLine = (s: string | null): string => (s ?? '').split('\n')[0] ?? '';
  if (cp.status !== 0) dirInfoCache = { usable: false, reason: 'cp (coreutils) not found', version: '' };
  else if (tar.status !== 0 || !/GNU tar/.test(tar.stdout)) dirInfoCache = { usable: false, reason: 'GNU tar not found (needed for the stream form of volumes)', version: '' };
  else dirInfoCache = { usable: true, reason: `${firstLine(cp.stdout)}; ${firstLine(tar.stdout)}`, version: '1' };
  return dirInfoCache;
}
