import { BatchChooser, chooseMember, place, sortCandidates } from './placement';
import type { Candidate, PlacementRequest } from './placement';
import { formatBytes, parseCpuLimit, parseMemoryLimit, parseSizeBytes, resourceAsk } from './limits';
import { checkPlacementKeys, placementRequest } from './request';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

const c = (name: string, instances: number, more: Partial<Candidate> = {}): Candidate => ({ name, instances, online: true, criu: true, ...more });

describe('placement', () => {
  it('spreads to the member with the fewest instances; ties go to the first name', () => {
    expect(place({ instance: 'i' }, [c('b', 1), c('a', 1), c('c', 0)]).chosen).toBe('c');
    expect(place({ instance: 'i' }, [c('b', 2), c('a', 2), c('c', 2)]).chosen).toBe('a');
    expect(place({ instance: 'i', strategy: 'pack' }, [c('b', 2), c('a', 1), c('c', 0)]).chosen).toBe('b');
  });

  it('filters offline members, other members than the target, and members without CRIU for stateful instances, saying why', () => {
    const r = place({ instance: 'i', stateful: true }, [c('a', 0, { online: false }), c('b', 0, { criu: false }), c('c', 5)]);
    expect(r.chosen).toBe('c');
    expect(r.verdicts.map((v) => [v.member, v.eligible, v.reason])).toEqual([
      ['a', false, 'offline'], ['b', false, 'no working CRIU (migration.stateful=true needs it)'], ['c', true, 'spread: 5 instance(s)'],
    ]);
    expect(place({ instance: 'i', target: 'b' }, [c('a', 0), c('b', 9)]).chosen).toBe('b');
    const none = place({ instance: 'i', target: 'a' }, [c('a', 0, { online: false }), c('b', 0)]);
    expect(none.chosen).toBeUndefined();
    expect(none.why).toBe('no member can take i: a: offline; b: not the target (a)');
    expect(place({ instance: 'i', target: 'zz' }, [c('a', 0)]).why).toBe('no member named "zz" (--target)');
  });

  it('is deterministic: the same inputs in any order give the same answer and verdicts', () => {
    const cs = [c('m3', 1), c('m1', 2), c('m2', 1), c('m4', 0, { online: false })];
    const a = place({ instance: 'i' }, cs);
    const b = place({ instance: 'i' }, [...cs].reverse());
    expect(b).toEqual(a);
    expect(a.chosen).toBe('m2');
  });

  it('chooseMember (the fast path of a placement pass) picks what place() picks, on random inputs', () => {
    let seed = 7;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let t = 0; t < 500; t++) {
      const cs = Array.from({ length: 1 + rnd(8) }, (_, i) => c(`m${i}`, rnd(4), { online: rnd(5) > 0, criu: rnd(3) > 0 }));
      const req = { instance: 'i', target: rnd(4) === 0 ? `m${rnd(9)}` : undefined, stateful: rnd(2) === 0, strategy: rnd(3) === 0 ? 'pack' as const : 'spread' as const };
      const sorted = [...cs].sort((a, b) => a.name.localeCompare(b.name));
      expect(chooseMember(req, sorted)).toBe(place(req, cs).chosen);
    }
  });
});

