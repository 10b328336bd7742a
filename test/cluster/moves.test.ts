/**
 * Cold moves between members of a three-member cluster (real berthd processes on test hosts,
 * real runc containers, volumes streamed over the members' mutual TLS): `berth move`, a move
 * whose target dies mid-stream, and `berth cluster evacuate` / `restore`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BERTH } from '../support/berthd';
import { BerthCluster, sleep, waitFor } from '../support/berth-cluster';

jest.setTimeout(300_000);

interface Listed { name: string; status: string; location: string }

let c: BerthCluster;

const runcStatus = (i: number, name: string): string | undefined => c.runc(i, name)?.status;

const instances = (i: number): Listed[] => c.instances(i);

const where = (name: string, on = 1): Listed | undefined => instances(on).find((x) => x.name === name);

/** What member i's agent holds of an instance: its record, its volume, its snapshots. */
function held(i: number, name: string): string[] {
  const d = c.dir(i);
  return [
    path.join(d, 'instances', `${name}.json`),
    path.join(d, 'storage', 'default', 'volumes', name),
    path.join(d, 'storage', 'default', 'snapshots', name),
  ].filter((p) => fs.existsSync(p)).map((p) => path.relative(d, p));
}

function staging(i: number): string[] {
  const s = path.join(c.dir(i), 'storage', 'default', '.staging');
  return fs.existsSync(s) ? fs.readdirSync(s) : [];
}

beforeAll(async () => {
  c = BerthCluster.create(3, 'move');
  await c.form(3);
});

afterAll(async () => {
  await c.destroy();
});

