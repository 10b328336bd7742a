import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError } from '../errors';
import { describeResult, runTool, type RunOptions, type ToolResult } from '../host/run';
import type { PoolConfig, PoolRef } from './types';
import { parseSizeBytes } from '@berth/control-plane';

/** Pool and volume names: LXD's instance name rule. */
const NAME_RE = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
/** Snapshot names may start with a digit and hold dots and underscores (snap0, 2024-01-01.1). */
const SNAPSHOT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const FINGERPRINT_RE = /^[0-9a-f]{64}$/;

export function checkName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.endsWith('-')) {
    throw new InvalidArgumentError(field, `${JSON.stringify(name)} is not a valid name (1-63 letters, digits and hyphens, starting with a letter, not ending with a hyphen)`);
  }
  return name;
}

export function checkSnapshotName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !SNAPSHOT_RE.test(name)) {
    throw new InvalidArgumentError(field, `${JSON.stringify(name)} is not a valid snapshot name (1-63 letters, digits, '.', '_' and '-', starting with a letter or digit)`);
  }
  return name;
}

export function checkFingerprint(field: string, fp: unknown): string {
  if (typeof fp !== 'string' || !FINGERPRINT_RE.test(fp)) {
    throw new InvalidArgumentError(field, `${JSON.stringify(fp)} is not an image fingerprint (64 lowercase hex digits)`);
  }
  return fp;
}

/** "vol/snap" -> [vol, snap], both checked. */
export function splitSnapshotRef(field: string, ref: unknown): [string, string] {
  const parts = typeof ref === 'string' ? ref.split('/') : [];
  if (parts.length !== 2) throw new InvalidArgumentError(field, `${JSON.stringify(ref)} is not of the form volume/snapshot`);
  return [checkName(field, parts[0]), checkSnapshotName(field, parts[1])];
}

/** "512MiB", "2GiB", "1GB", "1048576" -> bytes (LXD's size strings; the parser is control-plane's, shared with placement). */
export function parseSize(field: string, value: string): number {
  const n = parseSizeBytes(value);
  if (n === undefined) throw new InvalidArgumentError(field, `${JSON.stringify(value)} is not a size (e.g. 512MiB, 2GiB, or bytes)`);
  return n;
}

/** Refuses config keys the driver does not know. */
export function checkConfigKeys(cfg: PoolConfig, known: readonly string[]): void {
  for (const [key, value] of Object.entries(cfg)) {
    if (!known.includes(key)) throw new InvalidArgumentError(`config.${key}`, `unknown key (known: ${known.join(', ') || 'none'})`);
    if (typeof value !== 'string') throw new InvalidArgumentError(`config.${key}`, 'must be a string');
  }
}

/** Runs a tool; any failure becomes an InternalError with what the tool said. */
export async function mustRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ToolResult> {
  const r = await runTool(cmd, args, opts);
  if (r.code !== 0 || r.error) throw new InternalError(`${describeResult(cmd, r)} (${cmd} ${args.join(' ')})`);
  return r;
}

/** Copies and tar runs take as long as the data needs. */
export const LONG_TOOL_MS = 60 * 60_000;