/** Random members with resources, groups and placement groups; random requests over them. */
function world(rnd: (n: number) => number): { cs: Candidate[]; reqs: PlacementRequest[] } {
  const cs = Array.from({ length: 1 + rnd(9) }, (_, i): Candidate => ({
    name: `m${i}`, instances: rnd(5), online: rnd(6) > 0, criu: rnd(3) > 0,
    groups: rnd(2) ? ['g1'] : rnd(2) ? ['g2', 'g1'] : [],
    cpus: 1 + rnd(4), memoryBytes: (1 + rnd(4)) * GiB,
    used: { cpus: rnd(3), memoryBytes: rnd(3) * 256 * MiB, memoryPercent: rnd(2) * 10 },
    placementGroups: new Map(rnd(2) ? [['web', rnd(3)]] : []),
  }));
  const reqs = Array.from({ length: 1 + rnd(40) }, (_, i): PlacementRequest => ({
    instance: `i${i}`,
    target: [undefined, undefined, undefined, `m${rnd(10)}`, '@g1', '@g2', '@default'][rnd(7)],
    stateful: rnd(4) === 0,
    strategy: rnd(3) === 0 ? 'pack' : 'spread',
    ask: rnd(2) ? undefined : { cpus: rnd(3), highestCpu: rnd(4) === 0 ? rnd(4) : -1, memoryBytes: rnd(3) * 256 * MiB, memoryPercent: rnd(3) === 0 ? 20 : 0 },
    placementGroup: rnd(3) === 0 ? 'web' : rnd(4) === 0 ? 'db' : undefined,
  }));
  return { cs, reqs };
}

