// deploy/criu-tar.c, as setup-host built it (npm test runs setup-host first): the `tar` first
// on CRIU's PATH. For CRIU's own command lines it makes an empty folder's archive, and unpacks
// one, itself; what it makes, GNU tar reads back the same; anything else (a folder with files,
// an archive of GNU tar's, a damaged one) goes to GNU tar untouched. Checked against the real
// GNU tar, on real folders, with what ends on disk (mode, owner, mtime, content).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { criuTarDir, criuToolEnv } from '@berth/node-agent';

const CREATE = ['--create', '--gzip', '--no-unquote', '--no-wildcards', '--one-file-system', '--check-links', '--preserve-permissions', '--sparse', '--numeric-owner', '--directory', '/proc/self/fd/0', '.'];
const EXTRACT = (dir: string, sameOwner = true): string[] => ['--extract', '--gzip', '--no-unquote', '--no-wildcards', ...(sameOwner ? [] : ['--no-same-owner']), '--directory', dir];

/** Runs `tar` (this tool, or GNU tar) with `input` opened as its fd 0, as CRIU does; stdout to `output`. */
function tar(tool: string, args: string[], input: string, output?: string): { status: number | null; stderr: string } {
  const inFd = fs.openSync(input, 'r');
  const outFd = output ? fs.openSync(output, 'w') : 'ignore';
  try {
    const r = spawnSync(tool, args, { stdio: [inFd, outFd, 'pipe'], encoding: 'utf8', timeout: 20_000, argv0: 'tar' });
    return { status: r.status, stderr: r.stderr };
  } finally {
    fs.closeSync(inFd);
    if (typeof outFd === 'number') fs.closeSync(outFd);
  }
}

