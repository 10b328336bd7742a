/**
 * Instance names and config keys, with LXD's names and rules. Every refusal is an
 * InvalidArgumentError naming the field (`name`, `config.limits.memory`, ...).
 */
import * as os from 'node:os';
import { InvalidArgumentError } from '../errors';
import type { Limits } from '../runtime/types';
import { parseSize } from '../storage/common';

/** LXD's rule: 1-63 letters, digits and hyphens; not starting with a digit or a hyphen; not ending with a hyphen. */
export function validateInstanceName(name: string, field = 'name'): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(field, 'is empty');
  if (name.length > 63) throw new InvalidArgumentError(field, `"${name}" is longer than 63 characters`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new InvalidArgumentError(field, `"${name}" may only contain letters, digits and hyphens`);
  if (/^[0-9-]/.test(name)) throw new InvalidArgumentError(field, `"${name}" must not start with a digit or a hyphen`);
  if (name.endsWith('-')) throw new InvalidArgumentError(field, `"${name}" must not end with a hyphen`);
  if (name.startsWith(SPARE_PREFIX)) throw new InvalidArgumentError(field, `"${name}": names starting with "${SPARE_PREFIX}" are berth's own (volumes made ahead of launches)`);
}

/** Volumes made ahead of launches (see Agent.launch) are named SPARE_PREFIX + image fingerprint prefix. */
export const SPARE_PREFIX = 'berth-spare-';

type Check = (field: string, value: string) => void;

const bool: Check = (f, v) => {
  if (!['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v.toLowerCase())) throw new InvalidArgumentError(f, `"${v}" is not a boolean`);
};
const positiveInt: Check = (f, v) => {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new InvalidArgumentError(f, `"${v}" is not a positive integer`);
};

/** Keys an instance may carry, and how each is checked. Free-form namespaces are below. */
const KEYS: Record<string, Check> = {
  'limits.cpu': (f, v) => { parseCpuset(f, v); },
  'limits.cpu.allowance': (f, v) => { parseAllowance(f, v); },
  'limits.memory': (f, v) => { parseMemory(f, v); },
  'limits.memory.swap': bool,
  'limits.processes': positiveInt,
  'limits.read': (f, v) => { parseIo(f, v); },
  'limits.write': (f, v) => { parseIo(f, v); },
  'security.privileged': bool,
  // LXD's key: allows stateful stop and snapshots (CRIU). Such an instance keeps no console
  // log: CRIU cannot dump a host file held by init.
  'migration.stateful': bool,
  'boot.autostart': bool,
  // Cluster placement (read when the leader places it; ignored on a single host): instances
  // with the same placement.group go to distinct members while possible; placement.strategy
  // spread (default) or pack. See packages/control-plane/design.md, "Placement".
  'placement.group': (f, v) => { if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v)) throw new InvalidArgumentError(f, `"${v}": use 1-63 letters, digits, '.', '_' or '-'`); },
  'placement.strategy': (f, v) => { if (v !== 'spread' && v !== 'pack') throw new InvalidArgumentError(f, `"${v}" is neither spread nor pack`); },
  // LXD's key: what `berth cluster evacuate` does with it (auto: live where it can, else a
  // cold move; migrate: a cold move; live-migrate: live or not at all; stop: stopped where it is).
  'cluster.evacuate': (f, v) => {
    if (!['auto', 'migrate', 'live-migrate', 'stop'].includes(v)) throw new InvalidArgumentError(f, `"${v}" is not one of auto, migrate, live-migrate, stop`);
  },
};

const FREE_FORM = ['user.', 'image.', 'volatile.', 'environment.'];

/** Refuses unknown keys and bad values; returns nothing (the config is stored as given). */
export function validateConfig(config: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(config)) {
    const field = `config.${key}`;
    if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
    if (FREE_FORM.some((p) => key.startsWith(p) && key.length > p.length)) continue;
    const check = KEYS[key];
    if (!check) throw new InvalidArgumentError(field, `unknown config key (known: ${Object.keys(KEYS).join(', ')}, or ${FREE_FORM.map((p) => `${p}*`).join(', ')})`);
    if (value === '') continue; // an empty value unsets the key
    check(field, value);
  }
}

export function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes', 'on'].includes(v.toLowerCase());
}

