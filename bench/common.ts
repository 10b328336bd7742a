/** What the benchmarks share: medians and their command-line numbers. */

/** The median of the finite values (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The value given to option `flag` as a positive integer, or an error naming the option. */
export function positiveInt(flag: string, value: string | undefined): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x <= 0) throw new Error(`${flag} needs a positive integer`);
  return x;
}
