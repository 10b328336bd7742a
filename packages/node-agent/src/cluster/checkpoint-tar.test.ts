/**
 * checkpoint-tar: a checkpoints folder to a tar stream and back in process, on real files
 * (owners, modes, mtimes, names GNU tar reads and writes), and what the unpacking side refuses.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors';
import { makeTestDir, removeTestDir, tarBuffer } from '../images/test-helpers';
import { TAR_CREATE } from '../storage/stream';
import { FilePool } from '../host/file-pool';
import { tarOfCheckpoints, untarCheckpointsInto } from './checkpoint-tar';

let tmp: string;
beforeEach(() => { tmp = makeTestDir('ckpt-tar'); });
afterEach(() => removeTestDir(tmp));

const MiB = 1 << 20;

/** Every entry under root: relative name -> type, mode, owner, mtime (s), content hash. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const n of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const st = fs.lstatSync(path.join(root, r));
      const what = st.isDirectory() ? 'dir' : st.isFile() ? `file ${st.size} ${fs.readFileSync(path.join(root, r)).toString('base64').slice(0, 40)}` : 'other';
      out[r] = `${what} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}${st.isFile() ? ` ${Math.floor(st.mtimeMs / 1000)}` : ''}`;
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** A checkpoints folder as CRIU and berth leave it: a dump being moved, its work folder, a snapshot. */
function makeCheckpoints(root: string): void {
  const put = (rel: string, data: Buffer, mode = 0o600, owner = 0): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data, { mode });
    fs.chownSync(path.join(root, rel), owner, owner);
    fs.chmodSync(path.join(root, rel), mode);
    fs.utimesSync(path.join(root, rel), 1_700_000_000 + data.length, 1_700_000_000 + data.length);
  };
  fs.mkdirSync(root, { mode: 0o711 });
  for (const [i, n] of [0, 1, 511, 512, 513, 4096, 70_000].entries()) put(`.move/img-${i}.img`, randomBytes(n));
  put('.move/pages-1.img', randomBytes(MiB + 5)); // above the size read whole: streamed
  put('.move/owned.img', randomBytes(100), 0o644, 1_000_000);
  put('.move.work/dump.log', Buffer.from('log'));
  put('.move.pgid', Buffer.from('123'));
  put('snap1/inventory.img', randomBytes(300), 0o640);
  fs.mkdirSync(path.join(root, 'snap1', 'empty'), { mode: 0o700 });
}

async function pump(src: AsyncIterable<unknown> | Iterable<unknown>, sink: { write(b: Buffer): Promise<void>; end(): Promise<void> }, cut = 0): Promise<void> {
  for await (const c of src) {
    const b = c as Buffer;
    if (cut > 0) for (let at = 0; at < b.length; at += cut) await sink.write(b.subarray(at, at + cut));
    else await sink.write(b);
  }
  await sink.end();
}

