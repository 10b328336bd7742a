import { UNKNOWN } from './history';
import { kv, kvModel } from './model';

const step = kvModel.step;

describe('kvModel (etcd single-key semantics)', () => {
  test('get must return the current value; absent is null', () => {
    expect(step(null, kv.get('k'), null)).toEqual([true, null]);
    expect(step('a', kv.get('k'), 'a')).toEqual([true, 'a']);
    expect(step('a', kv.get('k'), null)).toEqual([false, 'a']);
    expect(step('a', kv.get('k'), UNKNOWN)).toEqual([true, 'a']);
  });

  test('put overwrites; its output is not checked', () => {
    expect(step(null, kv.put('k', 'a'), undefined)).toEqual([true, 'a']);
    expect(step('a', kv.put('k', 'b'), UNKNOWN)).toEqual([true, 'b']);
  });

  test('cas compares against the value (null = absent)', () => {
    expect(step(null, kv.cas('k', null, 'a'), true)).toEqual([true, 'a']);
    expect(step('x', kv.cas('k', null, 'a'), false)).toEqual([true, 'x']);
    expect(step('x', kv.cas('k', 'x', 'a'), false)[0]).toBe(false);
    expect(step('y', kv.cas('k', 'x', 'a'), true)[0]).toBe(false);
    // Unknown outcome: decided by the state at its linearization point.
    expect(step('x', kv.cas('k', 'x', 'a'), UNKNOWN)).toEqual([true, 'a']);
    expect(step('y', kv.cas('k', 'x', 'a'), UNKNOWN)).toEqual([true, 'y']);
  });

  test('delete removes; an observed deleted flag must match', () => {
    expect(step('a', kv.delete('k'), undefined)).toEqual([true, null]);
    expect(step('a', kv.delete('k'), true)).toEqual([true, null]);
    expect(step(null, kv.delete('k'), false)).toEqual([true, null]);
    expect(step(null, kv.delete('k'), true)[0]).toBe(false);
    expect(step('a', kv.delete('k'), false)[0]).toBe(false);
  });

  test('state keys are injective and read-only ops are recognized', () => {
    const key = kvModel.stateKey as (s: string | null) => string | number;
    expect(key(null)).not.toBe(key('null'));
    expect(key('-1')).not.toBe(key(null));
    const ro = kvModel.isReadOnly as NonNullable<typeof kvModel.isReadOnly>;
    expect(ro(kv.get('k'), 'a')).toBe(true);
    expect(ro(kv.cas('k', 'a', 'b'), false)).toBe(true);
    expect(ro(kv.cas('k', 'a', 'b'), UNKNOWN)).toBe(false);
    expect(ro(kv.put('k', 'a'), undefined)).toBe(false);
  });

  test('descriptions are readable', () => {
    const d = kvModel.describeOperation as NonNullable<typeof kvModel.describeOperation>;
    expect(d(kv.get('k'), null)).toBe('get("k") -> absent');
    expect(d(kv.cas('k', null, 'b'), true)).toBe('cas("k", absent => "b") -> true');
    expect(d(kv.put('k', 'a'), UNKNOWN)).toBe('put("k", "a") -> ?');
    expect(d(kv.delete('k'), undefined)).toBe('delete("k")');
  });
});
