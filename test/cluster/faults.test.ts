/**
 * Faults in a five-member cluster (three voters, two stand-by; real berthd processes on test
 * hosts, real runc containers): the leader killed with -9, and a member cut off the network.
 * What must hold: a new leader soon, the API working throughout, no instance lost or started
 * twice, a cut-off member's instances reported as unknown, and the member converging to what
 * was asked while it was away once it is back.
 */
import { spawn } from 'node:child_process';
import { BERTH } from '../support/berthd';
import { BerthCluster, waitFor } from '../support/berth-cluster';

jest.setTimeout(300_000);

interface Listed { name: string; status: string; location: string; description?: string }

let c: BerthCluster;
const N = 5;
const idx = (member: string): number => Number(member.replace('member', ''));

const runc = (i: number, name: string): { status: string; pid: number } | undefined => c.runc(i, name);

const instances = (i: number): Listed[] => c.instances(i);

/** Each instance runs on its member and nowhere else; answers name -> init pid. */
function runningOnceEach(on: number): Map<string, number> {
  const pids = new Map<string, number>();
  for (const i of instances(on)) {
    const at = idx(i.location);
    const st = runc(at, i.name);
    expect([i.name, st?.status]).toEqual([i.name, 'running']);
    pids.set(i.name, st!.pid);
    for (let h = 1; h <= N; h++) if (h !== at) expect([i.name, h, runc(h, i.name)]).toEqual([i.name, h, undefined]);
  }
  return pids;
}

beforeAll(async () => {
  c = BerthCluster.create(N, 'flt');
  await c.form(N);
});

afterAll(async () => {
  await c.destroy();
});

describe('faults in a five-member cluster', () => {
  let before: Map<string, number>;

  it('has three voters and two stand-by; five launches spread one per member', () => {
    const ms = c.list(1)!;
    expect(ms.filter((m) => m.roles.includes('voter'))).toHaveLength(3);
    expect(ms.filter((m) => m.roles.includes('learner'))).toHaveLength(2);
    for (let i = 1; i <= N; i++) expect(c.berth(1 + (i % N), ['launch', 'busybox', `f${i}`]).code).toBe(0);
    expect(new Set(instances(2).map((i) => i.location)).size).toBe(N);
    before = runningOnceEach(3);
  });

  it('kill -9 of the leader: a new leader within a few election timeouts, the API keeps working, no instance lost or started twice', async () => {
    const leader = c.list(1)!.find((m) => m.leader)!.server_name;
    const dead = idx(leader);
    const asker = dead === 1 ? 2 : 1;
    const t0 = Date.now();
    await c.kill9(dead);
    await waitFor('a new leader', () => c.list(asker)?.find((m) => m.leader && m.server_name !== leader), 20_000);
    const electedMs = Date.now() - t0;
    expect(electedMs).toBeLessThan(10_000);
    // The API answers through every surviving member, and changes go through.
    for (let i = 1; i <= N; i++) if (i !== dead) expect(instances(i).map((x) => x.name)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5']);
    const l = c.berth(asker, ['launch', 'busybox', 'f6']);
    expect(l.err).toBe('');
    expect(l.out).not.toMatch(new RegExp(`on ${leader}\\b`));
    // The dead member's instance is reported, not guessed: Unknown once the member is offline.
    const orphan = instances(asker).find((x) => x.location === leader)!;
    await waitFor(`${orphan.name} reported unknown`, () => (instances(asker).find((x) => x.name === orphan.name)?.status === 'Unknown' ? true : undefined), 20_000);
    expect(instances(asker).find((x) => x.name === orphan.name)?.description).toMatch(new RegExp(`member ${leader} is offline; last seen Running`));
    // Its container ran on without its berthd.
    expect(runc(dead, orphan.name)?.pid).toBe(before.get(orphan.name));
    console.log(`leader ${leader} killed: new leader after ${electedMs} ms; launch through member${asker} worked`);
    await c.start(dead);
    await waitFor(`${leader} back online`, () => (c.list(asker)?.find((m) => m.server_name === leader)?.status === 'Online' ? true : undefined), 30_000);
    await waitFor(`${orphan.name} Running again`, () => (instances(asker).find((x) => x.name === orphan.name)?.status === 'Running' ? true : undefined), 20_000);
    // No instance lost, none started twice: each runs on its member only, with the same init.
    const after = runningOnceEach(asker);
    for (const [name, pid] of before) expect([name, after.get(name)]).toEqual([name, pid]);
    expect(after.has('f6')).toBe(true);
  });

  it('a member cut off the network: its instances are reported unknown and keep running; a stop asked meanwhile is carried out when it is back', async () => {
    const ms = c.list(1)!;
    const cut = ms.find((m) => !m.leader && instances(1).some((i) => i.location === m.server_name))!.server_name;
    const p = idx(cut);
    const asker = [1, 2, 3, 4, 5].find((i) => i !== p)!;
    const mine = instances(asker).filter((i) => i.location === cut).map((i) => i.name);
    const pid = runc(p, mine[0]!)!.pid;
    c.net.isolate(p);
    let healed = false;
    try {
      await waitFor(`${cut} offline`, () => (c.list(asker)?.find((m) => m.server_name === cut)?.status === 'Offline' ? true : undefined), 30_000);
      for (const n of mine) expect(instances(asker).find((x) => x.name === n)).toMatchObject({ status: 'Unknown', location: cut });
      // Asked while it is away: the stop waits for it.
      const stop = spawn(process.execPath, [BERTH, 'stop', mine[0]!], { env: { ...process.env, BERTH_DIR: c.dir(asker) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      stop.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      const exited = new Promise<number | null>((r) => stop.on('exit', (code) => r(code)));
      await new Promise((r) => setTimeout(r, 3000));
      expect(runc(p, mine[0]!)).toMatchObject({ status: 'running', pid });
      c.net.reconnect(p);
      healed = true;
      const code = await exited;
      expect(err).toBe('');
      expect(code).toBe(0);
      await waitFor(`${cut} online`, () => (c.list(asker)?.find((m) => m.server_name === cut)?.status === 'Online' ? true : undefined), 30_000);
      expect(runc(p, mine[0]!)?.status).not.toBe('running');
      expect(instances(asker).find((x) => x.name === mine[0])).toMatchObject({ status: 'Stopped', location: cut });
    } finally {
      if (!healed) c.net.reconnect(p);
    }
  });
});
