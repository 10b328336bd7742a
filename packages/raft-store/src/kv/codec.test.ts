import { decode, DecodeError, encode } from './codec';

describe('codec', () => {
  it('round-trips the plain values the store uses', () => {
    const values = [null, true, false, 0, 1, -1, 127, 128, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -0.25, '', 'héllo',
      Buffer.alloc(0), Buffer.from([0, 255, 1]), [], [1, [2, 'x']], {}, { a: 1, b: { c: Buffer.from('v') }, d: [null] }];
    for (const v of values) expect(decode(encode(v))).toEqual(v);
  });

  it('is deterministic: equal values give equal bytes', () => {
    expect(encode({ a: 1, b: [Buffer.from('x')] }).equals(encode({ a: 1, b: [Buffer.from('x')] }))).toBe(true);
  });

  it('drops undefined object fields', () => {
    expect(decode(encode({ a: 1, b: undefined }))).toEqual({ a: 1 });
  });

  it('refuses truncated, trailing and unknown input with a DecodeError', () => {
    const good = encode({ key: Buffer.from('abc'), n: 300 });
    expect(() => decode(good.subarray(0, good.length - 1))).toThrow(DecodeError);
    expect(() => decode(Buffer.concat([good, Buffer.of(0)]))).toThrow(/trailing/);
    expect(() => decode(Buffer.of(99))).toThrow(/unknown tag 99/);
  });
});