describe('checkpoint-tar', () => {
  it('carries a checkpoints folder whole (names, sizes, bytes, owners, modes, mtimes), without what is excluded, the dump under its new name, however the stream is cut', async () => {
    const src = path.join(tmp, 'src');
    makeCheckpoints(src);
    const want = tree(src);
    for (const k of Object.keys(want)) {
      if (k.startsWith('.move.work') || k === '.move.pgid') delete want[k];
    }
    for (const k of Object.keys(want)) {
      if (k === '.move' || k.startsWith('.move/')) {
        want[`stop${k.slice('.move'.length)}`] = want[k]!;
        delete want[k];
      }
    }
    for (const cut of [0, 1000, 7]) {
      const dst = path.join(tmp, `dst-${cut}`);
      fs.mkdirSync(dst);
      const t = tarOfCheckpoints(src, ['./.move.work', './.move.pgid'], { from: '.move', to: 'stop' });
      await pump(t.data, untarCheckpointsInto(dst), cut);
      await t.done();
      expect(tree(dst)).toEqual(want);
    }
  });

  it('writes what GNU tar reads as the same archive, and reads what GNU tar writes', async () => {
    const src = path.join(tmp, 'src');
    makeCheckpoints(src);
    // Ours, listed by GNU tar: the same names (and owners) as GNU tar's own archive of the folder.
    const t = tarOfCheckpoints(src);
    const chunks: Buffer[] = [];
    for await (const c of t.data) chunks.push(c as Buffer);
    await t.done();
    const list = (input: Buffer): string[] => spawnSync('tar', ['--list', '--verbose', '--numeric-owner', '--file=-'], { input, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/).filter((_, i) => i !== 3 && i !== 4).join(' ')).sort();
    const gnu = spawnSync('tar', [...TAR_CREATE, src, '.'], { maxBuffer: 64 * MiB });
    expect(gnu.status).toBe(0);
    const ours = list(Buffer.concat(chunks));
    expect(ours.length).toBe(17); // the folder, 4 folders below it, 12 files
    expect(ours).toContain('-rw-r--r-- 1000000/1000000 100 ./.move/owned.img');
    expect(ours).toEqual(list(gnu.stdout));
    // GNU tar's archive (PAX headers for its xattrs and all), unpacked here: the same tree.
    const dst = path.join(tmp, 'dst');
    fs.mkdirSync(dst);
    await pump([gnu.stdout], untarCheckpointsInto(dst), 10_000);
    expect(tree(dst)).toEqual(tree(src));
  });

  it('with a FilePool, unpacks into its empty files (renamed into place) until it runs out, then makes files; the pool goes with dispose()', async () => {
    const src = path.join(tmp, 'src');
    makeCheckpoints(src);
    const dst = path.join(tmp, 'dst');
    fs.mkdirSync(dst);
    const pool = await FilePool.make(path.join(dst, '.pool'), 5);
    const inodes = new Set(fs.readdirSync(pool.dir).map((n) => fs.statSync(path.join(pool.dir, n)).ino));
    expect(inodes.size).toBe(5);
    const t = tarOfCheckpoints(src, ['./.move.work', './.move.pgid']);
    await pump(t.data, untarCheckpointsInto(dst, pool));
    expect(pool.size).toBe(0);
    expect(fs.readdirSync(pool.dir)).toEqual([]);
    // 10 files came: 5 of them are the pool's files, with the archive's bytes, owner and mode.
    const files = Object.keys(tree(dst)).filter((k) => !k.startsWith('.pool') && fs.statSync(path.join(dst, k)).isFile());
    expect(files).toHaveLength(10);
    expect(files.filter((k) => inodes.has(fs.statSync(path.join(dst, k)).ino))).toHaveLength(5);
    const want = tree(src);
    for (const [k, v] of Object.entries(tree(dst))) if (!k.startsWith('.pool')) expect(v).toBe(want[k]);
    await pool.dispose();
    expect(fs.existsSync(pool.dir)).toBe(false);
  });

  it('replaces files already there and keeps the others (the pages a page server wrote)', async () => {
    const src = path.join(tmp, 'src');
    fs.mkdirSync(path.join(src, 'stop'), { recursive: true });
    fs.writeFileSync(path.join(src, 'stop', 'core.img'), 'new');
    const dst = path.join(tmp, 'dst');
    fs.mkdirSync(path.join(dst, 'stop'), { recursive: true });
    fs.writeFileSync(path.join(dst, 'stop', 'core.img'), 'old and longer');
    fs.writeFileSync(path.join(dst, 'stop', 'pages-1.img'), 'pages');
    const t = tarOfCheckpoints(src);
    await pump(t.data, untarCheckpointsInto(dst));
    expect(fs.readFileSync(path.join(dst, 'stop', 'core.img'), 'utf8')).toBe('new');
    expect(fs.readFileSync(path.join(dst, 'stop', 'pages-1.img'), 'utf8')).toBe('pages');
  });

  it('does not send what is neither a folder nor a regular file, naming it', async () => {
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    fs.symlinkSync('/etc/passwd', path.join(src, 'link'));
    const t = tarOfCheckpoints(src);
    const read = (async () => { for await (const _ of t.data); })();
    await expect(read).rejects.toThrow(/link is neither a folder nor a regular file/);
    await expect(t.done()).rejects.toThrow(InvalidArgumentError);
  });

  it('refuses links, devices, hard links, names leaving the folder, and a link on the way, writing nothing outside', async () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['a symlink', await tarBuffer([[{ name: './stop/x', type: 'symlink', linkname: outside }]]), /entry '.\/stop\/x' is a symlink: checkpoint images are folders and regular files only/],
      ['a hard link', await tarBuffer([[{ name: './x', type: 'hardlink', linkname: '/etc/passwd' }]]), /is a hardlink/],
      ['a device', await tarBuffer([[{ name: './null', type: 'char', devmajor: 1, devminor: 3 }]]), /is a char/],
      ['..', await tarBuffer([[{ name: './stop/../../outside/x', type: 'file' }, Buffer.from('x')]]), /not a plain relative name/],
      ['absolute', await tarBuffer([[{ name: `${outside}/x`, type: 'file' }, Buffer.from('x')]]), /not a plain relative name/],
      ['not a tar', randomBytes(2048), /bad header checksum/],
      ['cut short', (await tarBuffer([[{ name: './f', type: 'file' }, randomBytes(5000)]])).subarray(0, 3000), /truncated/],
    ];
    for (const [what, archive, why] of cases) {
      const dst = path.join(tmp, `dst-${what}`);
      fs.mkdirSync(dst);
      await expect(pump([archive], untarCheckpointsInto(dst))).rejects.toThrow(why);
    }
    // A link already in the folder is not followed.
    const dst = path.join(tmp, 'dst-linked');
    fs.mkdirSync(dst);
    fs.symlinkSync(outside, path.join(dst, 'stop'));
    await expect(pump([await tarBuffer([[{ name: './stop/core.img', type: 'file' }, Buffer.from('x')]])], untarCheckpointsInto(dst))).rejects.toThrow(/stop is a link here/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