/** lstat, or undefined when nothing is at `p`; other errors are thrown. */
export async function lstatIfExists(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function exists(p: string): Promise<boolean> {
  return (await lstatIfExists(p)) !== undefined;
}

/**
 * Where a pool keeps things. Both drivers use the same layout under the pool's root:
 *   images/<fingerprint>      image volumes (read-only once made)
 *   volumes/<vol>             instance volumes
 *   snapshots/<vol>/<snap>    snapshots of a volume
 *   .staging/                 work in progress; renamed into place when complete, and
 *                             emptied by activate() after a crash
 * and beside it <dataDir>/storage/<pool>.json records the driver and its config.
 */
export class PoolLayout {
  readonly root: string;
  readonly record: string;
  readonly disk: string;
  constructor(readonly ref: PoolRef) {
    checkName('pool', ref.name);
    if (typeof ref.dataDir !== 'string' || !path.isAbsolute(ref.dataDir)) throw new InvalidArgumentError('dataDir', 'must be an absolute path');
    this.root = path.join(ref.dataDir, 'storage', ref.name);
    this.record = path.join(ref.dataDir, 'storage', `${ref.name}.json`);
    this.disk = path.join(ref.dataDir, 'disks', `${ref.name}.img`);
  }
  get images(): string { return path.join(this.root, 'images'); }
  get volumes(): string { return path.join(this.root, 'volumes'); }
  get snapshots(): string { return path.join(this.root, 'snapshots'); }
  get staging(): string { return path.join(this.root, '.staging'); }
  image(fp: string): string { return path.join(this.images, fp); }
  volume(vol: string): string { return path.join(this.volumes, vol); }
  snapshotDir(vol: string): string { return path.join(this.snapshots, vol); }
  snapshot(vol: string, snap: string): string { return path.join(this.snapshots, vol, snap); }
  /** A fresh name in the staging folder (not created). */
  temp(what: string): string { return path.join(this.staging, `${what}-${randomBytes(6).toString('hex')}`); }
}

export interface PoolRecord {
  driver: string;
  config: PoolConfig;
  /** btrfs: "loop" (berth's loop file), "source" (an existing btrfs mount, bind-mounted). */
  kind?: string;
  createdAtUnixMs: number;
}

export async function readPoolRecord(layout: PoolLayout): Promise<PoolRecord> {
  let text: string;
  try {
    text = await fs.readFile(layout.record, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`storage pool ${layout.ref.name} does not exist (no ${layout.record})`);
    throw e;
  }
  return JSON.parse(text) as PoolRecord;
}

/** Written last by createPool (atomically), so a pool half made has no record. */
export async function writePoolRecord(layout: PoolLayout, rec: PoolRecord): Promise<void> {
  const tmp = `${layout.record}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, JSON.stringify(rec, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, layout.record);
}

export async function refuseExistingPool(layout: PoolLayout): Promise<void> {
  if (await exists(layout.record)) throw new AlreadyExistsError(`storage pool ${layout.ref.name} already exists (${layout.record})`);
}

export async function mustExist(p: string, what: string): Promise<void> {
  if (!(await exists(p))) throw new NotFoundError(`${what} does not exist`);
}

export async function mustNotExist(p: string, what: string): Promise<void> {
  if (await exists(p)) throw new AlreadyExistsError(`${what} already exists`);
}

/** Entries of a folder whose names pass `valid`, sorted; [] when the folder is missing. */
export async function listNames(dir: string, valid: (n: string) => boolean): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter(valid).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export const isName = (n: string): boolean => NAME_RE.test(n);
export const isSnapshotName = (n: string): boolean => SNAPSHOT_RE.test(n);
export const isFingerprint = (n: string): boolean => FINGERPRINT_RE.test(n);

/** Disk bytes under a folder, hard links counted once, not crossing into other filesystems. */
export async function diskUsage(p: string): Promise<number> {
  const r = await mustRun('du', ['-s', '-x', '-B1', p], { timeoutMs: LONG_TOOL_MS });
  const n = Number(r.stdout.trim().split(/\s+/)[0]);
  if (!Number.isFinite(n)) throw new InternalError(`du ${p}: unexpected output ${JSON.stringify(r.stdout)}`);
  return n;
}

/** Whether `p` is a mount point, from /proc/self/mountinfo (field 5), and its fs type. */
export async function mountAt(p: string): Promise<{ fstype: string; source: string } | undefined> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  let found: { fstype: string; source: string } | undefined;
  for (const line of info.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mp = unescapeMount(left.split(' ')[4] ?? '');
    if (mp !== p) continue;
    const [fstype, source] = right.split(' ');
    found = { fstype: fstype ?? '', source: unescapeMount(source ?? '') }; // the last one is on top
  }
  return found;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * A `fill` for createImage that copies an unpacked image (e.g. ImageStore.rootfsPath) into
 * the new image volume with cp -a: owners, modes, xattrs, devices and hard links kept.
 */
export function copyFrom(src: string): (dir: string) => Promise<void> {
  return async (dir) => {
    await mustRun('cp', ['-a', '--no-target-directory', src, dir], { timeoutMs: LONG_TOOL_MS });
  };
}
