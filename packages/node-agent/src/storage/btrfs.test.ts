import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotSupportedError } from '../errors';
import { runTool } from '../host/run';
import { collect, fingerprintOf, storageConformance } from './conformance';
import { copyFrom, newStorageDriver, openStoragePool } from './index';
import { makeRootfs, makeTestDir, manifest, removeTestDir } from './testkit';
import type { StorageDriver } from './types';

const measured: string[] = [];
afterAll(() => {
  if (measured.length) console.log(`storage measurements (btrfs):\n  ${measured.join('\n  ')}`);
});

// The conformance suite on a 512 MiB loop file the pool makes.
storageConformance({ driver: 'btrfs', poolConfig: { size: '512MiB' }, report: (l) => { measured.push(l); } });

/** Linux's EDQUOT (asm-generic/errno.h). */
const EDQUOT = 122;

/** What only the btrfs driver does: loop files, quotas, read-only snapshots, existing mounts, send streams. */
describe('btrfs driver', () => {
  let dir = '';
  let dataDir = '';
  const pools: StorageDriver[] = [];
  const fp = fingerprintOf('btrfs-only');
  let src = '';

  const make = async (name: string, cfg: Record<string, string>): Promise<StorageDriver> => {
    const d = newStorageDriver('btrfs', { name, dataDir });
    await d.createPool(cfg);
    pools.push(d);
    return d;
  };

  const loopsOf = async (file: string): Promise<string[]> => {
    const r = await runTool('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']);
    return r.stdout.split('\n').filter((l) => l.split(' ')[1] === file).map((l) => l.split(' ')[0]!);
  };
  const mounted = async (p: string): Promise<boolean> => (await fs.readFile('/proc/self/mounts', 'utf8')).split('\n').some((l) => l.split(' ')[1] === p);

  beforeAll(async () => {
    dir = await makeTestDir('btrfs');
    dataDir = path.join(dir, 'data');
    src = path.join(dir, 'rootfs');
    await makeRootfs(src);
  });

  afterAll(async () => {
    for (const p of pools) await p.deletePool().catch(() => undefined);
    if (dir) removeTestDir(dir);
  });

  it('makes a sparse loop file of the configured size, mounted at the pool path, and takes it all away', async () => {
    const p = await make('loop1', { size: '256MiB' });
    const disk = path.join(dataDir, 'disks', 'loop1.img');
    const st = await fs.stat(disk);
    expect(st.size).toBe(256 * 2 ** 20);
    expect(st.blocks * 512).toBeLessThan(64 * 2 ** 20); // sparse
    expect(await loopsOf(disk)).toHaveLength(1);
    expect(await mounted(path.join(dataDir, 'storage', 'loop1'))).toBe(true);
    // A reboot: unmounted and detached; opening the pool brings both back.
    await p.createVolume('v1');
    await p.deactivate();
    expect(await loopsOf(disk)).toHaveLength(0);
    expect(await mounted(path.join(dataDir, 'storage', 'loop1'))).toBe(false);
    const again = await openStoragePool({ name: 'loop1', dataDir });
    expect(await loopsOf(disk)).toHaveLength(1);
    expect(await again.listVolumes()).toEqual(['v1']);
    await again.deletePool();
    expect(await loopsOf(disk)).toHaveLength(0);
    expect(await mounted(path.join(dataDir, 'storage', 'loop1'))).toBe(false);
    await expect(fs.access(disk)).rejects.toThrow();
    await expect(fs.access(path.join(dataDir, 'storage', 'loop1'))).rejects.toThrow();
  });

  it('leaves no file, loop device, mount or record when making a pool fails half-way', async () => {
    const d = newStorageDriver('btrfs', { name: 'broken', dataDir });
    await expect(d.createPool({ size: '200MiB', 'btrfs.mount_options': 'no_such_option_berth' })).rejects.toThrow(/mount/);
    const disk = path.join(dataDir, 'disks', 'broken.img');
    expect(await loopsOf(disk)).toEqual([]);
    await expect(fs.access(disk)).rejects.toThrow();
    await expect(fs.access(path.join(dataDir, 'storage', 'broken'))).rejects.toThrow();
    await expect(fs.access(path.join(dataDir, 'storage', 'broken.json'))).rejects.toThrow();
    expect(await mounted(path.join(dataDir, 'storage', 'broken'))).toBe(false);
  });

  it('refuses bad pool config, naming the key', async () => {
    const d = newStorageDriver('btrfs', { name: 'badcfg', dataDir });
    const field = async (cfg: Record<string, string>): Promise<string> => d.createPool(cfg).then(() => 'created', (e: InvalidArgumentError) => e.field);
    expect(await field({ size: '64MiB' })).toBe('config.size');
    expect(await field({ size: 'lots' })).toBe('config.size');
    expect(await field({ size: '1GiB', source: '/mnt' })).toBe('config.source');
    expect(await field({ source: 'relative' })).toBe('config.source');
    expect(await field({ source: path.join(dir, 'rootfs') })).toBe('config.source'); // not btrfs
    expect(await field({ 'btrfs.quotas': 'yes' })).toBe('config.btrfs.quotas');
    await expect(fs.access(path.join(dataDir, 'storage', 'badcfg.json'))).rejects.toThrow();
  });

  it('limits a volume with a qgroup quota: a 20 MiB write into 10 MiB fails with EDQUOT, usage shows it', async () => {
    const p = await make('quota1', { size: '512MiB', 'btrfs.quotas': 'true' });
    const v = await p.createVolume('q1');
    await p.setQuota('q1', 10 * 2 ** 20);
    // Node 20's libuv has no name for EDQUOT: the error says "Unknown system error -122".
    let errno: number | undefined;
    try {
      await fs.writeFile(path.join(v, 'big'), Buffer.alloc(20 * 2 ** 20, 1));
    } catch (e) {
      errno = (e as NodeJS.ErrnoException).errno;
    }
    expect(errno).toBe(-EDQUOT);
    const code = 'EDQUOT';
    const u = await p.usage('q1');
    expect(u.quotaBytes).toBe(10 * 2 ** 20);
    expect(u.bytes).toBeGreaterThan(8 * 2 ** 20);
    expect(u.bytes).toBeLessThanOrEqual(10 * 2 ** 20);
    console.log(`btrfs quota: 10 MiB limit, 20 MiB write -> ${code}; usage ${u.bytes} bytes (${(u.bytes / 2 ** 20).toFixed(2)} MiB) of ${u.quotaBytes}`);
    // The limit survives a restore (the restored volume is a new subvolume).
    await fs.rm(path.join(v, 'big'));
    await p.snapshot('q1', 's');
    await p.restore('q1', 's');
    expect((await p.usage('q1')).quotaBytes).toBe(10 * 2 ** 20);
    await expect(fs.writeFile(path.join(v, 'big'), Buffer.alloc(20 * 2 ** 20, 1))).rejects.toMatchObject({ errno: -EDQUOT });
    await fs.rm(path.join(v, 'big'));
    // 0 lifts it.
    await p.setQuota('q1', 0);
    await fs.writeFile(path.join(v, 'big'), Buffer.alloc(20 * 2 ** 20, 1));
    expect((await p.usage('q1')).quotaBytes).toBeUndefined();
    await p.deleteVolume('q1');
  });

  it('refuses a quota where quotas are off (btrfs) or missing (dir), naming the capability', async () => {
    const p = await make('noquota', { size: '256MiB' });
    await p.createVolume('v');
    await expect(p.setQuota('v', 2 ** 20)).rejects.toMatchObject({ code: 'NOT_SUPPORTED', capability: 'btrfs.quota' });
    const d = newStorageDriver('dir', { name: 'dirq', dataDir });
    await d.createPool();
    pools.push(d);
    await d.createVolume('v');
    let err: unknown;
    try {
      await d.setQuota('v', 2 ** 20);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).capability).toBe('storage.quota');
  });

  it('keeps images and snapshots read-only and deletes a volume holding nested subvolumes', async () => {
    const p = await make('ro1', { size: '256MiB' });
    const img = await p.createImage(fp, copyFrom(src));
    await expect(fs.writeFile(path.join(img, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    const v = await p.createVolume('c1', { image: fp });
    await p.snapshot('c1', 'snap');
    await expect(fs.writeFile(path.join(dataDir, 'storage', 'ro1', 'snapshots', 'c1', 'snap', 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    await fs.writeFile(path.join(v, 'x'), 'x'); // the volume is writable
    // An instance may make subvolumes of its own inside its root.
    expect((await runTool('btrfs', ['subvolume', 'create', path.join(v, 'home/inner')])).code).toBe(0);
    expect((await runTool('btrfs', ['subvolume', 'create', path.join(v, 'home/inner/deeper')])).code).toBe(0);
    await p.deleteVolume('c1');
    expect(await p.listVolumes()).toEqual([]);
    expect(await fs.readdir(path.join(dataDir, 'storage', 'ro1', '.staging'))).toEqual([]);
  });

  it('sends snapshots after the first as increments', async () => {
    const p = await make('inc1', { size: '256MiB' });
    const v = await p.createVolume('v');
    await fs.writeFile(path.join(v, 'base'), Buffer.alloc(8 * 2 ** 20, 3));
    await p.snapshot('v', 's1');
    await fs.writeFile(path.join(v, 'delta1'), Buffer.alloc(2 ** 20, 4));
    await p.snapshot('v', 's2');
    await fs.writeFile(path.join(v, 'delta2'), Buffer.alloc(2 ** 20, 5));
    const native = (await collect(p.export('v'))).length;
    const tar = (await collect(p.export('v', { format: 'tar' }))).length;
    console.log(`btrfs export of 8 MiB + 2 snapshots each adding 1 MiB: btrfs send ${(native / 2 ** 20).toFixed(1)} MiB, tar ${(tar / 2 ** 20).toFixed(1)} MiB`);
    expect(native).toBeLessThan(12 * 2 ** 20);
    expect(tar).toBeGreaterThan(27 * 2 ** 20);
    const q = await make('inc2', { size: '256MiB' });
    await q.import('v', Readable.from([await collect(p.export('v'))]));
    expect(await q.listSnapshots('v')).toEqual(['s1', 's2']);
    expect(await manifest(await q.volumePath('v'))).toEqual(await manifest(v));
    // Imported snapshots are read-only like any other, the volume writable.
    await expect(fs.writeFile(path.join(dataDir, 'storage', 'inc2', 'snapshots', 'v', 's1', 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    await fs.writeFile(path.join(await q.volumePath('v'), 'x'), 'x');
  });

  it('uses an existing btrfs mount as a pool (source=) and gives it back as it was', async () => {
    const ext = path.join(dir, 'ext');
    const img = path.join(dir, 'ext.img');
    await fs.mkdir(ext);
    const h = await fs.open(img, 'w');
    await h.truncate(256 * 2 ** 20);
    await h.close();
    expect((await runTool('mkfs.btrfs', ['-q', img])).code).toBe(0);
    expect((await runTool('mount', ['-o', 'loop', img, ext])).code).toBe(0);
    try {
      await fs.writeFile(path.join(ext, 'operator-file'), 'mine');
      const p = await make('ext1', { source: path.join(ext, 'berth') });
      expect(await mounted(path.join(dataDir, 'storage', 'ext1'))).toBe(true);
      await p.createImage(fp, copyFrom(src));
      const v = await p.createVolume('c1', { image: fp });
      await p.snapshot('c1', 's');
      expect(await fs.readdir(path.join(ext, 'berth', 'volumes'))).toEqual(['c1']);
      await p.deactivate();
      const again = await openStoragePool({ name: 'ext1', dataDir });
      expect(await manifest(await again.volumePath('c1'))).toEqual(await manifest(v));
      await again.deletePool();
      pools.splice(pools.indexOf(p), 1);
      expect(await fs.readdir(ext)).toEqual(['operator-file']);
      expect(await mounted(path.join(dataDir, 'storage', 'ext1'))).toBe(false);
      expect(await mounted(ext)).toBe(true);
    } finally {
      await runTool('umount', [ext]);
    }
  });
});
