import { findLeftovers } from './leftovers';

/**
 * Runs once after the whole suite, pass or fail: removes whatever berth's tests left
 * on the host and fails the run when there was anything, naming it, so the test that
 * leaked gets fixed instead of the debris piling up.
 */
export default async function globalTeardown(): Promise<void> {
  const left = findLeftovers();
  if (left.length === 0) return;
  for (const l of left) l.remove();
  // Killed processes leave their cgroups a moment later: sweep those once more.
  await new Promise((r) => setTimeout(r, 500));
  for (const l of findLeftovers()) l.remove();
  const still = findLeftovers();
  const lines = left.map((l) => `  ${l.kind}: ${l.id}`).join('\n');
  const msg = `berth tests left these on the host (now removed${still.length ? `, except ${still.length} that would not go` : ''}):\n${lines}`;
  console.error(msg);
  throw new Error(msg);
}
