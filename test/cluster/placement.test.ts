/**
 * Placement in a cluster of three berthd members on test hosts: member groups
 * (`berth cluster group`, `--target @group`), anti-affinity (`placement.group`) against the
 * pack strategy, and a memory limit no member has, refused with every member's verdict.
 */
import { BerthCluster } from '../support/berth-cluster';

jest.setTimeout(240_000);

let c: BerthCluster;

interface Listed { name: string; status: string; location: string }

const instances = (i: number): Listed[] => c.instances(i);

const runcStatus = (i: number, name: string): string | undefined => c.runc(i, name)?.status;

const ok = (r: { code: number | null; out: string; err: string }): string => {
  if (r.code !== 0) throw new Error(`berth failed (${r.code}): ${r.err}${r.out}`);
  return r.out;
};

beforeAll(async () => {
  c = BerthCluster.create(3, 'place');
  await c.form(3);
});

afterAll(async () => {
  await c.destroy();
});

describe('placement in a cluster', () => {
  it('member groups: launch --target @group lands on a member of the group; an unknown group is refused by name', async () => {
    expect(ok(c.berth(1, ['cluster', 'group', 'create', 'edge', '--description', 'the edge hosts']))).toMatch(/Cluster group edge created/);
    ok(c.berth(2, ['cluster', 'group', 'add', 'member3', 'edge']));
    const groups = JSON.parse(ok(c.berth(3, ['cluster', 'group', 'list', '--format', 'json']))) as Array<{ name: string; members: string[] }>;
    expect(groups).toEqual([
      { name: 'default', description: 'Every member of the cluster', members: ['member1', 'member2', 'member3'] },
      { name: 'edge', description: 'the edge hosts', members: ['member3'] },
    ]);
    expect((c.list(1) ?? []).map((m) => [m.server_name, (m as unknown as { groups: string[] }).groups])).toEqual([
      ['member1', ['default']], ['member2', ['default']], ['member3', ['default', 'edge']],
    ]);
    for (const n of ['e1', 'e2']) expect(ok(c.berth(1, ['launch', 'busybox', n, '--target', '@edge']))).toMatch(new RegExp(`Launched ${n} from busybox on member3`));
    expect(runcStatus(3, 'e1')).toBe('running');
    expect(runcStatus(3, 'e2')).toBe('running');
    const bad = c.berth(2, ['launch', 'busybox', 'e3', '--target', '@nosuchgroup']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/no member group named "nosuchgroup" \(--target @nosuchgroup\)/);
    expect(instances(2).map((i) => i.name)).toEqual(['e1', 'e2']);
    // A group with members cannot go; emptied, it can.
    expect(c.berth(1, ['cluster', 'group', 'delete', 'edge']).err).toMatch(/still has members \(member3\)/);
  });

  it('anti-affinity: instances of one placement.group go to distinct members even with --placement pack; the dry run says when none is left', async () => {
    // pack alone would put them all on member3 (it runs e1, e2); placement.group spreads them.
    const where = new Map<string, string>();
    for (const n of ['w1', 'w2', 'w3']) {
      const out = ok(c.berth(2, ['launch', 'busybox', n, '-c', 'placement.group=web', '--placement', 'pack']));
      where.set(n, /on (member\d)/.exec(out)![1]!);
    }
    expect(new Set(where.values())).toEqual(new Set(['member1', 'member2', 'member3']));
    expect(where.get('w1')).toBe('member3');
    for (const [n, m] of where) expect(runcStatus(Number(m.slice(-1)), n)).toBe('running');
    const explain = JSON.parse(ok(c.berth(1, ['placement', 'explain', 'busybox', 'w4', '-c', 'placement.group=web', '--placement', 'pack', '--format', 'json']))) as {
      chosen: string; note: string; strategy: string; verdicts: Array<{ member: string; verdict: string; score: string; why: string }>;
    };
    expect(explain.strategy).toBe('pack');
    expect(explain.chosen).toBe('member3');
    expect(explain.note).toMatch(/every eligible member already runs an instance of placement.group web/);
    expect(explain.verdicts.map((v) => [v.member, v.verdict, v.why])).toEqual([
      ['member1', 'eligible', 'pack: 1 instance(s); placement.group web: 1 here'],
      ['member2', 'eligible', 'pack: 1 instance(s); placement.group web: 1 here'],
      ['member3', 'chosen', 'pack: 3 instance(s); placement.group web: 1 here'],
    ]);
    expect(explain.verdicts.map((v) => v.score)).toEqual(['-999999', '-999999', '-999997']);
    // The dry run created nothing.
    expect(instances(3).map((i) => i.name)).toEqual(['e1', 'e2', 'w1', 'w2', 'w3']);
  });

  it('a memory limit larger than any member\'s memory is refused with every member\'s verdict; the dry run shows the same', async () => {
    const dry = ok(c.berth(3, ['launch', 'busybox', 'huge', '-c', 'limits.memory=64TiB', '--dry-run']));
    expect(dry).toMatch(/huge fits nowhere: no member can take huge: member1: needs 64 TiB memory, .* free of .*; member2: needs 64 TiB memory/);
    expect(dry).toMatch(/\| member1 \| refused \|\s+\| needs 64 TiB memory, [\d.]+ [GM]iB free of [\d.]+ [GM]iB/);
    const r = c.berth(3, ['launch', 'busybox', 'huge', '-c', 'limits.memory=64TiB']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/no member can take huge: member1: needs 64 TiB memory, [\d.]+ [GM]iB free of [\d.]+ [GM]iB; member2: needs 64 TiB memory, .*; member3: needs 64 TiB memory/);
    // Its record says why and is deleted without anyone's help; nothing runs anywhere.
    expect(instances(1).find((i) => i.name === 'huge')?.status).toBe('Error');
    for (const i of [1, 2, 3]) expect(runcStatus(i, 'huge')).toBeUndefined();
    ok(c.berth(1, ['delete', 'huge']));
    // A limit that fits is placed and applied.
    expect(ok(c.berth(1, ['launch', 'busybox', 'small', '-c', 'limits.memory=64MiB', '--target', 'member1']))).toMatch(/on member1/);
    for (const n of ['e1', 'e2', 'w1', 'w2', 'w3', 'small']) ok(c.berth(1, ['delete', n, '--force']));
    ok(c.berth(1, ['cluster', 'group', 'remove', 'member3', 'edge']));
    ok(c.berth(1, ['cluster', 'group', 'delete', 'edge']));
    expect(JSON.parse(ok(c.berth(2, ['cluster', 'group', 'list', '--format', 'json']))).map((g: { name: string }) => g.name)).toEqual(['default']);
  });
});
