/**
 * A live move's CRIU images (an instance's checkpoints folder) as a tar stream, made and
 * unpacked in berthd's own process: these are a few dozen small files, sent inside the
 * instance's downtime, and spawning GNU tar on both sides cost ~10 ms of it (session 12).
 *
 * Contract:
 * - tarOfCheckpoints(root, exclude, rename): a ustar stream (GNU tar reads it) of `root`'s
 *   folders and regular files, names relative with "./" in front as `tar -C root .` writes
 *   them, sorted; numeric owner, mode and mtime kept. `exclude`: GNU-tar-like patterns on
 *   those names ("*" matches any characters, "/" too); an excluded folder's content goes
 *   with it. `rename`: a top folder goes under another name (`.move` -> `stop`). Anything
 *   that is not a folder or a regular file (a link, a device, a socket) fails the stream,
 *   naming it: CRIU writes none there. Files up to 1 MiB are read whole, larger ones streamed;
 *   a file that changes size while read fails the stream.
 * - untarCheckpointsInto(root): the other side (a SectionSink, as untarInto). Takes folders
 *   and regular files only, with plain relative names (no "..", not absolute); anything else
 *   (a link, a device, a hard link) is refused, naming the entry, before anything of it is
 *   written. Existing files are replaced (the pages a page server wrote stay beside them);
 *   never through a link: every folder on the way is checked to be a real folder under root.
 *   Owner, mode and mtime as the archive says. `end()` resolves once every file is written
 *   and closed; a stream that is not a whole archive fails it. Given a FilePool on root's file
 *   system, each file is one of its empty files renamed into place instead of a new one.
 *   (host/file-pool.ts: making a file costs ~0.35 ms on this host's ext4, and a live move's
 *   ~50 images are unpacked inside its downtime.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors';
import type { SectionSink } from '../storage/stream';
import { BLOCK, encodeHeader, readTar } from '../images/tar';
import type { FilePool } from '../host/file-pool';

/** A FilePool's folder in an instance's checkpoints folder, during a live move (target). */
export const CHECKPOINT_FILE_POOL = '.pool';
/** Files in a live move's pool: a container's images are ~50 files; beyond, files are made as usual. */
export const FILE_POOL_SIZE = 128;

/** Files up to this size are read (and written) in one call. */
const WHOLE = 1 << 20;
const ZEROS = Buffer.alloc(2 * BLOCK);