function statOf(dir: string): string {
  const st = fs.statSync(dir);
  return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${Math.floor(st.mtimeMs / 1000)}`;
}

describe('criu-tar (the tar on CRIU\'s PATH)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-criu-tar-'));
  const shim = (): string => path.join(criuTarDir()!, 'tar');
  const mk = (name: string, mode = 0o755): string => {
    const d = path.join(work, name);
    fs.mkdirSync(d);
    fs.chmodSync(d, mode);
    return d;
  };

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('is built on this host, and first on the PATH berth gives CRIU', () => {
    expect(criuTarDir()).toMatch(/criu-bin$/);
    expect(criuToolEnv()['PATH']!.split(':')[0]).toBe(criuTarDir());
  });

  it('archives an empty folder itself, and GNU tar unpacks it to the same mode, owner and mtime', () => {
    const empty = mk('empty', 0o1777);
    fs.chownSync(empty, 1234, 5678);
    fs.utimesSync(empty, 1_600_000_000, 1_600_000_000);
    const archive = path.join(work, 'empty.tgz');
    const r = tar(shim(), CREATE, empty, archive);
    expect(r).toEqual({ status: 0, stderr: '' });
    // Its own archive (one stored gzip block: 10 KiB of tar + 23 bytes), not GNU tar's (~100 bytes).
    expect(fs.statSync(archive).size).toBe(10240 + 23);
    const list = spawnSync('tar', ['-tzvf', archive, '--numeric-owner'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    expect(list.stdout.trim()).toMatch(/^drwxrwxrwt 1234\/5678 +0 2020-09-13 12:26 \.\/$/);
    const byGnu = mk('by-gnu');
    expect(tar('tar', EXTRACT(byGnu), archive).status).toBe(0);
    expect(statOf(byGnu)).toBe(statOf(empty));
    // ... and unpacks it itself, the same way.
    const byShim = mk('by-shim');
    expect(tar(shim(), EXTRACT(byShim), archive)).toEqual({ status: 0, stderr: '' });
    expect(statOf(byShim)).toBe(statOf(empty));
    expect(fs.readdirSync(byShim)).toEqual([]);
    // --no-same-owner (CRIU's nested user namespaces): the owner is left as it is.
    const noOwner = mk('no-owner');
    expect(tar(shim(), EXTRACT(noOwner, false), archive).status).toBe(0);
    expect(statOf(noOwner)).toBe(`1777 0:0 1600000000`);
  });

  it('leaves a folder with files, and GNU tar\'s archives, to GNU tar', () => {
    const full = mk('full');
    fs.writeFileSync(path.join(full, 'a'), 'hello');
    fs.mkdirSync(path.join(full, 'sub'));
    fs.writeFileSync(path.join(full, 'sub', 'b'), 'world');
    const archive = path.join(work, 'full.tgz');
    expect(tar(shim(), CREATE, full, archive).status).toBe(0);
    const list = spawnSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    expect(list.stdout.trim().split('\n').sort()).toEqual(['./', './a', './sub/', './sub/b']);
    const out = mk('full-out');
    expect(tar(shim(), EXTRACT(out), archive)).toEqual({ status: 0, stderr: '' });
    expect(fs.readFileSync(path.join(out, 'a'), 'utf8')).toBe('hello');
    expect(fs.readFileSync(path.join(out, 'sub', 'b'), 'utf8')).toBe('world');
    // An empty folder's archive made by GNU tar (deflated, not stored): GNU tar unpacks it.
    const empty = mk('empty2', 0o700);
    const gnu = path.join(work, 'gnu-empty.tgz');
    expect(tar('tar', CREATE, empty, gnu).status).toBe(0);
    const out2 = mk('gnu-out');
    expect(tar(shim(), EXTRACT(out2), gnu).status).toBe(0);
    expect(statOf(out2)).toBe(statOf(empty));
  });

  it('leaves to GNU tar what its own header cannot say: owners beyond its octal fields, another header', () => {
    // An owner above 07777777 (GNU tar writes base-256 there): GNU tar's archive, the owner kept.
    const big = mk('big-owner');
    fs.chownSync(big, 3_000_000, 3_000_001);
    const bigTar = path.join(work, 'big.tgz');
    expect(tar(shim(), CREATE, big, bigTar).status).toBe(0);
    expect(fs.statSync(bigTar).size).not.toBe(10240 + 23);
    const out = mk('big-out');
    expect(tar(shim(), EXTRACT(out), bigTar).status).toBe(0);
    expect(statOf(out).split(' ')[1]).toBe('3000000:3000001');
    // Its own archive with owner names added (as GNU tar would write without --numeric-owner),
    // still one stored gzip block with a right CRC: not its own header, so GNU tar unpacks it,
    // and GNU tar gives the owner by name (root), not the numbers 1234:5678.
    const named = mk('named', 0o750);
    fs.chownSync(named, 1234, 5678);
    const ownTar = path.join(work, 'own.tgz');
    expect(tar(shim(), CREATE, named, ownTar).status).toBe(0);
    const t = zlib.gunzipSync(fs.readFileSync(ownTar));
    t.write('root', 265, 'latin1');
    t.write('root', 297, 'latin1');
    t.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += t[i]!;
    t.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const craftedTar = path.join(work, 'crafted.tgz');
    fs.writeFileSync(craftedTar, zlib.gzipSync(t, { level: 0 }));
    expect(fs.statSync(craftedTar).size).toBe(10240 + 23);
    const out2 = mk('crafted-out', 0o755);
    expect(tar(shim(), EXTRACT(out2), craftedTar).status).toBe(0);
    expect(statOf(out2).split(' ').slice(0, 2).join(' ')).toBe('750 0:0');
  });

  it('hands a damaged archive to GNU tar, which refuses it (nothing applied)', () => {
    const empty = mk('empty3', 0o750);
    const archive = path.join(work, 'bad.tgz');
    expect(tar(shim(), CREATE, empty, archive).status).toBe(0);
    const bytes = fs.readFileSync(archive);
    bytes[115] = bytes[115]! ^ 0x01; // the mode field (15 bytes of gzip framing + 100): the gzip CRC-32 no longer matches
    fs.writeFileSync(archive, bytes);
    const out = mk('bad-out', 0o755);
    const r = tar(shim(), EXTRACT(out), archive);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/crc|invalid|gzip/i);
    expect(statOf(out).split(' ')[0]).toBe('755');
  });
});