describe('placement: capacity, member groups, anti-affinity, pack', () => {
  const m = (name: string, more: Partial<Candidate> = {}): Candidate => ({ name, instances: 0, online: true, criu: true, cpus: 4, memoryBytes: GiB, ...more });

  it('refuses members without room for limits.cpu and limits.memory, naming the shortfall; instances without limits ask nothing', () => {
    const cs = [
      m('a', { used: { cpus: 0, memoryBytes: 896 * MiB, memoryPercent: 0 } }),
      m('b', { cpus: 2, used: { cpus: 1, memoryBytes: 0, memoryPercent: 0 } }),
      m('c', { instances: 7 }),
    ];
    const r = place({ instance: 'i', ask: resourceAsk({ 'limits.memory': '512MiB', 'limits.cpu': '2' }) }, cs);
    expect(r.chosen).toBe('c');
    expect(r.verdicts.map((v) => [v.member, v.eligible, v.reason])).toEqual([
      ['a', false, 'needs 512 MiB memory, 128 MiB free of 1 GiB'],
      ['b', false, 'needs 2 CPUs, 1 free of 2'],
      ['c', true, 'spread: 7 instance(s); 4 of 4 CPUs free; 1 GiB of 1 GiB memory free'],
    ]);
    // Without limits: nothing asked, every member fits (even a full one).
    expect(place({ instance: 'i' }, cs).chosen).toBe('a');
    // A percentage is of each member's own memory; a CPU set needs those CPUs.
    const pct = place({ instance: 'i', ask: resourceAsk({ 'limits.memory': '50%' }) }, [m('a', { used: { cpus: 0, memoryBytes: 600 * MiB, memoryPercent: 0 } }), m('b', { memoryBytes: 4 * GiB, instances: 3 })]);
    expect(pct.chosen).toBe('b');
    expect(pct.verdicts[0]!.reason).toBe('needs 512 MiB memory, 424 MiB free of 1 GiB');
    const set = place({ instance: 'i', ask: resourceAsk({ 'limits.cpu': '0,3' }) }, [m('a', { cpus: 2 }), m('b', { instances: 1 })]);
    expect(set.chosen).toBe('b');
    expect(set.verdicts[0]!.reason).toBe('limits.cpu pins CPU 3, the member has CPUs 0-1');
    // Memory larger than any member: nothing fits, and the why lists every verdict.
    const none = place({ instance: 'big', ask: resourceAsk({ 'limits.memory': '2GiB' }) }, [m('a'), m('b')]);
    expect(none.chosen).toBeUndefined();
    expect(none.why).toBe('no member can take big: a: needs 2 GiB memory, 1 GiB free of 1 GiB; b: needs 2 GiB memory, 1 GiB free of 1 GiB');
  });

  it('--target @group restricts to the group; default holds every member; an unknown or empty group is named', () => {
    const cs = [m('a', { groups: ['db'] }), m('b', { groups: ['web', 'db'], instances: 3 }), m('c', { groups: [] })];
    expect(place({ instance: 'i', target: '@web' }, cs).chosen).toBe('b');
    expect(place({ instance: 'i', target: '@db' }, cs).chosen).toBe('a');
    expect(place({ instance: 'i', target: '@default' }, cs).chosen).toBe('a');
    const r = place({ instance: 'i', target: '@web' }, cs);
    expect(r.verdicts.map((v) => v.reason)).toEqual(['not in member group web (--target @web)', 'spread: 3 instance(s)', 'not in member group web (--target @web)']);
    expect(place({ instance: 'i', target: '@nosuchgroup' }, cs).why).toBe('member group nosuchgroup has no members (--target @nosuchgroup)');
    const offline = place({ instance: 'i', target: '@web' }, [m('b', { groups: ['web'], online: false })]);
    expect(offline.why).toBe('no member can take i: b: offline');
  });

  it('anti-affinity: the same placement.group goes to distinct members while possible, then to the one with the fewest, saying so', () => {
    const pg = (n: number): Map<string, number> => new Map([['web', n]]);
    const cs = [m('a', { placementGroups: pg(1) }), m('b', { instances: 9 }), m('c', { instances: 2, placementGroups: pg(1) })];
    const r = place({ instance: 'i', placementGroup: 'web' }, cs);
    expect(r.chosen).toBe('b');
    expect(r.note).toBeUndefined();
    expect(r.verdicts.map((v) => v.reason)).toEqual(['spread: 0 instance(s); placement.group web: 1 here', 'spread: 9 instance(s); placement.group web: 0 here', 'spread: 2 instance(s); placement.group web: 1 here']);
    expect(r.verdicts.map((v) => v.score)).toEqual([-1_000_000, -9, -1_000_002]);
    const full = place({ instance: 'i', placementGroup: 'web' }, [m('a', { placementGroups: pg(2) }), m('b', { instances: 9, placementGroups: pg(1) })]);
    expect(full.chosen).toBe('b');
    expect(full.note).toBe('every eligible member already runs an instance of placement.group web: placed on b, which runs the fewest (1)');
    // Another value does not count.
    expect(place({ instance: 'i', placementGroup: 'db' }, cs).chosen).toBe('a');
  });

  it('pack: the member with the most instances that still fits', () => {
    const cs = [m('a', { instances: 5, cpus: 2, used: { cpus: 2, memoryBytes: 0, memoryPercent: 0 } }), m('b', { instances: 3 }), m('c', { instances: 1 })];
    expect(place({ instance: 'i', strategy: 'pack' }, cs).chosen).toBe('a');
    const r = place({ instance: 'i', strategy: 'pack', ask: resourceAsk({ 'limits.cpu': '1' }) }, cs);
    expect(r.chosen).toBe('b');
    expect(r.verdicts.map((v) => v.score)).toEqual([0, 3, 1]);
    expect(r.verdicts[1]!.reason).toBe('pack: 3 instance(s); 4 of 4 CPUs free');
  });

  it('is deterministic over random inputs: any order of candidates gives the same placement and verdicts', () => {
    let seed = 11;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let t = 0; t < 300; t++) {
      const { cs, reqs } = world(rnd);
      for (const req of reqs.slice(0, 3)) {
        const shuffled = [...cs].sort(() => rnd(3) - 1);
        expect(place(req, shuffled)).toEqual(place(req, cs));
        expect(chooseMember(req, sortCandidates(cs))).toBe(place(req, cs).chosen);
      }
    }
  });

  it('BatchChooser chooses what chooseMember over the updated candidates would, for whole random passes', () => {
    let seed = 5;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
    for (let t = 0; t < 400; t++) {
      const { cs, reqs } = world(rnd);
      const sorted = sortCandidates(cs);
      const chooser = new BatchChooser(sorted);
      // The reference: a scan of every member per request, counting each choice.
      const ref = sorted.map((c) => ({ ...c, placementGroups: new Map(c.placementGroups ?? []) }));
      for (const req of reqs) {
        const want = chooseMember(req, ref);
        expect(chooser.choose(req)).toBe(want);
        if (!want) continue;
        const c = ref.find((x) => x.name === want)!;
        c.instances++;
        const a = req.ask ?? { cpus: 0, memoryBytes: 0, memoryPercent: 0 };
        c.used = { cpus: (c.used?.cpus ?? 0) + a.cpus, memoryBytes: (c.used?.memoryBytes ?? 0) + a.memoryBytes, memoryPercent: (c.used?.memoryPercent ?? 0) + a.memoryPercent };
        if (req.placementGroup) c.placementGroups.set(req.placementGroup, (c.placementGroups.get(req.placementGroup) ?? 0) + 1);
      }
      // The inputs were not touched.
      expect(sortCandidates(cs)).toEqual(sorted);
    }
  });
});

