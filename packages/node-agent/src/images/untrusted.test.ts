/**
 * Hand-made malicious image tarballs: each is refused with the entry and the reason named,
 * and nothing is left in the store, its temp folder, or outside.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors';
import { ImageStore } from './store';
import { encodeHeader, setChecksum, type TarWriteHeader } from './tar';
import { dir, file, GOOD_METADATA, gz, link, listTree, makeTestDir, removeTestDir, tarBuffer, unifiedImage } from './test-helpers';

describe('untrusted image archives', () => {
  let tmp: string;
  let outside: string;

  beforeEach(() => {
    tmp = makeTestDir('untrusted');
    outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
  });
  afterEach(() => removeTestDir(tmp));

  async function openStore(limits?: { maxBytes?: number; maxEntries?: number }): Promise<ImageStore> {
    return ImageStore.open({ dataDir: path.join(tmp, 'data'), ...(limits ? { limits } : {}) });
  }

  /** Imports `archive` and expects an INVALID_ARGUMENT matching `re`; then checks nothing is left. */
  async function refused(archive: Buffer, re: RegExp, opts: { limits?: { maxBytes?: number; maxEntries?: number }; expectedFingerprint?: string; field?: string } = {}): Promise<void> {
    const store = await openStore(opts.limits);
    const p = path.join(tmp, 'evil.tar');
    fs.writeFileSync(p, archive);
    let err: unknown;
    try {
      await store.import({ unified: p }, opts.expectedFingerprint ? { expectedFingerprint: opts.expectedFingerprint } : {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).message).toMatch(re);
    expect((err as InvalidArgumentError).field).toBe(opts.field ?? 'image archive');
    expect(await store.list()).toEqual([]);
    expect(listTree(store.root)).toEqual(['.tmp']);
    expect(listTree(outside)).toEqual([]);
    fs.rmSync(p);
  }

  it('refuses a ".." escape', async () => {
    await refused(await unifiedImage([file('rootfs/../etc/passwd', 'root::0:0::/:/bin/sh\n')]), /^image archive: entry 'rootfs\/\.\.\/etc\/passwd' escapes the root/);
    await refused(await unifiedImage([file('rootfs/a/../../../outside/x', 'x')]), /entry 'rootfs\/a\/\.\.\/\.\.\/\.\.\/outside\/x' escapes the root/);
  });

  it('refuses an absolute path', async () => {
    await refused(await unifiedImage([file(`${outside}/pwned`, 'x')]), new RegExp(`entry '${outside}/pwned' is an absolute path`));
  });

  it('refuses hard links out of the archive or to what it does not hold', async () => {
    const secret = path.join(tmp, 'secret');
    fs.writeFileSync(secret, 'secret');
    await refused(await unifiedImage([link('rootfs/shadow', 'hardlink', secret)]), /entry 'rootfs\/shadow' is a hard link whose target '\/.*\/secret' is an absolute path/);
    expect(fs.statSync(secret).nlink).toBe(1);
    await refused(await unifiedImage([link('rootfs/shadow', 'hardlink', 'rootfs/../../etc/shadow')]), /entry 'rootfs\/shadow' is a hard link whose target .* escapes the root/);
    await refused(await unifiedImage([link('rootfs/x', 'hardlink', 'rootfs/later'), file('rootfs/later', 'x')]), /entry 'rootfs\/x' is a hard link to 'rootfs\/later', which is not an earlier entry of the archive/);
    await refused(await unifiedImage([link('rootfs/x', 'hardlink', 'metadata.yaml')]), /entry 'rootfs\/x' is a hard link to 'metadata.yaml', outside rootfs\//);
    await refused(await unifiedImage([link('rootfs/s', 'symlink', '/etc/shadow'), link('rootfs/x', 'hardlink', 'rootfs/s')]), /entry 'rootfs\/x' is a hard link to 'rootfs\/s', which is not a regular file/);
  });

  it('refuses a path that goes through a symlink; allows absolute symlinks inside rootfs', async () => {
    await refused(
      await unifiedImage([link('rootfs/evil', 'symlink', outside), file('rootfs/evil/pwned', 'x')]),
      /entry 'rootfs\/evil\/pwned' goes through the symlink 'rootfs\/evil'/,
    );
    await refused(
      await unifiedImage([link('rootfs/up', 'symlink', '../../..'), dir('rootfs/up/outside/')]),
      /entry 'rootfs\/up' is a symlink whose target '..\/..\/..' escapes the root/,
    );
    await refused(await unifiedImage([file('rootfs/f', 'x'), file('rootfs/f/g', 'y')]), /entry 'rootfs\/f\/g' goes through 'rootfs\/f', which is not a directory/);
    await refused(await unifiedImage([dir('templates/'), link('templates/t.tpl', 'symlink', '/etc/shadow')]), /entry 'templates\/t.tpl' is not a regular file or directory \(templates are read on the host\)/);
    await refused(await unifiedImage([link('rootfs/etc/hostname2', 'symlink', 'hostname'), file('rootfs/etc/hostname', 'again')]), /entry 'rootfs\/etc\/hostname' appears twice/);

    // Absolute and inward relative symlinks are fine: they are resolved in the container.
    const store = await openStore();
    const p = path.join(tmp, 'ok.tar');
    fs.writeFileSync(p, await unifiedImage([link('rootfs/etc/localtime', 'symlink', '/usr/share/zoneinfo/UTC'), link('rootfs/etc/mtab', 'symlink', '../proc/self/mounts')]));
    const rec = await store.import({ unified: p });
    expect(fs.readlinkSync(path.join(await store.rootfsPath(rec.fingerprint), 'etc/localtime'))).toBe('/usr/share/zoneinfo/UTC');
  });

  it('refuses device nodes unless the image is for privileged use', async () => {
    const dev: [TarWriteHeader] = [{ name: 'rootfs/dev/sda', type: 'block', mode: 0o660, devmajor: 8, devminor: 0 }];
    await refused(await unifiedImage([dir('rootfs/dev/'), dev]), /entry 'rootfs\/dev\/sda' is a device node \(block 8:0\), not allowed in an image for unprivileged containers/);
    const store = await openStore();
    const p = path.join(tmp, 'priv.tar');
    fs.writeFileSync(p, await unifiedImage([dir('rootfs/dev/'), [{ name: 'rootfs/dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }], [{ name: 'rootfs/fifo', type: 'fifo', mode: 0o600 }]]));
    const rec = await store.import({ unified: p }, { allowDevices: true });
    const root = await store.rootfsPath(rec.fingerprint);
    const st = fs.statSync(path.join(root, 'dev/null'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.mode & 0o777).toBe(0o666);
    expect(fs.statSync(path.join(root, 'fifo')).isFIFO()).toBe(true);
  });

  it('refuses unknown entry types and entries outside the image layout', async () => {
    const sparse = Buffer.from(encodeHeader({ name: 'rootfs/sparse', type: 'file', size: 0 }, 'S').block);
    const archive = Buffer.concat([(await unifiedImage([], GOOD_METADATA, { end: false })), sparse, Buffer.alloc(1024)]);
    await refused(archive, /entry 'rootfs\/sparse' has an unsupported entry type 'S'/);
    await refused(await unifiedImage([file('evil.sh', 'x')]), /entry 'evil.sh' is not part of an image/);
    await refused(await tarBuffer([file('metadata.yaml', GOOD_METADATA)]), /the image tarball has no rootfs\//);
    await refused(await tarBuffer([dir('rootfs/')]), /the image tarball has no metadata.yaml/);
  });

  it('refuses truncated archives and corrupt headers', async () => {
    const good = await unifiedImage([file('rootfs/data', Buffer.alloc(5000, 1))], GOOD_METADATA, { recordSize: 0 });
    const dataHeader = good.length - 1024 - 5120 - 512;
    await refused(good.subarray(0, dataHeader + 512 + 1000), /archive is truncated inside entry 'rootfs\/data' \(1000 of 5000 bytes\)/);
    await refused(good.subarray(0, good.length - 1024), /missing end-of-archive blocks after entry 'rootfs\/data'/);
    await refused(good.subarray(0, dataHeader + 100), /archive is truncated inside a header after entry 'rootfs\/etc\/hostname'/);
    const bad = Buffer.from(good);
    bad[dataHeader + 10] = bad[dataHeader + 10]! ^ 0x01; // a flipped bit in the name
    await refused(bad, new RegExp(`bad header checksum at byte ${dataHeader} after entry 'rootfs/etc/hostname'`));
    const corrupt = gz(good);
    corrupt[corrupt.length - 6] = corrupt[corrupt.length - 6]! ^ 0xff; // gzip's CRC
    await refused(corrupt, /gzip data is corrupt/);
    // A header whose checksum is right but whose size field is garbage.
    const h = encodeHeader({ name: 'rootfs/x', type: 'file', size: 1 }).block;
    h.write('zzzzzzzzzzz', 124, 'latin1');
    setChecksum(h);
    await refused(Buffer.concat([await unifiedImage([], GOOD_METADATA, { end: false }), h, Buffer.alloc(1536)]), /entry 'rootfs\/x' has a malformed size field/);
  });

  it('refuses oversize archives: entries and bytes', async () => {
    const many = await unifiedImage(Array.from({ length: 20 }, (_, i) => file(`rootfs/f${i}`, 'x')));
    await refused(many, /entry 'rootfs\/f6' exceeds the limit of 10 entries per image/, { limits: { maxEntries: 10 } });
    const big = gz(await unifiedImage([file('rootfs/a', Buffer.alloc(40_000)), file('rootfs/b', Buffer.alloc(40_000))]));
    await refused(big, /entry 'rootfs\/b' makes the image larger than the limit of 50000 bytes unpacked/, { limits: { maxBytes: 50_000 } });
    // A gzip bomb: small on disk, large unpacked.
    const bomb = gz(await unifiedImage([file('rootfs/zeros', Buffer.alloc(5_000_000))]));
    expect(bomb.length).toBeLessThan(50_000);
    // And a tarball bigger than the limit as it comes in.
    await refused(await unifiedImage([file('rootfs/a', Buffer.alloc(60_000, 1))]), /^image archive: the tarball is larger than the limit of 50000 bytes/, { limits: { maxBytes: 50_000 } });
    await refused(bomb, /entry 'rootfs\/zeros' makes the image larger than the limit of 1000000 bytes unpacked/, { limits: { maxBytes: 1_000_000 } });
  });

  it('refuses a wrong expected fingerprint', async () => {
    const img = await unifiedImage([]);
    const real = createHash('sha256').update(img).digest('hex');
    const wrong = real.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await refused(img, new RegExp(`the image's fingerprint is ${real}, not the expected ${wrong}`), { expectedFingerprint: wrong, field: 'fingerprint' });
  });

  it('refuses malformed metadata.yaml', async () => {
    await refused(await unifiedImage([], 'architecture: x86_64\ncreation_date: 1\nproperties:\n  a: &anchor x\n'), /line 4: unsupported YAML/, { field: 'metadata.yaml' });
    await refused(await unifiedImage([], 'architecture: x86_64\n'), /creation_date is missing/, { field: 'metadata.yaml' });
    await refused(await unifiedImage([], `${GOOD_METADATA}templates:\n  /etc/hosts:\n    template: hosts.tpl\n`), /is not in the image's templates/, { field: 'metadata.yaml' });
    await refused(await unifiedImage([], Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]) as unknown as string), /not valid UTF-8/, { field: 'metadata.yaml' });
  });

  it('refuses a bad split rootfs tarball, naming the tarball', async () => {
    const store = await openStore();
    const mp = path.join(tmp, 'meta.tar');
    const rp = path.join(tmp, 'rootfs.tar');
    fs.writeFileSync(mp, await tarBuffer([file('metadata.yaml', GOOD_METADATA)]));
    fs.writeFileSync(rp, await tarBuffer([dir('./'), link('./etc', 'symlink', '/etc'), file('./etc/passwd', 'x')]));
    await expect(store.import({ metadata: mp, rootfs: rp })).rejects.toThrow(/^image archive: entry '.\/etc\/passwd' in the rootfs tarball goes through the symlink 'etc'/);
    fs.writeFileSync(rp, await tarBuffer([dir('./'), file('metadata.yaml', 'x')]));
    fs.writeFileSync(mp, await tarBuffer([file('metadata.yaml', GOOD_METADATA), dir('rootfs/')]));
    await expect(store.import({ metadata: mp, rootfs: rp })).rejects.toThrow(/entry 'rootfs\/' in the metadata tarball is not part of an image/);
    expect(listTree(store.root)).toEqual(['.tmp']);
  });
});
