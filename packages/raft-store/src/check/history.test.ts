import { createRecorder, isPending, validateHistory } from './history';

describe('recorder', () => {
  test('records call/return times from the injected clock', () => {
    let now = 0;
    const rec = createRecorder<string, number>({ clock: () => now++ });
    const a = rec.invoke('c1', 'read'); // call 0
    const b = rec.invoke('c2', 'write'); // call 1
    a.ok(42); // return 2
    b.unknown();
    const c = rec.invoke('c3', 'nothing'); // call 3
    c.fail();
    const d = rec.invoke('c4', 'in flight'); // call 4
    void d;

    const h = rec.history();
    expect(h).toEqual([
      { clientId: 'c1', input: 'read', output: 42, call: 0, return: 2 },
      { clientId: 'c2', input: 'write', output: undefined, call: 1, return: Infinity, pending: true },
      { clientId: 'c4', input: 'in flight', output: undefined, call: 4, return: Infinity, pending: true },
    ]);
    expect(h.map(isPending)).toEqual([false, true, true]);
  });

  test('history() is a snapshot; later completions do not mutate it', () => {
    let now = 0;
    const rec = createRecorder<string, number>({ clock: () => now++ });
    const a = rec.invoke(1, 'x');
    const before = rec.history();
    a.ok(1);
    expect(before[0]?.return).toBe(Infinity);
    expect(rec.history()[0]?.return).toBe(1);
  });

  test('settling twice is a harness bug', () => {
    const rec = createRecorder<string, number>();
    const a = rec.invoke(1, 'x');
    a.ok(1);
    expect(() => a.unknown()).toThrow(/settled twice/);
  });

  test('default clock is monotonic hrtime', () => {
    const rec = createRecorder<string, number>();
    const a = rec.invoke(1, 'x');
    a.ok(1);
    const [op] = rec.history();
    expect(op?.return).toBeGreaterThanOrEqual(op?.call ?? Infinity);
    expect(Number.isSafeInteger(op?.return)).toBe(true);
  });
});

test('validateHistory rejects non-finite calls and returns before calls', () => {
  expect(() => validateHistory([{ clientId: 1, input: 0, output: 0, call: NaN, return: 1 }])).toThrow(RangeError);
  expect(() => validateHistory([{ clientId: 1, input: 0, output: 0, call: 2, return: 1 }])).toThrow(RangeError);
  expect(() => validateHistory([{ clientId: 1, input: 0, output: 0, call: 2, return: Infinity }])).not.toThrow();
});