/** `limits.cpu`: a count ("2": the first two CPUs) or a set ("0-1,3"). */
export function parseCpuset(field: string, v: string, cpus = os.cpus().length): string {
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > cpus) throw new InvalidArgumentError(field, `${n} CPUs asked, this host has ${cpus}`);
    return n === 1 ? '0' : `0-${n - 1}`;
  }
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new InvalidArgumentError(field, `"${v}" is neither a CPU count nor a CPU set like 0-1,3`);
  for (const part of v.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if ((b ?? a!) < a! || (b ?? a!) >= cpus) throw new InvalidArgumentError(field, `"${part}" is not within this host's CPUs 0-${cpus - 1}`);
  }
  return v;
}

/** `limits.cpu.allowance`: "20%" of one CPU, or "25ms/100ms" (quota/period): a hard CFS limit. */
export function parseAllowance(field: string, v: string): { quotaUs: number; periodUs: number } {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  if (pct) {
    const p = Number(pct[1]);
    if (p <= 0 || p > 100 * os.cpus().length) throw new InvalidArgumentError(field, `"${v}" must be above 0% and at most ${100 * os.cpus().length}%`);
    return { quotaUs: Math.round(1000 * p), periodUs: 100_000 };
  }
  const qp = /^(\d+)ms\/(\d+)ms$/.exec(v);
  if (qp) {
    const q = Number(qp[1]) * 1000;
    const per = Number(qp[2]) * 1000;
    if (q < 1000 || per < 1000 || per > 1_000_000) throw new InvalidArgumentError(field, `"${v}": quota and period must be 1ms or more, the period at most 1000ms`);
    return { quotaUs: q, periodUs: per };
  }
  throw new InvalidArgumentError(field, `"${v}" is neither a percentage (20%) nor quota/period (25ms/100ms)`);
}

/** `limits.memory`: a size ("512MiB") or a percentage of the host's memory ("50%"). */
export function parseMemory(field: string, v: string, hostBytes = os.totalmem()): number {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(v);
  const bytes = pct ? Math.floor((hostBytes * Number(pct[1])) / 100) : parseSize(field, v);
  if (bytes < 4 << 20) throw new InvalidArgumentError(field, `"${v}" is below the 4 MiB a container needs`);
  if (bytes > hostBytes) throw new InvalidArgumentError(field, `"${v}" is more than this host's ${hostBytes} bytes`);
  return bytes;
}

/** `limits.read` / `limits.write`: bytes per second ("10MB") or operations per second ("100iops"). */
export function parseIo(field: string, v: string): { bps?: number; iops?: number } {
  const iops = /^(\d+)iops$/.exec(v);
  if (iops) return { iops: Number(iops[1]) };
  return { bps: parseSize(field, v) };
}

/** The runtime limits a config asks for. `rootDevice` is the root disk's major:minor, for I/O limits. */
export function limitsFromConfig(config: Readonly<Record<string, string>>, rootDevice?: { major: number; minor: number }): Limits {
  const limits: Limits = {};
  const get = (k: string): string | undefined => (config[k] ? config[k] : undefined);
  const cpu = get('limits.cpu');
  if (cpu) limits.cpuset = parseCpuset('config.limits.cpu', cpu);
  const allowance = get('limits.cpu.allowance');
  if (allowance) {
    const a = parseAllowance('config.limits.cpu.allowance', allowance);
    limits.cpuQuotaUs = a.quotaUs;
    limits.cpuPeriodUs = a.periodUs;
  }
  const mem = get('limits.memory');
  if (mem) {
    limits.memoryBytes = parseMemory('config.limits.memory', mem);
    // LXD: swap is allowed unless limits.memory.swap=false.
    if (config['limits.memory.swap'] !== undefined && !isTrue(config['limits.memory.swap'])) limits.memorySwapBytes = limits.memoryBytes;
  }
  const procs = get('limits.processes');
  if (procs) limits.processes = Number(procs);
  const read = get('limits.read');
  const write = get('limits.write');
  if ((read || write) && rootDevice) {
    const r = read ? parseIo('config.limits.read', read) : {};
    const w = write ? parseIo('config.limits.write', write) : {};
    limits.blkio = [{
      major: rootDevice.major, minor: rootDevice.minor,
      ...(r.bps ? { readBps: r.bps } : {}), ...(r.iops ? { readIops: r.iops } : {}),
      ...(w.bps ? { writeBps: w.bps } : {}), ...(w.iops ? { writeIops: w.iops } : {}),
    }];
  }
  return limits;
}
