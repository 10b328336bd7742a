import { chooseMember, place } from './placement';
import type { Candidate } from './placement';

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
