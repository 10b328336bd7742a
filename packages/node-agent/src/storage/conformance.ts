import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors';
import { runTool } from '../host/run';
import { newStorageDriver, openStoragePool } from './index';
import { copyTree, makeRootfs, makeTestDir, manifest, removeTestDir, timed } from './testkit';
import type { PoolConfig, StorageDriver } from './types';

/**
 * The storage conformance suite (containerd's snapshots/testsuite): every storage driver
 * runs the same tests through the StorageDriver interface only. A driver's own behaviour
 * (btrfs quotas, loop files, read-only snapshots) is tested beside it, not here.
 */
export interface StorageHarness {
  driver: string;
  /** Config for a fresh pool of this driver in a test's data folder. */
  poolConfig: PoolConfig;
  /** Where the suite reports what it measured (copy/snapshot times, stream sizes). */
  report?: (line: string) => void;
}

export const fingerprintOf = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Reads a whole stream into memory (test volumes are small). */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

async function expectCode(p: Promise<unknown>, cls: new (...a: never[]) => Error, field?: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  if (field !== undefined) expect((err as InvalidArgumentError).field).toBe(field);
}

export function storageConformance(h: StorageHarness): void {
  const report = h.report ?? ((l: string) => { console.log(l); });
  describe(`storage driver "${h.driver}": conformance`, () => {
    let dir = '';
    let dataDir = '';
    let pool: StorageDriver;
    let target: StorageDriver;
    let srcRoot = '';
    let srcManifest: string[] = [];
    const fp = fingerprintOf(`busybox-${h.driver}`);
    const names = { pool: 'pool1', target: 'pool2' };

    beforeAll(async () => {
      dir = await makeTestDir(h.driver);
      dataDir = path.join(dir, 'data');
      srcRoot = path.join(dir, 'rootfs');
      await makeRootfs(srcRoot);
      srcManifest = await manifest(srcRoot);
      pool = newStorageDriver(h.driver, { name: names.pool, dataDir });
      target = newStorageDriver(h.driver, { name: names.target, dataDir });
      await pool.createPool(h.poolConfig);
      await target.createPool(h.poolConfig);
      const [, ms] = await timed(() => pool.createImage(fp, (d) => copyTree(srcRoot, d)));
      report(`[${h.driver}] image volume from a ${await duHuman(srcRoot)} rootfs (cp -a into the image): ${ms.toFixed(0)} ms`);
    });

    afterAll(async () => {
      for (const p of [pool, target]) await p?.deletePool().catch(() => undefined);
      if (dir) removeTestDir(dir);
    });

    const stagingEmpty = async (d: StorageDriver = pool): Promise<void> => {
      expect(await fs.readdir(path.join(dataDir, 'storage', d.pool.name, '.staging'))).toEqual([]);
    };

    it('says it is usable here', () => {
      const i = pool.info();
      expect(i.usable).toBe(true);
      expect(i.reason).not.toBe('');
    });

    it('refuses a second pool of the same name, an unknown config key, and a bad pool name', async () => {
      await expectCode(newStorageDriver(h.driver, { name: names.pool, dataDir }).createPool(h.poolConfig), AlreadyExistsError);
      await expectCode(newStorageDriver(h.driver, { name: 'pool3', dataDir }).createPool({ ...h.poolConfig, 'no.such.key': '1' }), InvalidArgumentError, 'config.no.such.key');
      expect(() => newStorageDriver(h.driver, { name: '-bad', dataDir })).toThrow(InvalidArgumentError);
      await expect(fs.readdir(path.join(dataDir, 'storage'))).resolves.toEqual(expect.not.arrayContaining(['pool3', 'pool3.json']));
    });

    it('refuses invalid names, naming the field', async () => {
      await expectCode(pool.createVolume('1abc'), InvalidArgumentError, 'volume');
      await expectCode(pool.createVolume('../etc'), InvalidArgumentError, 'volume');
      await expectCode(pool.createVolume('a'.repeat(64)), InvalidArgumentError, 'volume');
      await expectCode(pool.createVolume('ok', { image: 'xyz' }), InvalidArgumentError, 'from.image');
      await expectCode(pool.createVolume('ok', { snapshot: 'novolume' }), InvalidArgumentError, 'from.snapshot');
      await expectCode(pool.createImage('../x', async () => undefined), InvalidArgumentError, 'fingerprint');
      await pool.createVolume('names');
      await expectCode(pool.snapshot('names', '../s'), InvalidArgumentError, 'snapshot');
      await expectCode(pool.snapshot('names', '.hidden'), InvalidArgumentError, 'snapshot');
      await expectCode(pool.renameVolume('names', 'bad name'), InvalidArgumentError, 'to');
      await expectCode(pool.setQuota('names', -1), InvalidArgumentError, 'bytes');
      expect(await pool.listVolumes()).not.toContain('ok');
      await pool.deleteVolume('names');
    });

    it('answers NotFound for a missing volume, snapshot or image', async () => {
      await expectCode(pool.createVolume('nf1', { image: fingerprintOf('missing') }), NotFoundError);
      await expectCode(pool.createVolume('nf1', { volume: 'missing' }), NotFoundError);
      await expectCode(pool.createVolume('nf1', { snapshot: 'missing/s' }), NotFoundError);
      await expectCode(pool.deleteVolume('missing'), NotFoundError);
      await expectCode(pool.renameVolume('missing', 'other'), NotFoundError);
      await expectCode(pool.volumePath('missing'), NotFoundError);
      await expectCode(pool.snapshot('missing', 's'), NotFoundError);
      await expectCode(pool.listSnapshots('missing'), NotFoundError);
      await expectCode(pool.usage('missing'), NotFoundError);
      await expectCode(pool.deleteImage(fingerprintOf('missing')), NotFoundError);
      await expectCode(collect(pool.export('missing')), NotFoundError);
      await pool.createVolume('nf2');
      await expectCode(pool.restore('nf2', 'nosnap'), NotFoundError);
      await expectCode(pool.deleteSnapshot('nf2', 'nosnap'), NotFoundError);
      await expectCode(pool.createVolume('nf3', { snapshot: 'nf2/nosnap' }), NotFoundError);
      expect(await pool.listVolumes()).toEqual(expect.not.arrayContaining(['nf1', 'nf3']));
      await pool.deleteVolume('nf2');
    });

    it('answers AlreadyExists for a name in use', async () => {
      await pool.createVolume('dup1');
      await pool.createVolume('dup2');
      await expectCode(pool.createVolume('dup1'), AlreadyExistsError);
      await expectCode(pool.createVolume('dup1', { image: fp }), AlreadyExistsError);
      await expectCode(pool.renameVolume('dup1', 'dup2'), AlreadyExistsError);
      await pool.snapshot('dup1', 's0');
      await expectCode(pool.snapshot('dup1', 's0'), AlreadyExistsError);
      await expectCode(pool.createImage(fp, async () => undefined), AlreadyExistsError);
      await expectCode(pool.import('dup1', pool.export('dup2')), AlreadyExistsError);
      await pool.deleteVolume('dup1');
      await pool.deleteVolume('dup2');
      await stagingEmpty();
    });

    it('makes an instance volume from an image with owners, modes, links, devices and xattrs intact', async () => {
      const [p, ms] = await timed(() => pool.createVolume('c1', { image: fp }));
      report(`[${h.driver}] instance volume from the image: ${ms.toFixed(1)} ms`);
      expect(p).toBe(await pool.volumePath('c1'));
      const m = await manifest(p);
      expect(m).toEqual(srcManifest);
      // Spot checks of what the manifest covers, so a broken manifest cannot hide them.
      expect((await fs.stat(path.join(p, 'bin/busybox'))).uid).toBe(1_000_000);
      expect((await fs.stat(path.join(p, 'home/user/notes'))).uid).toBe(1_001_000);
      expect((await fs.stat(path.join(p, 'usr/bin/su'))).mode & 0o7777).toBe(0o4755);
      expect((await fs.lstat(path.join(p, 'dev/null'))).isCharacterDevice()).toBe(true);
      expect((await fs.stat(path.join(p, 'etc/passwd'))).ino).toBe((await fs.stat(path.join(p, 'etc/passwd.hardlink'))).ino);
      expect(m.some((l) => l.startsWith('xattr usr/bin/ping security.capability'))).toBe(true);
      // The volume is its own: writing to it leaves the image as it was.
      await fs.writeFile(path.join(p, 'etc/hostname'), 'changed\n');
      await pool.createVolume('c1b', { image: fp });
      expect(await fs.readFile(path.join(await pool.volumePath('c1b'), 'etc/hostname'), 'utf8')).toBe('c1\n');
      await pool.deleteVolume('c1b');
      expect(await pool.listImages()).toEqual([fp]);
    });

    it('takes snapshots, lists them oldest first, restores one, deletes one', async () => {
      const p = await pool.createVolume('snapv', { image: fp });
      const f = path.join(p, 'etc/hostname');
      await fs.writeFile(f, 'one\n');
      const [, ms] = await timed(() => pool.snapshot('snapv', 'zz-first'));
      report(`[${h.driver}] snapshot of a volume: ${ms.toFixed(1)} ms`);
      await fs.writeFile(f, 'two\n');
      await pool.snapshot('snapv', 'aa-second');
      await fs.writeFile(f, 'three\n');
      await fs.writeFile(path.join(p, 'new-file'), 'x');
      expect(await pool.listSnapshots('snapv')).toEqual(['zz-first', 'aa-second']);
      await pool.restore('snapv', 'zz-first');
      const p2 = await pool.volumePath('snapv');
      expect(await fs.readFile(path.join(p2, 'etc/hostname'), 'utf8')).toBe('one\n');
      await expect(fs.access(path.join(p2, 'new-file'))).rejects.toThrow();
      // Restoring keeps the other snapshots, and the restored volume is writable.
      expect(await pool.listSnapshots('snapv')).toEqual(['zz-first', 'aa-second']);
      await fs.writeFile(path.join(p2, 'etc/hostname'), 'four\n');
      await pool.restore('snapv', 'aa-second');
      expect(await fs.readFile(path.join(p2, 'etc/hostname'), 'utf8')).toBe('two\n');
      await pool.deleteSnapshot('snapv', 'zz-first');
      expect(await pool.listSnapshots('snapv')).toEqual(['aa-second']);
      await pool.deleteSnapshot('snapv', 'aa-second');
      expect(await pool.listSnapshots('snapv')).toEqual([]);
      // Owners survive a snapshot and a restore.
      expect((await fs.stat(path.join(p2, 'home/user/notes'))).uid).toBe(1_001_000);
      await stagingEmpty();
    });

    it('copies a volume with or without its snapshots, and makes one from a snapshot', async () => {
      const p = await pool.createVolume('orig', { image: fp });
      await fs.writeFile(path.join(p, 'etc/hostname'), 'orig-s1\n');
      await pool.snapshot('orig', 's1');
      await fs.writeFile(path.join(p, 'etc/hostname'), 'orig-s2\n');
      await pool.snapshot('orig', 's2');
      await fs.writeFile(path.join(p, 'etc/hostname'), 'orig-live\n');
      const [full, ms] = await timed(() => pool.createVolume('copy1', { volume: 'orig', snapshots: true }));
      report(`[${h.driver}] copy of a volume with 2 snapshots: ${ms.toFixed(1)} ms`);
      expect(await manifest(full)).toEqual(await manifest(p));
      expect(await pool.listSnapshots('copy1')).toEqual(['s1', 's2']);
      await pool.createVolume('fromsnap', { snapshot: 'copy1/s1' });
      expect(await fs.readFile(path.join(await pool.volumePath('fromsnap'), 'etc/hostname'), 'utf8')).toBe('orig-s1\n');
      await pool.createVolume('copy2', { volume: 'orig' });
      expect(await pool.listSnapshots('copy2')).toEqual([]);
      // The copy is independent of its source.
      await pool.deleteVolume('orig');
      expect(await fs.readFile(path.join(full, 'etc/hostname'), 'utf8')).toBe('orig-live\n');
      await pool.restore('copy1', 's2');
      expect(await fs.readFile(path.join(await pool.volumePath('copy1'), 'etc/hostname'), 'utf8')).toBe('orig-s2\n');
      for (const v of ['copy1', 'copy2', 'fromsnap']) await pool.deleteVolume(v);
    });

    it('renames a volume and its snapshots go with it', async () => {
      await pool.createVolume('ren1', { image: fp });
      await pool.snapshot('ren1', 'snap0');
      await pool.renameVolume('ren1', 'ren2');
      expect(await pool.listVolumes()).toEqual(expect.arrayContaining(['ren2']));
      expect(await pool.listVolumes()).not.toContain('ren1');
      expect(await pool.listSnapshots('ren2')).toEqual(['snap0']);
      await expectCode(pool.listSnapshots('ren1'), NotFoundError);
      await pool.restore('ren2', 'snap0');
      // A new volume under the old name has no snapshots of the old one.
      await pool.createVolume('ren1');
      expect(await pool.listSnapshots('ren1')).toEqual([]);
      await pool.deleteVolume('ren1');
      await pool.deleteVolume('ren2');
    });

    it('deletes a volume with its snapshots', async () => {
      await pool.createVolume('del1', { image: fp });
      await pool.snapshot('del1', 'a');
      await pool.snapshot('del1', 'b');
      await pool.deleteVolume('del1');
      expect(await pool.listVolumes()).not.toContain('del1');
      await expectCode(pool.listSnapshots('del1'), NotFoundError);
      await expect(fs.access(path.join(dataDir, 'storage', names.pool, 'snapshots', 'del1'))).rejects.toThrow();
      await stagingEmpty();
    });

    it('reports usage that grows with what is written', async () => {
      const p = await pool.createVolume('use1');
      const before = (await pool.usage('use1')).bytes;
      await fs.writeFile(path.join(p, 'blob'), Buffer.alloc(5 * 2 ** 20, 7));
      const after = (await pool.usage('use1')).bytes;
      expect(after - before).toBeGreaterThanOrEqual(5 * 2 ** 20);
      expect(after - before).toBeLessThan(6 * 2 ** 20);
      report(`[${h.driver}] usage of a volume after a 5 MiB write: ${before} -> ${after} bytes`);
      await pool.deleteVolume('use1');
    });

    it('leaves nothing when filling an image fails', async () => {
      const bad = fingerprintOf('half-image');
      await expect(pool.createImage(bad, async (d) => {
        await fs.writeFile(path.join(d, 'partial'), 'x');
        throw new Error('unpack failed');
      })).rejects.toThrow('unpack failed');
      expect(await pool.listImages()).toEqual([fp]);
      await stagingEmpty();
    });

    it('exports a volume with its snapshots and imports it into another pool, identical', async () => {
      const p = await pool.createVolume('mv1', { image: fp });
      await fs.writeFile(path.join(p, 'etc/hostname'), 'at-s1\n');
      await pool.snapshot('mv1', 's1');
      await fs.writeFile(path.join(p, 'var/data/more'), Buffer.alloc(2 ** 20, 1));
      await pool.snapshot('mv1', 's2');
      await fs.writeFile(path.join(p, 'etc/hostname'), 'live\n');
      const [bytes, ms] = await timed(() => collect(pool.export('mv1')));
      report(`[${h.driver}] export of a volume with 2 snapshots (native format): ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${ms.toFixed(0)} ms`);
      const [, ims] = await timed(() => target.import('moved', Readable.from([bytes])));
      report(`[${h.driver}] import of it: ${ims.toFixed(0)} ms`);
      expect(await manifest(await target.volumePath('moved'))).toEqual(await manifest(p));
      expect(await target.listSnapshots('moved')).toEqual(['s1', 's2']);
      await target.createVolume('moved-s1', { snapshot: 'moved/s1' });
      expect(await manifest(await target.volumePath('moved-s1'))).toEqual(await manifest(path.join(dataDir, 'storage', names.pool, 'snapshots', 'mv1', 's1')));
      // volumeOnly and the tar form.
      await target.import('moved-tar', pool.export('mv1', { format: 'tar', volumeOnly: true }));
      expect(await target.listSnapshots('moved-tar')).toEqual([]);
      expect(await manifest(await target.volumePath('moved-tar'))).toEqual(await manifest(p));
      for (const v of ['moved', 'moved-s1', 'moved-tar']) await target.deleteVolume(v);
      await stagingEmpty(target);
      await stagingEmpty(pool);
    });

    it('refuses a truncated, corrupt or foreign stream and leaves nothing', async () => {
      const bytes = await collect(pool.export('mv1'));
      const cases: [string, Buffer][] = [
        ['truncated in the middle', bytes.subarray(0, Math.floor(bytes.length / 2))],
        ['truncated before the end frame', bytes.subarray(0, bytes.length - 10)],
        ['a flipped byte in the data', (() => { const b = Buffer.from(bytes); const i = Math.floor(b.length * 0.6); b[i] = b[i]! ^ 0xff; return b; })()],
        ['garbage after the end', Buffer.concat([bytes, Buffer.from('extra')])],
        ['not a volume stream', Buffer.from('hello world, this is not a stream at all')],
        ['empty', Buffer.alloc(0)],
      ];
      for (const [what, b] of cases) {
        let err: unknown;
        try {
          await target.import('broken', Readable.from([b]));
        } catch (e) {
          err = e;
        }
        // A berth error, not a raw EPIPE from a tool that gave up first.
        expect([what, (err as { code?: string } | undefined)?.code]).toEqual([what, 'INVALID_ARGUMENT']);
        expect([what, await target.listVolumes()]).toEqual([what, expect.not.arrayContaining(['broken'])]);
        await stagingEmpty(target);
      }
      // The stream is still good as a whole.
      await target.import('whole', Readable.from([bytes]));
      await target.deleteVolume('whole');
    });

    it('comes back after a restart (deactivate, open, activate)', async () => {
      await pool.createVolume('persist', { image: fp });
      await pool.snapshot('persist', 'keep');
      await pool.deactivate();
      pool = await openStoragePool({ name: names.pool, dataDir });
      expect(pool.name).toBe(h.driver);
      expect(await pool.listVolumes()).toEqual(expect.arrayContaining(['persist', 'c1', 'mv1']));
      expect(await pool.listSnapshots('persist')).toEqual(['keep']);
      expect(await manifest(await pool.volumePath('persist'))).toEqual(srcManifest);
      // Activating an active pool changes nothing.
      await pool.activate();
      expect(await pool.listImages()).toEqual([fp]);
    });

    it('deletes an image while volumes made from it live on', async () => {
      await pool.deleteImage(fp);
      expect(await pool.listImages()).toEqual([]);
      expect(await manifest(await pool.volumePath('persist'))).toEqual(srcManifest);
    });

    it('deletes a pool and leaves nothing behind', async () => {
      for (const p of [pool, target]) await p.deletePool();
      expect(await fs.readdir(path.join(dataDir, 'storage'))).toEqual([]);
      const mounts = await fs.readFile('/proc/self/mounts', 'utf8');
      expect(mounts.includes(dir)).toBe(false);
      const loops = await runTool('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']);
      expect(loops.stdout.includes(dir)).toBe(false);
      expect(await fs.readdir(path.join(dataDir, 'disks')).catch(() => [])).toEqual([]);
      await expectCode(openStoragePool({ name: names.pool, dataDir }), NotFoundError);
    });
  });
}

async function duHuman(p: string): Promise<string> {
  const r = await runTool('du', ['-sh', '--apparent-size', p]);
  return r.stdout.split('\t')[0] ?? '?';
}
