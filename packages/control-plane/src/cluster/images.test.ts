import { replicaPullers } from './images';
import { BatchChooser, chooseMember, place, sortCandidates } from '../placement/placement';
import type { Candidate, PlacementRequest } from '../placement/placement';

const FP = 'ab'.repeat(32);
const c = (name: string, instances: number, more: Partial<Candidate> = {}): Candidate => ({ name, instances, online: true, criu: true, ...more });

describe('replicaPullers (the replication rule every member runs)', () => {
  const online = ['m1', 'm2', 'm3', 'm4', 'm5'];

  it('names as many non-holders as are missing, the same on every member whatever the order it sees', () => {
    const a = replicaPullers(FP, 3, ['m1'], online);
    expect(a).toHaveLength(2);
    expect(a).not.toContain('m1');
    expect(replicaPullers(FP, 3, ['m1'], [...online].reverse())).toEqual(a);
    // Another image ranks the members differently (the load spreads).
    const others = new Set(Array.from({ length: 20 }, (_, i) => replicaPullers(`${i}`.padStart(64, '0'), 2, [], online)[0]));
    expect(others.size).toBeGreaterThan(1);
  });

  it('counts only online holders; an offline puller is replaced by the next in rank; -1 means every member', () => {
    expect(replicaPullers(FP, 3, ['m1', 'm2', 'm3'], online)).toEqual([]);
    expect(replicaPullers(FP, 3, ['m1', 'm2', 'm9'], online)).toHaveLength(1);
    const first = replicaPullers(FP, 2, ['m1'], online)[0]!;
    const next = replicaPullers(FP, 2, ['m1'], online.filter((m) => m !== first));
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(first);
    expect(replicaPullers(FP, -1, ['m1'], online).sort()).toEqual(['m2', 'm3', 'm4', 'm5']);
    // More wanted than there are members: every online member.
    expect(replicaPullers(FP, 9, ['m1'], ['m1', 'm2'])).toEqual(['m2']);
  });
});

describe('placement: image availability', () => {
  const req = (holders: string[], more: Partial<PlacementRequest> = {}): PlacementRequest => ({ instance: 'i', image: { ref: 'img', holders: new Set(holders) }, ...more });

  it('a member without the image is eligible while an online member holds it (it pulls it on launch)', () => {
    const p = place(req(['a']), [c('a', 5), c('b', 0)]);
    expect(p.chosen).toBe('b');
    expect(p.verdicts.every((v) => v.eligible)).toBe(true);
  });

  it('with no online holder, a member without the image is passed by, naming why', () => {
    const p = place(req(['a']), [c('a', 0, { online: false }), c('b', 0), c('c', 1)]);
    expect(p.chosen).toBeUndefined();
    expect(p.verdicts.map((v) => [v.member, v.reason])).toEqual([
      ['a', 'offline'],
      ['b', 'image img is not here, and no online member holds it to pull from (held by a: offline)'],
      ['c', 'image img is not here, and no online member holds it to pull from (held by a: offline)'],
    ]);
    expect(p.why).toMatch(/^no member can take i: a: offline; b: image img is not here/);
    expect(place(req([]), [c('b', 0)]).verdicts[0]!.reason).toMatch(/no member holds it\)$/);
  });

  it('chooseMember and BatchChooser apply the same filter as place()', () => {
    const cs = sortCandidates([c('a', 0, { online: false }), c('b', 0), c('c', 3)]);
    expect(chooseMember(req(['a']), cs)).toBeUndefined();
    expect(chooseMember(req(['c']), cs)).toBe('b');
    const batch = new BatchChooser(cs);
    expect(batch.choose(req(['a']))).toBeUndefined();
    expect(batch.choose(req(['c']))).toBe('b');
    // Without an image need (an image the cluster does not know) nothing is filtered.
    expect(batch.choose({ instance: 'j' })).toBe('b');
  });
});
