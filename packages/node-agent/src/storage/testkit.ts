import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Helpers for the storage tests: folders marked berth-test (test/support/leftovers.ts finds
 * them), a small root filesystem with everything a container's root holds, a manifest that
 * says whether two trees are the same, and a cleanup that removes mounts and loop devices
 * under a test folder even when the test failed half-way.
 */
export const STORAGE_TEST_PREFIX = 'berth-test-storage-';

export async function makeTestDir(what: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `${STORAGE_TEST_PREFIX}${what}-`));
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message || r.status}`);
  return r.stdout;
}

/** Unmounts everything under `dir` (deepest first), detaches loop devices backed by files under it, removes it. */
export function removeTestDir(dir: string): string[] {
  const found: string[] = [];
  const mounts = fsSync.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
  for (const mp of mounts) {
    found.push(`mount ${mp}`);
    spawnSync('umount', ['-l', mp]);
  }
  const loops = spawnSync('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of loops.split('\n')) {
    const [dev, back] = line.trim().split(' ');
    if (dev && back && back.startsWith(`${dir}/`)) {
      found.push(`loop ${dev}`);
      spawnSync('losetup', ['-d', dev]);
    }
  }
  fsSync.rmSync(dir, { recursive: true, force: true });
  return found;
}

export const CONTAINER_UID = 1_000_000;

export const havePython = fsSync.existsSync('/usr/bin/python3');

export function setXattr(p: string, name: string, value: string): void {
  sh('/usr/bin/python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)', p, name, value]);
}

/**
 * A busybox-sized root filesystem, owned by the container's unprivileged range as an
 * unprivileged container's root is: busybox and its applet symlinks, /etc, a hard link pair,
 * device nodes, a fifo, a setuid file, a file with a capability and a user xattr, files of
 * other container uids, a sparse file, and `extraBytes` of random data in /var/data.
 */
export async function makeRootfs(dir: string, extraBytes = 0): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const d of ['bin', 'sbin', 'etc', 'dev', 'proc', 'sys', 'tmp', 'root', 'home/user', 'var/data', 'usr/bin']) await fs.mkdir(path.join(dir, d), { recursive: true });
  await fs.copyFile('/usr/bin/busybox', path.join(dir, 'bin/busybox'));
  await fs.chmod(path.join(dir, 'bin/busybox'), 0o755);
  const applets = sh('/usr/bin/busybox', ['--list']).split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) await fs.symlink('/bin/busybox', path.join(dir, 'bin', a));
  await fs.writeFile(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
  await fs.writeFile(path.join(dir, 'etc/hostname'), 'c1\n');
  await fs.link(path.join(dir, 'etc/passwd'), path.join(dir, 'etc/passwd.hardlink'));
  sh('mknod', ['-m', '666', path.join(dir, 'dev/null'), 'c', '1', '3']);
  sh('mknod', ['-m', '660', path.join(dir, 'dev/loop9'), 'b', '7', '9']);
  sh('mkfifo', [path.join(dir, 'dev/fifo')]);
  await fs.writeFile(path.join(dir, 'usr/bin/su'), '#!/bin/sh\n');
  await fs.writeFile(path.join(dir, 'usr/bin/ping'), '#!/bin/sh\n');
  await fs.writeFile(path.join(dir, 'home/user/notes'), 'mine\n');
  const sparse = await fs.open(path.join(dir, 'var/sparse'), 'w');
  await sparse.truncate(16 * 2 ** 20);
  await sparse.write(Buffer.from('end'), 0, 3, 16 * 2 ** 20 - 3);
  await sparse.close();
  if (extraBytes > 0) {
    const chunk = 4 * 2 ** 20;
    for (let i = 0, left = extraBytes; left > 0; i++, left -= chunk) {
      await fs.writeFile(path.join(dir, `var/data/blob${i}`), randomBytes(Math.min(chunk, left)));
    }
  }
  // Unprivileged container: container root is host uid 1000000, container user 1000 is 1001000.
  sh('chown', ['-R', '-h', `${CONTAINER_UID}:${CONTAINER_UID}`, dir]);
  sh('chown', ['-R', '-h', `${CONTAINER_UID + 1000}:${CONTAINER_UID + 1000}`, path.join(dir, 'home/user')]);
  await fs.chmod(path.join(dir, 'usr/bin/su'), 0o4755);
  await fs.chmod(path.join(dir, 'tmp'), 0o1777);
  await fs.chmod(path.join(dir, 'root'), 0o700);
  sh('setcap', ['cap_net_raw+ep', path.join(dir, 'usr/bin/ping')]);
  if (havePython) setXattr(path.join(dir, 'etc/hostname'), 'user.berth', 'kept');
}

/**
 * What makes two trees the same for a container: per entry its type, mode, owner, size,
 * content digest, link target, device number, hard-link group and xattrs. Not times.
 */
export async function manifest(root: string): Promise<string[]> {
  const lines: string[] = [];
  const inodes = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const p = path.join(root, rel);
    const st = await fs.lstat(p);
    const type = st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : 's';
    let extra = '';
    if (type === 'f') {
      extra = createHash('sha256').update(await fs.readFile(p)).digest('hex').slice(0, 16);
      if (st.nlink > 1) {
        const key = `${st.ino}`;
        const first = inodes.get(key);
        if (first) extra += ` hardlink=${first}`;
        else inodes.set(key, rel);
      }
    } else if (type === 'l') extra = `-> ${await fs.readlink(p)}`;
    else if (type === 'c' || type === 'b') extra = `rdev=${st.rdev}`;
    lines.push(`${rel || '.'} ${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${type === 'f' ? st.size : ''} ${extra}`.trimEnd());
    if (type === 'd') for (const n of (await fs.readdir(p)).sort()) await walk(rel ? `${rel}/${n}` : n);
  };
  await walk('');
  if (havePython) {
    const out = sh('/usr/bin/python3', ['-c', `
import os, sys
root = sys.argv[1]
for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files) + ([] if d != root else ['.']):
        p = os.path.join(d, n) if n != '.' else root
        try:
            names = sorted(os.listxattr(p, follow_symlinks=False))
        except OSError:
            continue
        for x in names:
            print(os.path.relpath(p, root), x, os.getxattr(p, x, follow_symlinks=False).hex())
`, root]);
    for (const l of out.split('\n').filter(Boolean)) lines.push(`xattr ${l}`);
  }
  return lines;
}

/** Milliseconds an async call takes. */
export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t0) / 1e6];
}

/** cp -a of a tree's content into an existing folder (fs.cp cannot copy fifos or devices). */
export function copyTree(src: string, dst: string): Promise<void> {
  sh('cp', ['-a', '--no-target-directory', src, dst]);
  return Promise.resolve();
}
