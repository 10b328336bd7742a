import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shiftOwnership } from './idmap';

const root = process.getuid?.() === 0;

(root ? describe : describe.skip)('shiftOwnership (needs root)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-idmap-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('moves ids in range, keeps setuid bits, changes symlinks themselves, and shifts back', async () => {
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'd', 'suid'), 'x', { mode: 0o4755 });
    fs.chmodSync(path.join(dir, 'd', 'suid'), 0o4755);
    fs.writeFileSync(path.join(dir, 'user'), 'x');
    fs.chownSync(path.join(dir, 'user'), 1000, 100);
    fs.writeFileSync(path.join(dir, 'outside'), 'x');
    fs.chownSync(path.join(dir, 'outside'), 70_000, 70_000);
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
    const n = await shiftOwnership(dir, { from: 0, to: 1_000_000, size: 65_536 });
    expect(n).toBe(5); // dir, d, suid, user, link
    expect(fs.statSync(path.join(dir, 'd', 'suid'))).toMatchObject({ uid: 1_000_000, gid: 1_000_000 });
    expect(fs.statSync(path.join(dir, 'd', 'suid')).mode & 0o7777).toBe(0o4755);
    expect(fs.statSync(path.join(dir, 'user'))).toMatchObject({ uid: 1_001_000, gid: 1_000_100 });
    expect(fs.statSync(path.join(dir, 'outside')).uid).toBe(70_000);
    expect(fs.lstatSync(path.join(dir, 'link')).uid).toBe(1_000_000);
    expect(fs.statSync('/etc/passwd').uid).toBe(0);
    await shiftOwnership(dir, { from: 1_000_000, to: 0, size: 65_536 });
    expect(fs.statSync(path.join(dir, 'user'))).toMatchObject({ uid: 1000, gid: 100 });
    expect(fs.statSync(dir).uid).toBe(0);
  });
});
