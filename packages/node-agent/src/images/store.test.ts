import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildBusyboxImage, publishImage, sha256File, writeTarball } from './builder';
import { xzAvailable } from './compression';
import { ImageStore } from './store';
import { dir, file, GOOD_METADATA, gz, listTree, makeTestDir, removeTestDir, tarBuffer, unifiedImage } from './test-helpers';

const HAVE_BUSYBOX = fs.existsSync('/bin/busybox');
const itBusybox = HAVE_BUSYBOX ? it : it.skip;

describe('ImageStore', () => {
  let tmp: string;
  let store: ImageStore;
  let xz = false;

  beforeAll(async () => {
    xz = await xzAvailable();
  });
  beforeEach(async () => {
    tmp = makeTestDir('store');
    store = await ImageStore.open({ dataDir: path.join(tmp, 'data') });
  });
  afterEach(() => removeTestDir(tmp));

  itBusybox('builds the busybox image deterministically; import, export give the same fingerprint', async () => {
    const t0 = Date.now();
    const a = await buildBusyboxImage({ out: path.join(tmp, 'a.tar.gz') });
    const buildMs = Date.now() - t0;
    const b = await buildBusyboxImage({ out: path.join(tmp, 'b.tar.gz') });
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.metadata.properties).toMatchObject({ os: 'busybox' });
    expect(a.metadata.properties['release']).toMatch(/^[0-9]+\.[0-9]+/);

    const t1 = Date.now();
    const rec = await store.import({ unified: a.path }, { aliases: ['busybox'], expectedFingerprint: a.fingerprint.toUpperCase() });
    const importMs = Date.now() - t1;
    expect(rec.fingerprint).toBe(a.fingerprint);
    expect(rec.metadata.architecture).toBe(a.metadata.architecture);
    process.stdout.write(`busybox image: ${a.size} bytes (gzip), ${rec.unpackedBytes} bytes in ${rec.entries} entries unpacked; build ${buildMs} ms, import ${importMs} ms\n`);

    const rootfs = await store.rootfsPath(await store.resolve('busybox'));
    expect(fs.statSync(path.join(rootfs, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(rootfs, 'sbin/init'))).toBe('/bin/busybox');
    expect(fs.readlinkSync(path.join(rootfs, 'bin/sh'))).toBe('/bin/busybox');
    expect(fs.statSync(path.join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777);
    for (const d of ['dev', 'proc', 'sys', 'run', 'var', 'root']) expect(fs.statSync(path.join(rootfs, d)).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
    expect(fs.readFileSync(path.join(rootfs, 'etc/inittab'), 'utf8')).toMatch(/::shutdown:/);
    // The rootfs works: busybox runs its own applets in it.
    const out = execFileSync('chroot', [rootfs, '/bin/sh', '-c', 'cat /etc/hostname; ls /sbin/init'], { encoding: 'utf8' });
    expect(out).toBe('busybox\n/sbin/init\n');

    const exported = await store.export(rec.fingerprint, tmp);
    expect(exported).toEqual([path.join(tmp, `${rec.fingerprint}.tar.gz`)]);
    expect(await sha256File(exported[0]!)).toBe(rec.fingerprint);

    // The same image again: refused, and nothing left in .tmp.
    await expect(store.import({ unified: a.path })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    expect(fs.readdirSync(path.join(store.root, '.tmp'))).toEqual([]);

    // Publish the imported rootfs back into an image, and import that.
    const pub = await publishImage({ rootfs, out: path.join(tmp, 'pub.tar.xz'), compression: xz ? 'xz' : 'gzip', properties: { os: 'busybox', description: 'republished' } });
    const rec2 = await store.import({ unified: fs.createReadStream(pub.path) }, { aliases: ['again'] });
    expect(rec2.fingerprint).toBe(pub.fingerprint);
    expect(rec2.metadata.properties['description']).toBe('republished');
    const root2 = await store.rootfsPath('again'.length > 0 ? rec2.fingerprint : '');
    expect(listTree(root2)).toEqual(listTree(rootfs));
    expect(fs.readlinkSync(path.join(root2, 'sbin/init'))).toBe('/bin/busybox');
  });

  it('imports split images (fingerprint over metadata then rootfs) and unified ones of the same content', async () => {
    const tpl = 'templates/hostname.tpl';
    const meta = `${GOOD_METADATA}templates:\n  /etc/hostname:\n    when:\n    - create\n    - copy\n    template: hostname.tpl\n`;
    const metaTar = gz(await tarBuffer([file('metadata.yaml', meta), dir('templates/'), file(tpl, '{{ instance.name }}\n')]));
    const rootTar = await tarBuffer([dir('./'), dir('./etc/'), file('./etc/hostname', 'x\n'), dir('./bin/'), file('./bin/tool', 'bin', { mode: 0o755 }), [{ name: './bin/tool2', type: 'hardlink', linkname: './bin/tool' }]]);
    const mp = path.join(tmp, 'meta.tar.gz');
    const rp = path.join(tmp, 'rootfs.tar');
    fs.writeFileSync(mp, metaTar);
    fs.writeFileSync(rp, rootTar);
    const want = createHash('sha256').update(metaTar).update(rootTar).digest('hex');
    const rec = await store.import({ metadata: mp, rootfs: rp }, { expectedFingerprint: want });
    expect(rec).toMatchObject({ fingerprint: want, format: 'split' });
    expect(rec.files.map((f) => [f.role, f.compression])).toEqual([['metadata', 'gzip'], ['rootfs', 'none']]);
    expect(rec.metadata.templates['/etc/hostname']).toMatchObject({ when: ['create', 'copy'], template: 'hostname.tpl' });
    const root = await store.rootfsPath(want);
    expect(fs.statSync(path.join(root, 'bin/tool')).ino).toBe(fs.statSync(path.join(root, 'bin/tool2')).ino);
    expect(fs.readFileSync(path.join(await store.templatesPath(want), 'hostname.tpl'), 'utf8')).toContain('instance.name');

    const exp = await store.export(want.slice(0, 12), path.join(tmp));
    expect(exp.map((p) => path.basename(p))).toEqual([`meta-${want}.tar.gz`, `${want}.tar`]);
    const h = createHash('sha256');
    for (const p of exp) h.update(fs.readFileSync(p));
    expect(h.digest('hex')).toBe(want);
    const streams = await store.exportStreams(want);
    expect(streams.map((s) => [s.role, s.size])).toEqual([['metadata', metaTar.length], ['rootfs', rootTar.length]]);

    // The unified form of the same content is another image with its own fingerprint.
    const uni = gz(await unifiedImage([dir('rootfs/bin/'), file('rootfs/bin/tool', 'bin')]));
    const up = path.join(tmp, 'uni.tar.gz');
    fs.writeFileSync(up, uni);
    const urec = await store.import({ unified: up });
    expect(urec.fingerprint).toBe(createHash('sha256').update(uni).digest('hex'));
    expect((await store.list()).map((r) => r.fingerprint).sort()).toEqual([want, urec.fingerprint].sort());
  });

  it.each(['none', 'gzip', 'xz'] as const)('imports %s-compressed tarballs (detected by magic bytes)', async (compression) => {
    if (compression === 'xz' && !xz) {
      process.stdout.write('xz is not installed: skipping the xz case\n');
      return;
    }
    const out = path.join(tmp, 'image.bin'); // the name says nothing
    const made = await writeTarball(out, compression, async (w) => {
      await w.add({ name: 'metadata.yaml', type: 'file', mode: 0o644 }, Buffer.from(GOOD_METADATA));
      await w.add({ name: 'rootfs/', type: 'dir', mode: 0o755 });
      await w.add({ name: 'rootfs/big', type: 'file', mode: 0o644 }, Buffer.alloc(300_000, 7));
    });
    const rec = await store.import({ unified: out });
    expect(rec.fingerprint).toBe(made.fingerprint);
    expect(rec.files[0]!.compression).toBe(compression);
    expect(fs.statSync(path.join(await store.rootfsPath(rec.fingerprint), 'big')).size).toBe(300_000);
    const [exp] = await store.export(rec.fingerprint, tmp);
    expect(path.basename(exp!)).toBe(`${rec.fingerprint}${{ none: '.tar', gzip: '.tar.gz', xz: '.tar.xz' }[compression]}`);
    expect(await sha256File(exp!)).toBe(rec.fingerprint);
  });

  it('manages aliases: unique, resolved, removed with their image', async () => {
    const p1 = path.join(tmp, 'one.tar');
    const p2 = path.join(tmp, 'two.tar');
    fs.writeFileSync(p1, await unifiedImage([file('rootfs/one', '1')]));
    fs.writeFileSync(p2, await unifiedImage([file('rootfs/two', '2')]));
    const a = await store.import({ unified: p1 }, { aliases: ['first', 'debian/12'] });
    const b = await store.import({ unified: p2 });
    await expect(store.import({ unified: p2 }, { aliases: ['first'] })).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await store.createAlias('second', b.fingerprint.slice(0, 10), 'the second');
    await expect(store.createAlias('second', a.fingerprint)).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await expect(store.createAlias('bad name', a.fingerprint)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'alias' });
    await expect(store.createAlias('x', 'ffffffff')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await store.resolveAlias('first')).toBe(a.fingerprint);
    expect(await store.resolve('debian/12')).toBe(a.fingerprint);
    expect(await store.resolve(b.fingerprint.slice(0, 6))).toBe(b.fingerprint);
    expect((await store.listAliases()).map((x) => [x.name, x.fingerprint === a.fingerprint ? 'a' : 'b', x.description])).toEqual([
      ['debian/12', 'a', ''], ['first', 'a', ''], ['second', 'b', 'the second'],
    ]);
    await store.deleteAlias('debian/12');
    await expect(store.deleteAlias('debian/12')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.delete('first'.length ? a.fingerprint : '');
    await expect(store.get(a.fingerprint)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.resolveAlias('first')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await store.listAliases()).map((x) => x.name)).toEqual(['second']);
    expect((await store.list()).map((r) => r.fingerprint)).toEqual([b.fingerprint]);
    expect(fs.readdirSync(path.join(store.root, '.tmp'))).toEqual([]);
  });
});
