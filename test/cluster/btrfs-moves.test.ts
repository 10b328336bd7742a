/**
 * Moves between two members whose pools are btrfs (issue 6, point 1): the volume travels as
 * `btrfs send` (the target takes the first format both can do), live and cold; a move to a
 * dir pool falls back to tar (migration.test.ts covers dir to dir).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthCluster, readCounter, sleep, waitFor } from '../support/berth-cluster';

jest.setTimeout(600_000);

let c: BerthCluster;

const where = (name: string): { status: string; location: string } | undefined => c.instances(1).find((x) => x.name === name);
const volume = (i: number, name: string): string => path.join(c.dir(i), 'storage', 'default', 'volumes', name);

beforeAll(async () => {
  c = BerthCluster.create(2, 'btrfsmv', ['--storage', 'btrfs']);
  await c.form(2);
});

afterAll(async () => {
  await c.destroy();
});

describe('moves between btrfs pools', () => {
  it('a live move sends the volume with btrfs send; the instance runs on with its files and memory', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'bt', '--target', 'member1', '-c', 'migration.stateful=true']).err).toBe('');
    expect(c.berth(1, ['exec', 'bt', '--', 'sh', '-c', 'echo kept > /root/file; (i=0; while :; do i=$((i+1)); echo $i > /root/n; sleep 0.05; done) </dev/null >/dev/null 2>&1 &']).code).toBe(0);
    await waitFor('the loop', () => (readCounter(path.join(volume(1, 'bt'), 'root', 'n')) > 20 ? true : undefined));
    const r = c.berth(1, ['move', 'bt', '--target', 'member2']);
    expect(r.err).toBe('');
    // (Both members have lazy pages: auto is post-copy, its memory pulled after the restore.)
    expect(r.out).toMatch(/bt moved to member2 \(post-copy\)/);
    // The source's own account: the first pass went as btrfs send (its output read once the
    // event loop, blocked by the CLI call, has taken it in).
    await sleep(300);
    expect(c.procs.get(1)!.output()).toMatch(/live move bt to member2 \(volume as btrfs[,)]/);
    expect(where('bt')).toMatchObject({ location: 'member2', status: 'Running' });
    // A subvolume on the target (its root folder's inode is 256), with the file, and the loop
    // counting on from where it was.
    expect(fs.statSync(volume(2, 'bt')).ino).toBe(256);
    expect(fs.readFileSync(path.join(volume(2, 'bt'), 'root', 'file'), 'utf8')).toBe('kept\n');
    const n0 = readCounter(path.join(volume(2, 'bt'), 'root', 'n'));
    await sleep(500);
    expect(readCounter(path.join(volume(2, 'bt'), 'root', 'n'))).toBeGreaterThan(n0);
    expect(n0).toBeGreaterThan(20);
  });

  it('a cold move sends it with btrfs send too, snapshots and all', async () => {
    expect(c.berth(1, ['stop', 'bt', '--force']).code).toBe(0);
    expect(c.berth(1, ['snapshot', 'bt', 's1']).code).toBe(0);
    expect(c.berth(1, ['exec', 'bt', '--', 'true']).code).not.toBe(0); // stopped
    const r = c.berth(1, ['move', 'bt', '--target', 'member1']);
    expect(r.err).toBe('');
    expect(where('bt')).toMatchObject({ location: 'member1', status: 'Stopped' });
    await sleep(300);
    expect(c.procs.get(2)!.output()).toMatch(/cold move bt to member1 \(volume as btrfs, on a data link\)/);
    expect(fs.statSync(volume(1, 'bt')).ino).toBe(256);
    expect(fs.readFileSync(path.join(volume(1, 'bt'), 'root', 'file'), 'utf8')).toBe('kept\n');
    expect(c.berth(1, ['start', 'bt']).code).toBe(0);
    expect(c.berth(1, ['exec', 'bt', '--', 'cat', '/root/file']).out).toBe('kept\n');
    expect(c.berth(1, ['delete', 'bt', '--force']).code).toBe(0);
  });
});
