import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Shifts file ownership of a tree: every uid/gid in [from, from+size) becomes
 * to + (id - from); ids outside the range are left alone. This is what makes a rootfs
 * unpacked as host root usable by an unprivileged container (LXD's "shifting" of a
 * fresh rootfs when no idmapped mounts or shiftfs are used).
 *
 * chown clears setuid/setgid bits on regular files, so the mode is written back after.
 * Symlinks are changed themselves (lchown), never followed; the walk stays on the tree's
 * own filesystem (mount points inside are skipped). File capabilities (security.capability
 * xattrs) are not rewritten: they stop working until re-set inside the container.
 * Returns how many entries it changed.
 */
export async function shiftOwnership(root: string, range: { from: number; to: number; size: number }): Promise<number> {
  const { from, to, size } = range;
  const map = (id: number): number => (id >= from && id < from + size ? to + (id - from) : id);
  const rootDev = (await fs.lstat(root)).dev;
  let changed = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await fs.lstat(p);
    if (st.dev !== rootDev) return;
    const uid = map(st.uid);
    const gid = map(st.gid);
    if (uid !== st.uid || gid !== st.gid) {
      await fs.lchown(p, uid, gid);
      if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) await fs.chmod(p, st.mode & 0o7777);
      changed += 1;
    }
    if (st.isDirectory()) {
      for (const e of await fs.readdir(p)) await visit(path.join(p, e));
    }
  };
  await visit(root);
  return changed;
}
