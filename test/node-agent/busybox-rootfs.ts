import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A minimal system-container rootfs from the host's busybox-static: /sbin/init is busybox
 * init, whose inittab keeps one respawned `sleep` so init has something to supervise.
 * Owned by host root, as an image unpack leaves it (the driver shifts it).
 */
export function makeBusyboxRootfs(dir: string, opts: { withInit?: boolean } = {}): string {
  for (const d of ['bin', 'sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'run', 'mnt']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    const p = path.join(dir, 'bin', a);
    if (!fs.existsSync(p)) fs.symlinkSync('busybox', p);
  }
  if (opts.withInit !== false) fs.symlinkSync('../bin/busybox', path.join(dir, 'sbin', 'init'));
  fs.writeFileSync(path.join(dir, 'etc', 'inittab'), '::respawn:/bin/sleep 3600\n');
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  return dir;
}
