import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotSupportedError } from '../errors';
import { runTool } from '../host/run';
import { collect, fingerprintOf } from './conformance';
import { newStorageDriver, storageDriverInfo } from './index';
import { copyTree, makeRootfs, makeTestDir, manifest, removeTestDir, timed } from './testkit';
import type { StorageDriver } from './types';

const measured: string[] = [];
const report = (l: string): void => { measured.push(l); };
afterAll(() => {
  if (measured.length) console.log(`storage measurements:\n  ${measured.join('\n  ')}`);
});


describe('storage drivers together', () => {
  let dir = '';
  let dirPool: StorageDriver;
  let btrfsPool: StorageDriver;
  const fp = fingerprintOf('bigger');

  beforeAll(async () => {
    dir = await makeTestDir('both');
    const dataDir = path.join(dir, 'data');
    dirPool = newStorageDriver('dir', { name: 'd', dataDir });
    btrfsPool = newStorageDriver('btrfs', { name: 'b', dataDir });
    await dirPool.createPool();
    await btrfsPool.createPool({ size: '512MiB' });
  });

  afterAll(async () => {
    for (const p of [dirPool, btrfsPool]) await p?.deletePool().catch(() => undefined);
    if (dir) removeTestDir(dir);
  });

  it('knows its drivers and refuses an unknown one', () => {
    expect(Object.keys(storageDriverInfo()).sort()).toEqual(['btrfs', 'dir']);
    expect(() => newStorageDriver('zfs', { name: 'z', dataDir: dir })).toThrow(InvalidArgumentError);
    try {
      newStorageDriver('zfs', { name: 'z', dataDir: dir });
    } catch (e) {
      expect((e as InvalidArgumentError).field).toBe('driver');
    }
  });

  it('moves a volume between the drivers in the tar form; a btrfs stream into dir is NotSupported', async () => {
    const src = path.join(dir, 'rootfs');
    await makeRootfs(src, 4 * 2 ** 20);
    const want = await manifest(src);
    await btrfsPool.createImage(fp, (d) => copyTree(src, d));
    const p = await btrfsPool.createVolume('x', { image: fp });
    await btrfsPool.snapshot('x', 'snap0');
    await dirPool.import('x', btrfsPool.export('x', { format: 'tar' }));
    expect(await manifest(await dirPool.volumePath('x'))).toEqual(want);
    expect(await dirPool.listSnapshots('x')).toEqual(['snap0']);
    await btrfsPool.import('back', dirPool.export('x'));
    expect(await manifest(await btrfsPool.volumePath('back'))).toEqual(want);
    expect(await btrfsPool.listSnapshots('back')).toEqual(['snap0']);
    let err: unknown;
    try {
      await dirPool.import('y', Readable.from([await collect(btrfsPool.export('x'))]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).capability).toBe('btrfs');
    expect(await dirPool.listVolumes()).toEqual(['x']);
    expect(p).toBe(await btrfsPool.volumePath('x'));
  });

  it('measures copy (dir) against snapshot (btrfs) for a busybox rootfs and a bigger one', async () => {
    for (const [label, extra] of [['busybox', 0], ['bigger', 100 * 2 ** 20]] as const) {
      const src = path.join(dir, `rootfs-${label}`);
      await makeRootfs(src, extra);
      const f = fingerprintOf(`measure-${label}`);
      for (const pool of [dirPool, btrfsPool]) {
        await pool.createImage(f, (d) => copyTree(src, d));
        const [, ms] = await timed(() => pool.createVolume(`m-${label}`, { image: f }));
        const [, sms] = await timed(() => pool.snapshot(`m-${label}`, 's'));
        const [bytes, ems] = await timed(() => collect(pool.export(`m-${label}`, { volumeOnly: true })));
        const [, dms] = await timed(() => pool.deleteVolume(`m-${label}`));
        report(`[${pool.name}] ${label} rootfs (${((await du(src)) / 2 ** 20).toFixed(1)} MiB on disk): instance from image ${ms.toFixed(1)} ms, snapshot ${sms.toFixed(1)} ms, export ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${ems.toFixed(0)} ms, delete ${dms.toFixed(1)} ms`);
        await pool.deleteImage(f);
      }
      await fs.rm(src, { recursive: true, force: true });
    }
  });
});

async function du(p: string): Promise<number> {
  return Number((await runTool('du', ['-s', '-B1', p])).stdout.split('\t')[0]);
}