describe('limits as placement reads them', () => {
  it('parses LXD sizes, percentages, CPU counts and sets; refuses bad values by key', () => {
    expect(parseSizeBytes('512MiB')).toBe(512 * MiB);
    expect(parseSizeBytes('1GB')).toBe(1e9);
    expect(parseSizeBytes('2G')).toBe(2 * GiB);
    expect(parseSizeBytes('1048576')).toBe(MiB);
    expect(parseSizeBytes('lots')).toBeUndefined();
    expect(parseMemoryLimit('50%')).toEqual({ percent: 50 });
    expect(parseMemoryLimit('64MiB')).toEqual({ bytes: 64 * MiB });
    expect(() => parseMemoryLimit('1MiB')).toThrow(/below the 4 MiB/);
    expect(() => parseMemoryLimit('150%')).toThrow(/at most 100%/);
    expect(parseCpuLimit('2')).toEqual({ count: 2, highest: 1 });
    expect(parseCpuLimit('0-1,3')).toEqual({ count: 3, highest: 3 });
    expect(() => parseCpuLimit('0')).toThrow(/at least 1 CPU/);
    expect(() => parseCpuLimit('two')).toThrow(/neither a CPU count nor a CPU set/);
    expect(resourceAsk({})).toEqual({ cpus: 0, highestCpu: -1, memoryBytes: 0, memoryPercent: 0 });
    expect(resourceAsk({ 'limits.cpu': '1-2', 'limits.memory': '1GiB' })).toEqual({ cpus: 2, highestCpu: 2, memoryBytes: GiB, memoryPercent: 0 });
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100)).toBe('100 bytes');
  });

  it('reads an intent\'s placement keys; the API check names the key at fault', () => {
    expect(placementRequest({ name: 'i', config: { 'placement.group': 'web', 'placement.strategy': 'pack', 'migration.stateful': 'yes', 'limits.cpu': '2' }, target: '@g' })).toEqual({
      instance: 'i', target: '@g', stateful: true, strategy: 'pack', placementGroup: 'web', ask: { cpus: 2, highestCpu: -1, memoryBytes: 0, memoryPercent: 0 },
    });
    expect(checkPlacementKeys({ 'placement.strategy': 'random' })).toEqual({ key: 'placement.strategy', message: '"random" is neither spread nor pack' });
    expect(checkPlacementKeys({ 'placement.group': 'a b' })?.key).toBe('placement.group');
    expect(checkPlacementKeys({ 'limits.memory': 'much' })?.key).toBe('limits.memory');
    expect(checkPlacementKeys({ 'limits.memory': '50%', 'placement.group': 'web' })).toBeUndefined();
    // A bad value already in the store asks nothing rather than stopping placement.
    expect(placementRequest({ name: 'i', config: { 'limits.memory': 'much' } }).ask).toEqual({ cpus: 0, highestCpu: -1, memoryBytes: 0, memoryPercent: 0 });
  });
});
