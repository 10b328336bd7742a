import type { Operation } from './history';
import { assertLinearizable, checkLinearizable } from './linearizability';
import { kv, kvModel, type KvInput, type KvOutput, type Model } from './model';

type KvOp = Operation<KvInput, KvOutput>;

/** A completed operation. */
const op = (clientId: string | number, input: KvInput, output: KvOutput, call: number, ret: number): KvOp => ({
  clientId,
  input,
  output,
  call,
  return: ret,
});
/** An operation whose outcome is unknown (never returned). */
const lost = (clientId: string | number, input: KvInput, call: number): KvOp => ({
  clientId,
  input,
  output: undefined,
  call,
  return: Infinity,
  pending: true,
});

const check = (h: KvOp[]) => checkLinearizable(h, kvModel, { timeoutMs: 10_000 });

function expectLinearizable(h: KvOp[]): void {
  const r = check(h);
  if (!r.ok) throw new Error(`expected linearizable, got ${r.verdict}:\n${r.explanation}`);
}

function expectViolation(h: KvOp[]) {
  const r = check(h);
  if (r.verdict !== 'not-linearizable') throw new Error(`expected a violation, got ${r.verdict}`);
  expect(r.ok).toBe(false);
  return r;
}

describe('linearizable histories pass', () => {
  test('empty history', () => {
    expect(check([])).toMatchObject({ ok: true, verdict: 'linearizable', partitions: 0 });
  });

  test('sequential put/get/delete/cas', () => {
    expectLinearizable([
      op(1, kv.get('x'), null, 0, 1),
      op(1, kv.put('x', 'a'), undefined, 2, 3),
      op(1, kv.get('x'), 'a', 4, 5),
      op(1, kv.cas('x', 'a', 'b'), true, 6, 7),
      op(1, kv.cas('x', 'a', 'c'), false, 8, 9),
      op(1, kv.get('x'), 'b', 10, 11),
      op(1, kv.delete('x'), true, 12, 13),
      op(1, kv.delete('x'), false, 14, 15),
      op(1, kv.get('x'), null, 16, 17),
      op(1, kv.cas('x', null, 'd'), true, 18, 19),
      op(1, kv.get('x'), 'd', 20, 21),
    ]);
  });

  test.each(['a', 'b'])('concurrent writes, later read sees either (%s)', (seen) => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 10),
      op(2, kv.put('x', 'b'), undefined, 0, 10),
      op(3, kv.get('x'), seen, 11, 12),
      op(3, kv.get('x'), seen, 13, 14),
    ]);
  });

  test('read overlapping a write may see old or new value, then only new', () => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      op(1, kv.put('x', 'b'), undefined, 2, 10),
      op(2, kv.get('x'), 'a', 3, 4),
      op(3, kv.get('x'), 'b', 3, 5),
      op(2, kv.get('x'), 'b', 6, 7),
    ]);
  });

  test('touching intervals (return time == call time) count as concurrent', () => {
    expectLinearizable([op(1, kv.put('x', 'a'), undefined, 0, 5), op(2, kv.get('x'), null, 5, 6)]);
  });

  test('pending write that took effect', () => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      lost(2, kv.put('x', 'b'), 2),
      op(3, kv.get('x'), 'b', 5, 6),
      op(3, kv.get('x'), 'b', 7, 8),
    ]);
  });

  test('pending write that never took effect', () => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      lost(2, kv.put('x', 'b'), 2),
      op(3, kv.get('x'), 'a', 5, 6),
      op(3, kv.get('x'), 'a', 100, 101),
    ]);
  });

  test('pending write that took effect long after the client gave up', () => {
    expectLinearizable([
      lost(2, kv.put('x', 'b'), 0),
      op(3, kv.get('x'), null, 50, 51),
      op(1, kv.put('x', 'a'), undefined, 60, 61),
      op(3, kv.get('x'), 'a', 62, 63),
      op(3, kv.get('x'), 'b', 70, 71),
    ]);
  });

  test('return: Infinity without the pending flag is pending too', () => {
    expectLinearizable([{ clientId: 1, input: kv.put('x', 'a'), output: undefined, call: 0, return: Infinity }, op(2, kv.get('x'), 'a', 1, 2)]);
  });

  test.each([true, false])('pending cas that did (or did not) apply: later read consistent (%s)', (applied) => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      lost(2, kv.cas('x', 'a', 'b'), 2),
      op(3, kv.get('x'), applied ? 'b' : 'a', 5, 6),
    ]);
  });

  test('concurrent cas from the same expected value: one wins', () => {
    expectLinearizable([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      op(2, kv.cas('x', 'a', 'b'), false, 2, 6),
      op(3, kv.cas('x', 'a', 'c'), true, 3, 5),
      op(4, kv.get('x'), 'c', 7, 8),
    ]);
  });

  test('keys are independent', () => {
    expectLinearizable([
      op(1, kv.put('x', '1'), undefined, 0, 10),
      op(2, kv.put('y', '1'), undefined, 0, 10),
      op(3, kv.get('x'), '1', 1, 2),
      op(3, kv.get('y'), null, 3, 4),
    ]);
  });

  test('custom model without partitioning (fetch-and-add counter)', () => {
    type In = { add: number };
    const counter: Model<In, number, number> = {
      init: () => 0,
      step: (s, input, out) => [typeof out !== 'number' || out === s + input.add, s + input.add],
    };
    const h: Operation<In, number>[] = [
      { clientId: 1, input: { add: 1 }, output: 3, call: 0, return: 10 },
      { clientId: 2, input: { add: 2 }, output: 2, call: 0, return: 10 },
    ];
    expect(checkLinearizable(h, counter).ok).toBe(true);
    h[0] = { clientId: 1, input: { add: 1 }, output: 1, call: 0, return: 10 };
    expect(checkLinearizable(h, counter).verdict).toBe('not-linearizable');
  });
});

