/**
 * What an instance asks of a member, from its LXD-style config keys: pure parsers (no host
 * bounds: the member is not known yet) shared by placement and by the node-agent, which
 * adds its own host's bounds when it applies them.
 *
 * - `limits.cpu`: a count ("2") or a CPU set ("0-1,3": 3 CPUs, the highest being 3).
 * - `limits.memory`: a size ("512MiB", "1GB", "1048576") or a percentage of the member's
 *   memory ("50%").
 * Keys left out, or empty, ask for nothing: placement reserves nothing for them (as LXD,
 * which does not reserve either). `limits.cpu.allowance` is a CFS quota, not a reservation,
 * and is not counted.
 */

/** Size units as LXD reads them: SI (kB, MB...) and binary (KiB, MiB..., and K, M, G, T). */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1, B: 1,
  KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12,
  KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40,
  K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40,
};

/** "512MiB", "2GiB", "1GB", "1048576" -> bytes; undefined when it is not a size. */
export function parseSizeBytes(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m ? SIZE_UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  return Math.floor(Number(m[1]) * unit);
}

export class LimitError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'LimitError';
  }
}

/** `limits.memory` as asked: bytes, or a percentage of whichever member runs it. */
export type MemoryAsk = { bytes: number } | { percent: number };

export function parseMemoryLimit(v: string): MemoryAsk {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) {
    const p = Number(pct[1]);
    if (p <= 0 || p > 100) throw new LimitError('limits.memory', `"${v}" must be above 0% and at most 100%`);
    return { percent: p };
  }
  const bytes = parseSizeBytes(v);
  if (bytes === undefined) throw new LimitError('limits.memory', `${JSON.stringify(v)} is not a size (e.g. 512MiB, 2GiB, or bytes) nor a percentage (50%)`);
  if (bytes < 4 << 20) throw new LimitError('limits.memory', `"${v}" is below the 4 MiB a container needs`);
  return { bytes };
}

/** `limits.cpu` as asked: how many CPUs, and the highest CPU index a set names (a count: count - 1). */
export function parseCpuLimit(v: string): { count: number; highest: number } {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1) throw new LimitError('limits.cpu', `"${v}": at least 1 CPU`);
    return { count: n, highest: n - 1 };
  }
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new LimitError('limits.cpu', `"${v}" is neither a CPU count nor a CPU set like 0-1,3`);
  const cpus = new Set<number>();
  for (const part of v.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    if ((b ?? a) < a) throw new LimitError('limits.cpu', `"${part}" is an empty range`);
    for (let i = a; i <= (b ?? a); i++) cpus.add(i);
  }
  return { count: cpus.size, highest: Math.max(...cpus) };
}

/** What an instance config asks of a member (zeros for keys left out). */
export interface ResourceAsk {
  cpus: number;
  /** The highest CPU index a CPU set pins (-1: no set, or no limit). */
  highestCpu: number;
  memoryBytes: number;
  memoryPercent: number;
}

export const NO_ASK: ResourceAsk = Object.freeze({ cpus: 0, highestCpu: -1, memoryBytes: 0, memoryPercent: 0 });

/** The ask of a config; throws LimitError on a bad value. */
export function resourceAsk(config: Readonly<Record<string, string>>): ResourceAsk {
  const cpu = config['limits.cpu'];
  const mem = config['limits.memory'];
  if (!cpu && !mem) return NO_ASK;
  const c = cpu ? parseCpuLimit(cpu) : { count: 0, highest: -1 };
  const m = mem ? parseMemoryLimit(mem) : { bytes: 0 };
  return { cpus: c.count, highestCpu: /^\d+$/.test(cpu ?? '') ? -1 : c.highest, memoryBytes: 'bytes' in m ? m.bytes : 0, memoryPercent: 'percent' in m ? m.percent : 0 };
}

/** Like resourceAsk, but a bad value (refused by the API before, so only from an old record) asks nothing. */
export function resourceAskOrNone(config: Readonly<Record<string, string>>): ResourceAsk {
  try {
    return resourceAsk(config);
  } catch {
    return NO_ASK;
  }
}

/** Bytes an ask takes on a member with `memberBytes` of memory. */
export function memoryOn(ask: { memoryBytes: number; memoryPercent: number }, memberBytes: number): number {
  return ask.memoryBytes + Math.floor((memberBytes * ask.memoryPercent) / 100);
}

/** 536870912 -> "512 MiB", 1073741824 -> "1 GiB", 1536 -> "1.5 KiB"; as a person reads it. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} bytes`;
  const s = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${s} ${units[i]}`;
}
