/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per module
 * (package or source folder), in ms and as a share of the sampled time.
 *
 *   node bench/dist/cpuprofile.js FILE.cpuprofile [--top 25]
 */
import * as fs from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileRow { name: string; ms: number; share: number }
export interface ProfileSummary { totalMs: number; busyMs: number; functions: ProfileRow[]; modules: ProfileRow[] }

/** Where a function lives: a package name, a raft-store source folder, node internals, or V8's pseudo-frames. */
export function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const rs = /packages\/raft-store\/dist\/(.*)\/[^/]+$/.exec(u);
  if (rs) return `raft-store/${rs[1]}`;
  const pkg = /packages\/([^/]+)\/dist\//.exec(u) ?? /\/(proto)\/dist\//.exec(u);
  if (pkg) return `@berth/${pkg[1]}`;
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0]}`;
  return u;
}

/**
 * window: only samples taken between these CLOCK_MONOTONIC times in µs (process.hrtime.bigint() / 1000n
 * in any process: V8's profile clock is the same monotonic clock).
 */
export function summarize(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  const fns = new Map<string, number>();
  const mods = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const cf = n.callFrame;
    total += ms;
    if (cf.functionName === '(idle)') { idle += ms; continue; }
    const file = cf.url ? cf.url.replace(/^.*\/(node_modules\/|packages\/)/, '$1').replace(/^file:\/\//, '') : '';
    const name = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + ms);
    const m = moduleOf(cf.url, cf.functionName);
    mods.set(m, (mods.get(m) ?? 0) + ms);
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>): ProfileRow[] => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return { totalMs: total, busyMs: busy, functions: rows(fns), modules: rows(mods) };
}

export function formatSummary(s: ProfileSummary, title: string): string {
  const lines = [`${title}: sampled ${(s.totalMs / 1000).toFixed(1)} s, busy (not idle) ${(s.busyMs / 1000).toFixed(1)} s`];
  lines.push('  self time by module:');
  for (const r of s.modules.slice(0, 15)) lines.push(`    ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  lines.push('  self time by function:');
  for (const r of s.functions) lines.push(`    ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) { console.error('usage: cpuprofile FILE.cpuprofile [--top N]'); process.exit(2); }
  const ti = process.argv.indexOf('--top');
  console.log(formatSummary(summarize(file, ti > 0 ? Number(process.argv[ti + 1]) : 25), file));
}