describe('non-linearizable histories fail with an explanation', () => {
  test('stale read after a completed write', () => {
    const r = expectViolation([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      op(1, kv.put('x', 'b'), undefined, 2, 3),
      op(2, kv.get('x'), 'a', 4, 5),
    ]);
    expect(r.key).toBe('x');
    expect(r.failingOps.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(r.partialLinearization).toEqual([0, 1]);
    expect(r.stuckAt).toEqual([2]);
    expect(r.explanation).toContain('#2 client 2 [4, 5] get("x") -> "a": impossible in state "b"');
  });

  test('read of a value never written', () => {
    const r = expectViolation([op(1, kv.put('x', 'a'), undefined, 0, 10), op(2, kv.get('x'), 'zzz', 1, 2)]);
    // Writes are never dropped while shrinking: that could change the story.
    expect(r.failingOps.map((f) => f.index)).toEqual([0, 1]);
    expect(r.stuckAt).toEqual([1]);
  });

  test('two readers observe concurrent writes in opposite orders', () => {
    expectViolation([
      op(1, kv.put('x', 'a'), undefined, 0, 10),
      op(2, kv.put('x', 'b'), undefined, 0, 10),
      op(3, kv.get('x'), 'a', 1, 2),
      op(3, kv.get('x'), 'b', 3, 4),
      op(4, kv.get('x'), 'b', 1, 2),
      op(4, kv.get('x'), 'a', 3, 4),
    ]);
  });

  test('lost acknowledged write', () => {
    expectViolation([op(1, kv.put('x', 'a'), undefined, 0, 1), op(2, kv.get('x'), null, 2, 3)]);
    expectViolation([op(1, kv.cas('x', null, 'a'), true, 0, 1), op(2, kv.get('x'), null, 2, 3)]);
  });

  test('cas succeeds twice from the same expected value', () => {
    expectViolation([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      op(2, kv.cas('x', 'a', 'b'), true, 2, 6),
      op(3, kv.cas('x', 'a', 'c'), true, 3, 5),
    ]);
  });

  test('cas reports failure although the expected value was there', () => {
    expectViolation([op(1, kv.put('x', 'a'), undefined, 0, 1), op(2, kv.cas('x', 'a', 'b'), false, 2, 3)]);
  });

  test('delete reports nothing deleted although the key existed', () => {
    expectViolation([op(1, kv.put('x', 'a'), undefined, 0, 1), op(2, kv.delete('x'), false, 2, 3)]);
  });

  test('a pending write cannot take effect before it was called', () => {
    expectViolation([op(1, kv.get('x'), 'b', 0, 1), lost(2, kv.put('x', 'b'), 2)]);
  });

  test('a pending write takes effect at most once (no flicker)', () => {
    expectViolation([
      op(1, kv.put('x', 'a'), undefined, 0, 1),
      lost(2, kv.put('x', 'b'), 2),
      op(3, kv.get('x'), 'b', 5, 6),
      op(3, kv.get('x'), 'a', 7, 8),
    ]);
  });

  test('the failing key is reported and the explanation is shrunk to the relevant ops', () => {
    const h: KvOp[] = [];
    let t = 0;
    for (let i = 0; i < 200; i++) {
      // Noise on other keys and a long correct prefix on x.
      h.push(op('w', kv.put(`k${i % 5}`, `n${i}`), undefined, t, t + 3));
      h.push(op('r', kv.get(`k${i % 5}`), i < 5 ? null : `n${i - 5}`, t, t + 0.5));
      h.push(op('x', kv.put('x', `v${i}`), undefined, t, t + 1));
      h.push(op('y', kv.get('x'), i === 120 ? `v${i - 2}` : `v${i}`, t + 1.5, t + 2));
      t += 4;
    }
    const r = expectViolation(h);
    expect(r.key).toBe('x');
    const bad = 4 * 120 + 3;
    expect(h[bad]).toMatchObject({ input: kv.get('x'), output: 'v118' });
    expect(r.stuckAt).toContain(bad);
    // Everything after the bad read is cut; reads before it are dropped.
    expect(r.failingOps.length).toBeLessThanOrEqual(122);
    expect(r.failingOps.filter((f) => f.op.input.op === 'get').map((f) => f.index)).toEqual([bad]);
    expect(r.explanation).toContain('impossible in state "v120"');
  });

  test('assertLinearizable throws the explanation', () => {
    expect(() => assertLinearizable([op(1, kv.get('x'), 'ghost', 0, 1)], kvModel)).toThrow(/get\("x"\) -> "ghost"/);
  });
});

describe('limits', () => {
  test('timeout gives verdict unknown, which is not ok', () => {
    // 22 concurrent writes then an impossible read: the search must try every
    // subset of writes before giving up, far more than 50 ms of work.
    const h: KvOp[] = Array.from({ length: 22 }, (_, i) => op(i, kv.put('x', `v${i}`), undefined, 0, 100));
    h.push(op('r', kv.get('x'), 'nope', 1, 2));
    h.push(op('r', kv.get('x'), 'v0', 3, 4));
    const r = checkLinearizable(h, kvModel, { timeoutMs: 50 });
    expect(r).toMatchObject({ ok: false, verdict: 'unknown', timedOutKeys: ['x'] });
  });

  test('malformed history is rejected', () => {
    expect(() => check([op(1, kv.get('x'), null, 5, 4)])).toThrow(RangeError);
  });
});
