/**
 * The last pass of a live move's volume: what changed in a volume folder between a walk taken
 * before the first pass was read and a walk taken once the instance is checkpointed (nothing
 * writes to it any more).
 *
 * Contract:
 * - A file, folder, link or device is "changed" when its signature (type, size, mode, owner,
 *   mtime, ctime, inode) differs between the two walks, when it is new, or when its ctime is
 *   within CTIME_SLACK_NS of the first walk's start (a write in the same coarse clock tick as
 *   the walk's stat leaves ctime unchanged). ctime cannot be set from user space, so anything
 *   written after the first walk is caught.
 * - "removed" is what the first walk saw and the second does not, and what changed type (it is
 *   removed before the new one is extracted).
 * - Walks stay on the volume's file system and never follow links.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors';
import { TAR_CREATE, TAR_EXTRACT, toolSink, toolSource } from '../storage/stream';
import type { SectionSink } from '../storage/stream';

const CTIME_SLACK_NS = 1_000_000_000n;

export interface VolumeManifest {
  /** When the walk started (ns since the epoch, wall clock: what ctime is measured in). */
  startedNs: bigint;
  /** Relative path -> "type:size:mode:uid:gid:mtime:ctime:ino". */
  entries: Map<string, { sig: string; type: string; ctimeNs: bigint }>;
}

/** `readdir`: the folder reader (a test passes one that removes a folder just before reading it). */
export async function walkVolume(root: string, readdir: (dir: string) => Promise<string[]> = (dir) => fsp.readdir(dir)): Promise<VolumeManifest> {
  const startedNs = BigInt(Date.now()) * 1_000_000n;
  const entries: VolumeManifest['entries'] = new Map();
  const top = await fsp.lstat(root, { bigint: true });
  const walk = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(path.join(root, rel));
    } catch (e) {
      // A folder that went away (or was replaced) since it was seen, e.g. CRIU's temporary
      // cr-tmpfs.* in the instance's /tmp while the first walk runs: the next walk says so.
      const code = (e as NodeJS.ErrnoException).code;
      if (rel && (code === 'ENOENT' || code === 'ENOTDIR')) return;
      throw e;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await fsp.lstat(path.join(root, r), { bigint: true }).catch(() => undefined);
      if (!st) continue; // gone meanwhile: the next walk says so
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      entries.set(r, { sig: `${type}:${st.size}:${st.mode}:${st.uid}:${st.gid}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`, type, ctimeNs: st.ctimeNs });
      if (type === 'd' && st.dev === top.dev) await walk(r);
    }
  };
  await walk('');
  return { startedNs, entries };
}

export interface VolumeDelta {
  /** Paths to extract again, parents before children. */
  changed: string[];
  /** Paths to remove first. */
  removed: string[];
}

export function volumeDelta(before: VolumeManifest, after: VolumeManifest): VolumeDelta {
  const changed: string[] = [];
  const removed: string[] = [];
  const recent = before.startedNs - CTIME_SLACK_NS;
  for (const [p, a] of after.entries) {
    const b = before.entries.get(p);
    if (!b || b.sig !== a.sig || a.ctimeNs >= recent) changed.push(p);
    if (b && b.type !== a.type) removed.push(p);
  }
  for (const p of before.entries.keys()) if (!after.entries.has(p)) removed.push(p);
  changed.sort();
  return { changed, removed };
}

/** A GNU tar of `paths` (relative to `root`; no recursion into folders: they are listed). */
export async function tarOf(root: string, paths: string[], listFile: string): Promise<{ data: Readable; done: () => Promise<void> }> {
  await fsp.writeFile(listFile, paths.map((p) => `${p}\0`).join(''), { mode: 0o600 });
  const src = toolSource({ kind: 'volume', name: 'delta' }, 'tar', [...TAR_CREATE, root, '--no-recursion', '--null', '--verbatim-files-from', '-T', listFile]);
  return { data: src.data, done: () => src.done().finally(() => fsp.rm(listFile, { force: true })) };
}

/** Extracts a tar stream into `root` (the delta over a volume; CRIU's images go through checkpoint-tar.ts). */
export function untarInto(root: string): SectionSink {
  return toolSink('tar', [...TAR_EXTRACT, root]);
}

/**
 * Removes `paths` (relative to `root`), refusing any that leaves the folder or goes through a
 * link: the volume's own links must never point a removal at the host.
 */
export async function removeFromVolume(root: string, paths: readonly string[]): Promise<void> {
  const real = await fsp.realpath(root);
  for (const p of paths) {
    if (!p || path.isAbsolute(p) || p.split('/').some((s) => s === '..' || s === '.' || s === '')) throw new InvalidArgumentError('delta.removed_paths', `"${p}" is not a plain relative path`);
    const parent = path.dirname(p);
    const at = await fsp.realpath(path.join(real, parent)).catch(() => undefined);
    if (at === undefined) continue; // its folder is gone already
    if (at !== path.resolve(real, parent)) throw new InvalidArgumentError('delta.removed_paths', `"${p}" goes through a link`);
    await fsp.rm(path.join(real, p), { recursive: true, force: true });
  }
}