describe('cold moves', () => {
  it('moves a running instance with its files and snapshots; the source keeps nothing; bad requests change nothing', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'm1', '--target', 'member1']).code).toBe(0);
    expect(c.berth(1, ['exec', 'm1', '--', 'sh', '-c', 'echo kept-across-the-move > /root/note']).code).toBe(0);
    expect(c.berth(1, ['snapshot', 'm1', 's0']).code).toBe(0);
    expect(c.berth(1, ['exec', 'm1', '--', 'sh', '-c', 'echo after-snapshot > /root/note']).code).toBe(0);

    for (const [args, msg] of [
      [['move', 'm1', '--target', 'member1'], /on member1 already/],
      [['move', 'm1', '--target', 'nosuch'], /no member named "nosuch"/],
      [['move', 'nosuch', '--target', 'member2'], /instance "nosuch" not found/],
    ] as const) {
      const r = c.berth(3, [...args]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(msg);
    }
    expect(where('m1')).toMatchObject({ location: 'member1', status: 'Running' });

    const t0 = Date.now();
    const r = c.berth(3, ['move', 'm1', '--target', 'member2']);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/m1 moved to member2/);
    expect(r.out).toMatch(/\n {2}stop \d+\.\d\ds; volume \d+\.\d\ds \d+\.\dMiB\n/);
    console.log(`cold move of a running busybox instance: ${Date.now() - t0} ms`);
    expect(where('m1', 2)).toMatchObject({ location: 'member2', status: 'Running' });
    expect(runcStatus(2, 'm1')).toBe('running');
    expect(c.berth(2, ['exec', 'm1', '--', 'cat', '/root/note']).out).toBe('after-snapshot\n');
    // The snapshot came along, and restoring it on the new member gives its files back.
    expect(c.berth(1, ['restore', 'm1', 's0']).code).toBe(0);
    expect(c.berth(1, ['exec', 'm1', '--', 'cat', '/root/note']).out).toBe('kept-across-the-move\n');
    // The source removes its copy once the move has committed.
    await waitFor('member1 to drop its copy of m1', () => (held(1, 'm1').length === 0 && runcStatus(1, 'm1') === undefined ? true : undefined));
    expect(held(2, 'm1').sort()).toEqual(['instances/m1.json', 'storage/default/snapshots/m1', 'storage/default/volumes/m1']);
    const ops = JSON.parse(c.berth(1, ['operation', 'list', '--format', 'json']).out) as Array<{ description: string; status: string }>;
    expect(ops.find((o) => o.description === 'move m1 from member1 to member2')).toMatchObject({ status: 'success' });
  });

  it('a target killed mid-stream fails the move naming it; the instance runs again on the source; the target keeps nothing', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'big', '--target', 'member1']).code).toBe(0);
    // Enough bytes that the stream is still going when the target dies.
    expect(c.berth(1, ['exec', 'big', '--', 'sh', '-c', 'dd if=/dev/zero of=/root/big bs=1M count=400 2>/dev/null && echo still-here > /root/note']).code).toBe(0);
    const move = spawn(process.execPath, [BERTH, 'move', 'big', '--target', 'member3'], { env: { ...process.env, BERTH_DIR: c.dir(2) } });
    let err = '';
    move.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => move.on('exit', (code) => resolve(code)));
    // Member 3 is receiving: its staging area holds the import in progress.
    await waitFor('the import to start on member3', () => (staging(3).some((n) => n.startsWith('import-')) ? true : undefined), 60_000);
    await c.kill9(3);
    expect(await exited).not.toBe(0);
    expect(err).toMatch(/member3/);
    expect(err).toMatch(/moving big from member1 to member3/);
    // The source takes it back and starts it again, files and all.
    await waitFor('big running on member1 again', () => (where('big')?.status === 'Running' && where('big')?.location === 'member1' ? true : undefined), 60_000);
    expect(runcStatus(1, 'big')).toBe('running');
    expect(c.berth(1, ['exec', 'big', '--', 'cat', '/root/note']).out).toBe('still-here\n');
    // The target, back, holds nothing of it: no record, no volume, nothing in staging.
    await c.start(3);
    await waitFor('member3 back online', () => (c.list(1)?.find((m) => m.server_name === 'member3')?.status === 'Online' ? true : undefined), 60_000);
    expect(held(3, 'big')).toEqual([]);
    expect(staging(3)).toEqual([]);
    // And the same move, tried again with the target up, goes through (the leader takes a
    // moment to hear member3 again after its liveness key is back: "offline" until then).
    const again = await waitFor('the move to be taken', () => {
      const r = c.berth(1, ['move', 'big', '--target', 'member3']);
      return /cannot move to member3: offline/.test(r.err) ? undefined : r;
    }, 30_000);
    expect(again.err).toBe('');
    expect(c.berth(3, ['exec', 'big', '--', 'cat', '/root/note']).out).toBe('still-here\n');
    await waitFor('member1 to drop its copy of big', () => (held(1, 'big').length === 0 ? true : undefined));
    expect(c.berth(1, ['delete', 'big', '--force']).code).toBe(0);
  });

  it('a source killed mid-stream carries the move out when it comes back; the operation waits for it', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'big2', '--target', 'member1']).code).toBe(0);
    expect(c.berth(1, ['exec', 'big2', '--', 'sh', '-c', 'dd if=/dev/zero of=/root/big bs=1M count=400 2>/dev/null && echo survived > /root/note']).code).toBe(0);
    const move = spawn(process.execPath, [BERTH, 'move', 'big2', '--target', 'member2'], { env: { ...process.env, BERTH_DIR: c.dir(3) } });
    let out = '';
    let err = '';
    move.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    move.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => move.on('exit', (code) => resolve(code)));
    await waitFor('the import to start on member2', () => (staging(2).some((n) => n.startsWith('import-')) ? true : undefined), 60_000);
    await c.kill9(1);
    // The target drops what it had half-received; the move waits in the store for its source.
    await waitFor('member2 to drop the partial import', () => (staging(2).length === 0 ? true : undefined), 30_000);
    expect(held(2, 'big2')).toEqual([]);
    await c.start(1);
    // (Code and stderr together: a failure then says why.)
    expect({ code: await exited, err }).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/big2 moved to member2/);
    expect(where('big2', 3)).toMatchObject({ location: 'member2', status: 'Running' });
    // (All the exec said: it once answered nothing here, and its stderr was not seen.)
    const note = c.berth(2, ['exec', 'big2', '--', 'cat', '/root/note']);
    expect({ code: note.code, out: note.out, err: note.err }).toEqual({ code: 0, out: 'survived\n', err: '' });
    await waitFor('member1 to drop its copy of big2', () => (held(1, 'big2').length === 0 ? true : undefined));
    expect(c.berth(2, ['delete', 'big2', '--force']).code).toBe(0);
  });

  it('renames a stopped instance through any member; its owner renames the container; a running one is refused', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'r1', '--target', 'member3']).code).toBe(0);
    expect(c.berth(3, ['exec', 'r1', '--', 'sh', '-c', 'echo named > /root/note']).code).toBe(0);
    expect(c.berth(1, ['rename', 'r1', 'r2']).err).toMatch(/r1" is running: stop it before renaming it/);
    expect(c.berth(1, ['stop', 'r1']).code).toBe(0);
    expect(c.berth(1, ['rename', 'r1', 'm1']).err).toMatch(/instance "m1" already exists/);
    const r = c.berth(1, ['move', 'r1', 'r2']);
    expect(r.err).toBe('');
    expect(where('r2', 2)).toMatchObject({ location: 'member3', status: 'Stopped' });
    expect(where('r1', 2)).toBeUndefined();
    expect(held(3, 'r1')).toEqual([]);
    expect(c.berth(2, ['start', 'r2']).code).toBe(0);
    expect(runcStatus(3, 'r2')).toBe('running');
    expect(c.berth(2, ['exec', 'r2', '--', 'sh', '-c', 'hostname; cat /root/note']).out).toBe('r2\nnamed\n');
    expect(c.berth(2, ['delete', 'r2', '--force']).code).toBe(0);
  });

  it('copies an instance through any member: on its member, or onto another with --target; the copy is independent', async () => {
    expect(c.berth(1, ['launch', 'busybox', 'orig', '--target', 'member1']).code).toBe(0);
    expect(c.berth(1, ['exec', 'orig', '--', 'sh', '-c', 'echo original > /root/note']).code).toBe(0);
    const same = c.berth(2, ['copy', 'orig', 'copy1']);
    expect(same.err).toBe('');
    expect(where('copy1')).toMatchObject({ location: 'member1', status: 'Stopped' });
    const there = c.berth(3, ['copy', 'orig', 'copy2', '--target', 'member3', '-c', 'user.copied=yes']);
    expect(there.err).toBe('');
    expect(where('copy2')).toMatchObject({ location: 'member3', status: 'Stopped' });
    // member1 made it and moved it: its own copy goes right after the move committed.
    await waitFor('member1 to drop its copy of copy2', () => (held(1, 'copy2').length === 0 ? true : undefined));
    expect(c.berth(1, ['copy', 'nosuch', 'copy3']).err).toMatch(/instance "nosuch" not found/);
    expect(c.berth(1, ['copy', 'orig', 'copy1']).err).toMatch(/instance "copy1" already exists/);
    for (const n of ['copy1', 'copy2']) expect(c.berth(2, ['start', n]).code).toBe(0);
    expect(c.berth(3, ['exec', 'copy2', '--', 'cat', '/root/note']).out).toBe('original\n');
    expect(c.berth(1, ['exec', 'copy1', '--', 'sh', '-c', 'echo changed > /root/note']).code).toBe(0);
    expect(c.berth(1, ['exec', 'orig', '--', 'cat', '/root/note']).out).toBe('original\n');
    expect(c.berth(1, ['config', 'get', 'copy2', 'user.copied']).out).toBe('yes\n');
    for (const n of ['orig', 'copy1', 'copy2']) expect(c.berth(2, ['delete', n, '--force']).code).toBe(0);
  });

  it('evacuate moves instances off a member (or stops those that ask for it) and placement passes it by; restore brings them back', async () => {
    expect(c.berth(2, ['launch', 'busybox', 'e1', '--target', 'member2']).code).toBe(0);
    expect(c.berth(2, ['launch', 'busybox', 'e2', '--target', 'member2', '-c', 'cluster.evacuate=stop']).code).toBe(0);
    expect(c.berth(2, ['exec', 'e1', '--', 'sh', '-c', 'echo e1-data > /root/note']).code).toBe(0);
    const asked = c.berth(1, ['cluster', 'evacuate', 'member2']);
    expect(asked.code).not.toBe(0); // no terminal, no --yes: not done
    expect(asked.err).toMatch(/not done/);
    expect(c.list(1)!.find((m) => m.server_name === 'member2')?.status).toBe('Online');

    const ev = c.berth(1, ['cluster', 'evacuate', 'member2', '--yes']);
    expect(ev.err).toBe('');
    expect(ev.out).toMatch(/member2 evacuated \(2 moved, 1 stopped\)/);
    expect(c.list(3)!.find((m) => m.server_name === 'member2')?.status).toBe('Evacuated');
    const after = instances(3);
    for (const n of ['m1', 'e1']) {
      const i = after.find((x) => x.name === n)!;
      expect(i.status).toBe('Running');
      expect(['member1', 'member3']).toContain(i.location);
    }
    expect(after.find((x) => x.name === 'e2')).toMatchObject({ location: 'member2', status: 'Stopped' });
    expect(c.berth(3, ['exec', 'e1', '--', 'cat', '/root/note']).out).toBe('e1-data\n');
    // New instances go elsewhere while it is evacuated, even though it has the fewest.
    for (const n of ['n1', 'n2']) expect(c.berth(1, ['launch', 'busybox', n]).out).not.toMatch(/on member2/);
    const dry = c.berth(1, ['move', 'n1', '--target', 'member2']);
    expect(dry.err).toMatch(/member2 is evacuated/);

    const rs = c.berth(3, ['cluster', 'restore', 'member2', '--yes']);
    expect(rs.err).toBe('');
    expect(rs.out).toMatch(/member2 restored \(3 instance\(s\) back\)/);
    const back = instances(1);
    for (const n of ['m1', 'e1', 'e2']) expect(back.find((x) => x.name === n)).toMatchObject({ location: 'member2', status: 'Running' });
    expect(c.berth(2, ['exec', 'e1', '--', 'cat', '/root/note']).out).toBe('e1-data\n');
    expect(c.list(1)!.find((m) => m.server_name === 'member2')?.status).toBe('Online');
    await sleep(0);
  });
});
