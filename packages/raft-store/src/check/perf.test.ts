// berth-sized histories are checked to a verdict (within jest's timeout). No timing is asserted
// (speed lives in bench/, this machine is shared and noisy); the timings are printed so that
// regressions show in the test log.

import { generateKvHistory } from './generate';
import { isPending } from './history';
import { checkLinearizable } from './linearizability';
import { kvModel } from './model';

const timings: string[] = [];
afterAll(() => console.log(`linearizability checker timings:\n  ${timings.join('\n  ')}`));

function timed(label: string, run: () => ReturnType<typeof checkLinearizable>) {
  const start = performance.now();
  const result = run();
  timings.push(`${label}: ${(performance.now() - start).toFixed(0)} ms (${result.verdict})`);
  return result;
}

test('5,000 ops, 20 keys, 8 concurrent clients: linearizable', () => {
  const h = generateKvHistory({ ops: 5000, clients: 8, keys: 20, seed: 1 });
  const r = timed('5000 ops / 20 keys / 8 clients', () => checkLinearizable(h, kvModel));
  expect(r.ok).toBe(true);
});

test('same with 2% unknown-outcome ops', () => {
  const h = generateKvHistory({ ops: 5000, clients: 8, keys: 20, seed: 2, pendingRate: 0.02 });
  const r = timed(`5000 ops / 20 keys / 8 clients / ${h.filter(isPending).length} pending`, () => checkLinearizable(h, kvModel));
  expect(r.ok).toBe(true);
});

test('5,000 ops on ONE key, 8 concurrent clients', () => {
  const h = generateKvHistory({ ops: 5000, clients: 8, keys: 1, seed: 3 });
  const r = timed('5000 ops / 1 key / 8 clients', () => checkLinearizable(h, kvModel));
  expect(r.ok).toBe(true);
});

test('5,000 ops, 20 keys: a corrupted read is found and explained', () => {
  const h = generateKvHistory({ ops: 5000, clients: 8, keys: 20, seed: 4 });
  const victim = h.findIndex((op, i) => i > 4000 && op.input.op === 'get' && !isPending(op));
  const op = h[victim];
  if (op === undefined) throw new Error('no read to corrupt');
  h[victim] = { ...op, output: 'never-written' };
  const r = timed('5000 ops / 20 keys / 8 clients, violation + explanation', () => checkLinearizable(h, kvModel));
  expect(r.verdict).toBe('not-linearizable');
  expect(r.ok || r.verdict !== 'not-linearizable' ? [] : r.stuckAt).toContain(victim);
});
