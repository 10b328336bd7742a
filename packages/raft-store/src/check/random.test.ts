// Property tests: histories produced by a correct store must pass; the same
// histories with one read corrupted to a never-written value must fail.

import { generateKvHistory, prng } from './generate';
import { isPending, UNKNOWN, type Operation } from './history';
import { checkLinearizable } from './linearizability';
import { kv, kvModel, type KvInput, type KvOutput, type KvState } from './model';

const TRIALS = 300;

function params(seed: number) {
  const rand = prng(seed * 7919);
  return {
    seed,
    ops: 20 + Math.floor(rand() * 180),
    clients: 2 + Math.floor(rand() * 6),
    keys: 1 + Math.floor(rand() * 4),
    pendingRate: rand() < 0.5 ? 0 : rand() * 0.1,
  };
}

test(`${TRIALS} random histories of a correct store are linearizable`, () => {
  for (let seed = 1; seed <= TRIALS; seed++) {
    const p = params(seed);
    const r = checkLinearizable(generateKvHistory(p), kvModel, { timeoutMs: 10_000 });
    if (!r.ok) throw new Error(`seed ${seed} ${JSON.stringify(p)}: ${r.verdict}\n${r.explanation}`);
  }
});

test(`${TRIALS} random histories with one read corrupted are not linearizable`, () => {
  let corrupted = 0;
  for (let seed = 1; seed <= TRIALS; seed++) {
    const p = params(seed);
    const h = generateKvHistory(p);
    const reads = h.flatMap((op, i) => (op.input.op === 'get' && !isPending(op) ? [i] : []));
    if (reads.length === 0) continue;
    const victim = reads[Math.floor(prng(seed)() * reads.length)] as number;
    const op = h[victim];
    if (op === undefined) throw new Error('unreachable');
    h[victim] = { ...op, output: 'never-written' };
    corrupted++;

    const r = checkLinearizable(h, kvModel, { timeoutMs: 10_000 });
    if (r.verdict !== 'not-linearizable') throw new Error(`seed ${seed} ${JSON.stringify(p)}: got ${r.verdict}`);
    // The corrupted read is the one the explanation must blame.
    expect(r.failingOps.map((f) => f.index)).toContain(victim);
    expect(r.explanation).toContain('-> "never-written"');
  }
  expect(corrupted).toBeGreaterThan(TRIALS * 0.9);
});

// ---------------------------------------------------------------------------
// Differential test against a brute-force checker on tiny arbitrary histories
// (arbitrary outputs, so roughly half are linearizable).

type KvOp = Operation<KvInput, KvOutput>;

/** Tries every order allowed by real time; pending ops may be applied or skipped. */
function bruteForce(ops: KvOp[]): boolean {
  const go = (remaining: KvOp[], state: KvState): boolean => {
    if (remaining.every(isPending)) return true;
    return remaining.some((o, i) => {
      const blocked = remaining.some((q) => q !== o && !isPending(q) && q.return < o.call);
      if (blocked) return false;
      const [ok, next] = kvModel.step(state, o.input, isPending(o) ? UNKNOWN : o.output);
      return ok && go([...remaining.slice(0, i), ...remaining.slice(i + 1)], next);
    });
  };
  return go(ops, kvModel.init());
}

function tinyHistory(rand: () => number): KvOp[] {
  const values = ['a', 'b', 'c'];
  const value = (): string => values[Math.floor(rand() * 3)] as string;
  const maybe = (): string | null => (rand() < 0.3 ? null : value());
  const n = 1 + Math.floor(rand() * 7);
  return Array.from({ length: n }, (_, i): KvOp => {
    const call = Math.floor(rand() * 10);
    const r = rand();
    const input: KvInput =
      r < 0.35 ? kv.get('x') : r < 0.65 ? kv.put('x', value()) : r < 0.85 ? kv.cas('x', maybe(), value()) : kv.delete('x');
    const output: KvOutput =
      input.op === 'get' ? maybe() : input.op === 'cas' ? rand() < 0.5 : input.op === 'delete' && rand() < 0.5 ? rand() < 0.5 : undefined;
    const pending = rand() < 0.2;
    return { clientId: i, input, output, call, return: pending ? Infinity : call + Math.floor(rand() * 6), ...(pending ? { pending: true } : {}) };
  });
}

test('agrees with a brute-force checker on 5000 tiny arbitrary histories', () => {
  const rand = prng(20240601);
  let linearizable = 0;
  for (let trial = 0; trial < 5000; trial++) {
    const h = tinyHistory(rand);
    const expected = bruteForce(h);
    const r = checkLinearizable(h, kvModel);
    if (r.ok !== expected) throw new Error(`trial ${trial}: checker says ${r.verdict}, brute force ${expected}\n${JSON.stringify(h)}`);
    if (expected) linearizable++;
  }
  // Both verdicts must be well represented for the comparison to mean anything.
  expect(linearizable).toBeGreaterThan(1000);
  expect(linearizable).toBeLessThan(4000);
});
