// deploy/criu-file-pool.c, as setup-host built it (npm test runs setup-host first): preloaded
// into a program that makes files with openat(dirfd, name, O_CREAT...) as CRIU makes its
// images, a new file in the images folder named by BERTH_CRIU_FILE_POOL_FOR is one of the
// pool's empty files renamed into place (its inode), with the mode asked for; a file that is
// there is never replaced (O_EXCL still fails), other folders and a used-up pool make files as
// usual, and without the variables nothing changes. Real files, through the C library's openat
// (a small C program built here with the host's compiler, as setup-host builds the helpers).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { criuFilePoolLib, criuKdatCacheLib } from '@berth/node-agent';

/** argv: folder, then names; for each, "name:fd-or-errno:mode" (mode of the file made). */
const PROGRAM = `
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (dir < 0) { perror("open dir"); return 2; }
  umask(022);
  for (int i = 2; i < argc; i++) {
    const char *name = argv[i];
    int excl = name[0] == '!';
    if (excl) name++;
    int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | (excl ? O_EXCL : 0), 0664);
    if (fd < 0) { printf("%s:%s\\n", name, strerror(errno)); continue; }
    struct stat st;
    fstat(fd, &st);
    write(fd, name, strlen(name));
    close(fd);
    printf("%s:ok:%o\\n", name, st.st_mode & 07777);
  }
  return 0;
}
`;

describe('criu-file-pool (preloaded into a live move\'s CRIU dump)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-file-pool-'));
  const prog = path.join(tmp, 'make-files');
  const images = path.join(tmp, 'images');
  const pool = path.join(tmp, 'images.pool');
  const other = path.join(tmp, 'other');

  beforeAll(() => {
    fs.writeFileSync(`${prog}.c`, PROGRAM);
    const cc = spawnSync('cc', ['-O2', '-o', prog, `${prog}.c`], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc: ${cc.stderr}`);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** A fresh images folder and a pool of n empty files: their inodes, by name. */
  const fresh = (n: number): number[] => {
    for (const d of [images, pool, other]) {
      fs.rmSync(d, { recursive: true, force: true });
      fs.mkdirSync(d);
    }
    return Array.from({ length: n }, (_, i) => {
      fs.writeFileSync(path.join(pool, String(i)), '');
      return fs.statSync(path.join(pool, String(i))).ino;
    });
  };
  const run = (dir: string, names: string[], env: Record<string, string>): string[] => {
    const r = spawnSync(prog, [dir, ...names], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make-files: ${r.stderr}`);
    return r.stdout.trim().split('\n');
  };
  const vars = (size: number): Record<string, string> => ({ BERTH_CRIU_FILE_POOL: pool, BERTH_CRIU_FILE_POOL_SIZE: String(size), BERTH_CRIU_FILE_POOL_FOR: images });

  it('is built on this host', () => {
    expect(criuFilePoolLib()).toMatch(/criu-file-pool\.so$/);
  });

  it('makes new files in the images folder from the pool, in order, with the mode asked for, until it is used up', () => {
    const inodes = fresh(3);
    fs.writeFileSync(path.join(images, 'there.img'), 'old');
    const before = fs.statSync(path.join(images, 'there.img')).ino;
    const said = run(images, ['a.img', 'b.img', 'there.img', '!there.img', 'c.img', 'd.img'], { LD_PRELOAD: criuFilePoolLib()!, ...vars(3) });
    // 0664 less the umask 022: 0644, as a file the kernel made.
    expect(said).toEqual(['a.img:ok:644', 'b.img:ok:644', 'there.img:ok:644', 'there.img:File exists', 'c.img:ok:644', 'd.img:ok:644']);
    const ino = (n: string): number => fs.statSync(path.join(images, n)).ino;
    expect([ino('a.img'), ino('b.img'), ino('c.img')]).toEqual(inodes);
    expect(ino('there.img')).toBe(before); // opened where it was, never replaced
    expect(inodes).not.toContain(ino('d.img')); // the pool was used up: made as usual
    expect(fs.readFileSync(path.join(images, 'a.img'), 'utf8')).toBe('a.img');
    expect(fs.readdirSync(pool)).toEqual([]);
  });

  it('leaves other folders, and everything without its variables, to the kernel; stacked with criu-kdat-cache.so it still works', () => {
    const inodes = fresh(2);
    run(other, ['x.img'], { LD_PRELOAD: criuFilePoolLib()!, ...vars(2) });
    run(images, ['y.img'], { LD_PRELOAD: criuFilePoolLib()! });
    expect(fs.readdirSync(pool).sort()).toEqual(['0', '1']);
    expect(inodes).not.toContain(fs.statSync(path.join(other, 'x.img')).ino);
    expect(inodes).not.toContain(fs.statSync(path.join(images, 'y.img')).ino);
    const stacked = [criuKdatCacheLib(), criuFilePoolLib()].filter(Boolean).join(':');
    run(images, ['z.img'], { LD_PRELOAD: stacked, ...vars(2) });
    expect(inodes).toContain(fs.statSync(path.join(images, 'z.img')).ino);
  });
});
