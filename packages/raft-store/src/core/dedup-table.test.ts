import { DedupTable } from './dedup-table';

describe('DedupTable (thesis §6.3, applied by the state machine)', () => {
  test('a retried command is executed once and answered with the recorded result', () => {
    const t = new DedupTable<string>();
    expect(t.check('c', 1)).toEqual({ kind: 'new' });
    t.record('c', 1, 'r1');
    expect(t.check('c', 1)).toEqual({ kind: 'duplicate', result: 'r1' });
    expect(t.check('c', 2)).toEqual({ kind: 'new' });
    t.record('c', 2, 'r2');
    expect(t.check('c', 1)).toEqual({ kind: 'stale' });
  });

  test('eviction is least-recently-applied and deterministic; an evicted client gets expired, not a second execution', () => {
    const a = new DedupTable<number>(2);
    const b = new DedupTable<number>(2);
    for (const t of [a, b]) {
      t.record('x', 1, 1);
      t.record('y', 1, 1);
      t.record('x', 2, 2);
      t.record('z', 1, 1); // evicts y
    }
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.check('y', 2)).toEqual({ kind: 'expired' });
    expect(a.check('x', 2)).toEqual({ kind: 'duplicate', result: 2 });
  });

  test('round-trips through a snapshot, preserving eviction order', () => {
    const t = new DedupTable<string>(3);
    t.record('a', 1, 'A');
    t.record('b', 4, 'B');
    t.record('a', 2, 'A2');
    const u = DedupTable.fromJSON(JSON.parse(JSON.stringify(t.toJSON())), 3);
    expect(u.toJSON()).toEqual(t.toJSON());
    u.record('c', 1, 'C');
    u.record('d', 1, 'D'); // evicts b (least recently applied)
    expect(u.check('b', 4)).toEqual({ kind: 'expired' });
    expect(u.check('a', 2)).toEqual({ kind: 'duplicate', result: 'A2' });
  });
});