function globRegExp(pattern: string): RegExp {
  const body = pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`);
}

/** The tar stream of a checkpoints folder (see the contract). */
export function tarOfCheckpoints(root: string, exclude: readonly string[] = [], rename?: { from: string; to: string }): { data: Readable; done: () => Promise<void> } {
  const excluded = exclude.map(globRegExp);
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
  finished.catch(() => undefined);
  const renamed = (name: string): string => {
    if (!rename) return name;
    const top = `./${rename.from}`;
    return name === top || name.startsWith(`${top}/`) ? `./${rename.to}${name.slice(top.length)}` : name;
  };
  async function* entries(): AsyncGenerator<Buffer> {
    const header = (name: string, st: fs.Stats, type: 'dir' | 'file'): Buffer => {
      const { block, overflow } = encodeHeader({ name, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), size: type === 'file' ? st.size : 0 });
      if (Object.keys(overflow).length > 0) throw new InvalidArgumentError('checkpoint', `${name}: a name or field too long for this archive (${Object.keys(overflow).join(', ')})`);
      return block;
    };
    const walk = function* (rel: string): Generator<{ name: string; abs: string; st: fs.Stats }> {
      const dir = rel === '.' ? root : path.join(root, rel);
      for (const n of fs.readdirSync(dir).sort()) {
        const name = `${rel === '.' ? '.' : `./${rel}`}/${n}`;
        if (excluded.some((re) => re.test(name))) continue;
        const abs = path.join(dir, n);
        const st = fs.lstatSync(abs);
        yield { name, abs, st };
        if (st.isDirectory()) yield* walk(rel === '.' ? n : `${rel}/${n}`);
      }
    };
    yield header('./', fs.lstatSync(root), 'dir');
    for (const { name, abs, st } of walk('.')) {
      const shown = renamed(name);
      if (st.isDirectory()) {
        yield header(`${shown}/`, st, 'dir');
        continue;
      }
      if (!st.isFile()) throw new InvalidArgumentError('checkpoint', `${abs} is neither a folder nor a regular file: not sent`);
      yield header(shown, st, 'file');
      if (st.size <= WHOLE) {
        const data = fs.readFileSync(abs);
        if (data.length !== st.size) throw new InvalidArgumentError('checkpoint', `${abs} changed size while it was sent (${st.size} -> ${data.length} bytes)`);
        yield data;
      } else {
        let n = 0;
        for await (const c of fs.createReadStream(abs, { highWaterMark: WHOLE })) {
          n += (c as Buffer).length;
          if (n > st.size) throw new InvalidArgumentError('checkpoint', `${abs} grew while it was sent`);
          yield c as Buffer;
        }
        if (n !== st.size) throw new InvalidArgumentError('checkpoint', `${abs} shrank while it was sent (${n} of ${st.size} bytes)`);
      }
      const pad = (BLOCK - (st.size % BLOCK)) % BLOCK;
      if (pad > 0) yield ZEROS.subarray(0, pad);
    }
    yield ZEROS;
  }
  // Small pieces (headers, small files, padding) go out joined, up to WHOLE bytes at a time:
  // each piece through the stream cost ~30 us, and a dump has ~150 of them.
  async function* joined(): AsyncGenerator<Buffer> {
    let parts: Buffer[] = [];
    let have = 0;
    for await (const b of entries()) {
      if (b.length >= WHOLE) {
        if (have > 0) yield Buffer.concat(parts, have);
        parts = [];
        have = 0;
        yield b;
        continue;
      }
      parts.push(b);
      have += b.length;
      if (have >= WHOLE) {
        yield Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
    if (have > 0) yield Buffer.concat(parts, have);
  }
  const data = Readable.from((async function* () {
    try {
      yield* joined();
      settle!.resolve();
    } catch (e) {
      settle!.reject(e as Error);
      throw e;
    }
  })(), { objectMode: false });
  return { data, done: () => finished };
}

/** Unpacks a checkpoints tar stream into `root` (see the contract). */
export function untarCheckpointsInto(root: string, pool?: FilePool): SectionSink {
  // The stream's chunks, handed from write() to the reader: one at a time (write waits).
  let next: { chunk: Buffer; taken: () => void } | undefined;
  let wake: (() => void) | undefined;
  let ended = false;
  let aborted = false;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const source = (async function* () {
    for (;;) {
      if (aborted) throw new Error('the checkpoint stream was abandoned');
      if (next) {
        const n = next;
        next = undefined;
        n.taken();
        yield n.chunk;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  })();
  const real = new Set<string>([root]);
  /** `dir` (under root) as a real folder, made when missing; never through a link. */
  const folder = (dir: string, mode = 0o755, owner?: { uid: number; gid: number }): void => {
    if (real.has(dir)) return;
    folder(path.dirname(dir));
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st && !st.isDirectory()) {
      if (st.isSymbolicLink()) throw new InvalidArgumentError('checkpoint', `${path.relative(root, dir)} is a link here: not extracted through it`);
      fs.rmSync(dir, { force: true });
      st = undefined;
    }
    if (!st) {
      fs.mkdirSync(dir, { mode });
      if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    }
    real.add(dir);
  };
  const unpacking = (async () => {
    for await (const { entry, body } of readTar(source, { label: 'checkpoint' })) {
      const rel = entry.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (rel === '' || rel === '.') continue; // the folder itself: it is ours
      const parts = rel.split('/');
      if (entry.name.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
        throw new InvalidArgumentError('checkpoint', `entry '${entry.name}' is not a plain relative name: refused`);
      }
      const abs = path.join(root, ...parts);
      if (entry.type === 'dir') {
        folder(abs, entry.mode, { uid: entry.uid, gid: entry.gid });
        fs.chmodSync(abs, entry.mode);
        fs.chownSync(abs, entry.uid, entry.gid);
        continue;
      }
      if (entry.type !== 'file') throw new InvalidArgumentError('checkpoint', `entry '${entry.name}' is a ${entry.type === 'unknown' ? `type ${JSON.stringify(entry.typeflag)} entry` : entry.type}: checkpoint images are folders and regular files only`);
      folder(path.dirname(abs));
      try {
        const st = fs.lstatSync(abs);
        if (st.isDirectory()) throw new InvalidArgumentError('checkpoint', `entry '${entry.name}' is a file, but a folder of that name is here`);
        fs.unlinkSync(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const pooled = pool?.take();
      if (pooled) fs.renameSync(pooled, abs);
      const fd = pooled
        ? fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW)
        : fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      try {
        let at = 0;
        for await (const c of body) {
          for (let off = 0; off < c.length;) off += fs.writeSync(fd, c, off, c.length - off, at + off);
          at += c.length;
        }
        fs.fchownSync(fd, entry.uid, entry.gid);
        fs.fchmodSync(fd, entry.mode);
        fs.futimesSync(fd, entry.mtime, entry.mtime);
      } finally {
        fs.closeSync(fd);
      }
    }
  })();
  let failed: Error | undefined;
  // Over: what still comes after the end-of-archive blocks (GNU tar pads to 10 KiB) is dropped.
  let over = false;
  const release = (): void => {
    const n = next;
    next = undefined;
    n?.taken();
  };
  unpacking.then(() => { over = true; release(); }, (e: Error) => { failed = e; release(); });
  return {
    write: async (chunk: Buffer): Promise<void> => {
      if (failed) throw failed;
      if (chunk.length === 0 || over) return;
      await new Promise<void>((resolve) => {
        next = { chunk, taken: resolve };
        poke();
      });
      if (failed) throw failed;
    },
    end: async (): Promise<void> => {
      ended = true;
      poke();
      await unpacking;
    },
    abort: (): void => {
      aborted = true;
      poke();
    },
  };
}
