/**
 * `berth cluster recover`: three berthd members on test hosts, two of them killed for good;
 * the survivor, stopped, is recovered offline and leads alone with everything it held; the
 * dead members are then removed with `berth cluster remove --force`.
 */
import { spawnSync } from 'node:child_process';
import { BERTH } from '../support/berthd';
import { BerthCluster, waitFor } from '../support/berth-cluster';

jest.setTimeout(240_000);

interface Listed { name: string; status: string; location: string }

let c: BerthCluster;

beforeAll(() => {
  c = BerthCluster.create(3, 'recover');
});

afterAll(async () => {
  await c.destroy();
});

/** The CLI on member i's folder with `input` on its stdin (the confirmation). */
function berthWithInput(i: number, args: string[], input: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: c.dir(i) }, input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const instances = (i: number): Listed[] => c.instances(i, 30_000);

describe('berth cluster recover', () => {
  it('rebuilds a working cluster from the survivor of a lost majority; the lost members are removed with --force', async () => {
    const t0 = Date.now();
    await c.form(3);
    const formed = Date.now();
    // Acknowledged writes before the loss: an instance on the survivor, one on a member that
    // will be lost, a config change, and a join token.
    for (const [name, at] of [['keep1', 'member1'], ['lost2', 'member2']] as const) {
      const r = c.berth(1, ['launch', 'busybox', name, '--target', at]);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`Launched ${name} from busybox on ${at}`));
    }
    expect(c.berth(3, ['config', 'set', 'keep1', 'limits.memory=96MiB']).code).toBe(0);
    expect(c.berth(2, ['cluster', 'add', 'member7']).code).toBe(0);
    const written = Date.now();

    // Two members lost for good.
    await c.kill9(2);
    await c.kill9(3);
    const w = c.berth(1, ['cluster', 'add', 'member8']);
    expect(w.code).not.toBe(0);
    expect(w.err).toMatch(/no quorum: 2 of 3 voters unreachable/);

    // Offline only: refused while berthd runs on the folder.
    const running = c.berth(1, ['cluster', 'recover', '--yes'], 60_000);
    expect(running.code).not.toBe(0);
    expect(running.err).toMatch(/berthd \(pid \d+\) is running on .*: stop it first/);
    const p = c.procs.get(1)!;
    p.proc.kill('SIGTERM');
    await p.exited;

    // Asked and answered no: nothing changes. Then --yes.
    const no = berthWithInput(1, ['cluster', 'recover'], 'no\n');
    expect(no.code).not.toBe(0);
    expect(no.out).toMatch(/Do you want to proceed\? \(yes\/no\)/);
    expect(no.err).toMatch(/recovery cancelled: nothing was changed/);
    const rec = c.berth(1, ['cluster', 'recover', '--yes'], 60_000);
    expect(rec.err).toBe('');
    expect(rec.code).toBe(0);
    // The plan names the voters before (ordered by their random ids) and after.
    expect(rec.out).toMatch(/ {15}voters member\d \(\d+\), member\d \(\d+\), member\d \(\d+\); learners none/);
    expect(rec.out).toMatch(/would become: +term \d+, commit \d+; voters member1 \(\d+\); learners none/);
    expect(rec.out).toMatch(/Recovered: member1 is the only voter/);
    const recovered = Date.now();

    await c.start(1);
    // It leads alone; the lost members are still listed, Offline.
    const ms = await waitFor('member1 leading, the lost members offline', () => {
      const l = c.list(1);
      return l && l.find((m) => m.server_name === 'member1' && m.leader && m.roles.includes('voter') && m.status === 'Online') &&
        l.filter((m) => m.status === 'Offline').length === 2 ? l : undefined;
    }, 60_000);
    expect(ms.map((m) => m.server_name)).toEqual(['member1', 'member2', 'member3']);
    expect(ms.filter((m) => m.roles.includes('voter')).map((m) => m.server_name)).toEqual(['member1']);
    const led = Date.now();

    // Everything acknowledged before the loss is there.
    const listed = instances(1);
    expect(listed.map((i) => [i.name, i.location])).toEqual([['keep1', 'member1'], ['lost2', 'member2']]);
    expect(listed.find((i) => i.name === 'keep1')!.status).toBe('Running');
    const info = c.berth(1, ['info', 'keep1', '--format', 'json']);
    expect(JSON.parse(info.out).config['limits.memory']).toBe('96MiB');
    expect(c.berth(1, ['cluster', 'add', 'member7']).err).toMatch(/already has a join token/);
    // Writes work.
    expect(c.berth(1, ['cluster', 'add', 'member8']).code).toBe(0);
    expect(c.berth(1, ['config', 'set', 'keep1', 'limits.memory=128MiB']).code).toBe(0);

    // An instance on a lost member cannot be deleted (only its member deletes the container):
    // a clear refusal, not a wait; `cluster remove --force` drops its records below.
    expect(c.berth(1, ['delete', 'lost2'], 30_000).err).toMatch(/instance "lost2" is running: stop it first or use --force/);
    const del = c.berth(1, ['delete', '--force', 'lost2'], 30_000);
    expect(del.code).toBe(1);
    expect(del.err).toMatch(/instance "lost2" is on member member2, which is offline: .* `berth cluster remove --force member2` drops the records of its instances/);
    // The lost members go with --force (lost2's record with member2); member1 alone is left.
    for (const name of ['member2', 'member3']) {
      const r = c.berth(1, ['cluster', 'remove', '--force', name], 120_000);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`Member ${name} removed`));
    }
    const alone = c.list(1)!;
    expect(alone.map((m) => [m.server_name, m.roles, m.status])).toEqual([['member1', ['voter', 'leader'], 'Online']]);
    expect(instances(1).map((i) => i.name)).toEqual(['keep1']);
    const removed = Date.now();

    // Running it again with berthd stopped is harmless: it leads again, with all its data.
    const p1 = c.procs.get(1)!;
    p1.proc.kill('SIGTERM');
    await p1.exited;
    const again = c.berth(1, ['cluster', 'recover', '--force'], 60_000);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already the only voter/);
    await c.start(1);
    await waitFor('member1 leading again', () => c.list(1)?.find((m) => m.leader && m.server_name === 'member1'), 30_000);
    expect(c.berth(1, ['delete', '--force', 'keep1']).code).toBe(0);
    console.log(`recover: formed ${formed - t0} ms, writes ${written - formed} ms, quorum loss to recovered ${recovered - written} ms, ` +
      `started and leading ${led - recovered} ms, two removals ${removed - led} ms`);
  });
});
