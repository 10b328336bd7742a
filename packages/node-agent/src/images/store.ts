/**
 * The image store of one agent: `<data>/images`.
 *
 *   <data>/images/                      0700 (unpacked rootfs may hold setuid files)
 *     <fingerprint>/
 *       image.json                      the ImageRecord
 *       original/unified.tar.gz         the tarball(s) as imported (export gives them back,
 *       original/{metadata,rootfs}.tar.xz   so the fingerprint never changes)
 *       metadata.yaml  rootfs/  templates/   unpacked
 *     aliases.json                      alias -> fingerprint
 *     .tmp/                             imports in progress (removed on failure, and at open)
 *
 * An import copies the source(s) into .tmp while hashing (the fingerprint, as LXD computes
 * it: SHA-256 of the unified tarball, or of the metadata tarball then the rootfs tarball),
 * checks the expected fingerprint, scans every entry of every tarball (nothing written),
 * parses metadata.yaml, extracts (checking again), and renames the folder into place last.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '../errors';
import { Reverter } from '../reverter';
import { COMPRESSION_EXT, detectCompression, type Compression } from './compression';
import { parseMetadata, type ImageMetadata } from './metadata';
import { DEFAULT_LIMITS, extractArchive, scanArchive, type ArchivePart, type Budget, type UnpackLimits } from './safe-extract';

/** A tarball to import: a file path, or a stream of its bytes. */
export type ImageSource = string | AsyncIterable<Buffer | Uint8Array | string>;

export type ImageImport = { unified: ImageSource } | { metadata: ImageSource; rootfs: ImageSource };

export interface ImportOptions {
  /** Refuse the image unless its fingerprint is this one (full, hex). */
  expectedFingerprint?: string;
  /** Aliases to create for it (each must be free). */
  aliases?: string[];
  /** Allow device nodes (an image for privileged containers). Default: the store's setting. */
  allowDevices?: boolean;
  /** Served to anyone by berthd's image server (`--images-address`); default private. */
  public?: boolean | undefined;
}

export type ImageRole = 'unified' | 'metadata' | 'rootfs';

export interface ImageFileRecord {
  role: ImageRole;
  /** File name under original/. */
  file: string;
  compression: Compression;
  size: number;
}

export interface ImageRecord {
  fingerprint: string;
  format: 'unified' | 'split';
  files: ImageFileRecord[];
  /** Bytes of the tarball(s) as imported. */
  size: number;
  metadata: ImageMetadata;
  /** Bytes of file data and number of entries once unpacked. */
  unpackedBytes: number;
  entries: number;
  /** Whether device nodes were allowed (privileged-only image). */
  allowDevices: boolean;
  importedAt: string;
  /** Served to anyone by berthd's image server (see setPublic). */
  public?: boolean | undefined;
}

export interface ImageAlias {
  name: string;
  fingerprint: string;
  description: string;
}

/** A change of what the store holds, told to onChange() listeners once it is on disk. */
export type ImageStoreChange =
  | { type: 'imported'; record: ImageRecord; aliases: string[] }
  | { type: 'deleted'; fingerprint: string; aliases: string[] }
  | { type: 'alias-created'; name: string; fingerprint: string; description: string }
  | { type: 'alias-deleted'; name: string; fingerprint: string };

export interface ImageStoreOptions {
  /** The agent's data folder; images live in <dataDir>/images. */
  dataDir: string;
  limits?: Partial<UnpackLimits>;
}

const FP_RE = /^[0-9a-f]{64}$/;
const ALIAS_RE = /^[A-Za-z0-9][A-Za-z0-9._:+/-]{0,254}$/;

function validateAlias(name: string): void {
  if (!ALIAS_RE.test(name) || name.includes('//') || name.endsWith('/') || name.split('/').includes('..')) {
    throw new InvalidArgumentError('alias', `${JSON.stringify(name)} is not a valid alias (1-255 letters, digits and . _ : + / -, starting with a letter or digit)`);
  }
}

export class ImageStore {
  readonly root: string;
  private readonly tmpRoot: string;
  private readonly limits: UnpackLimits;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(c: ImageStoreChange) => void>();

  private constructor(opts: ImageStoreOptions) {
    this.root = path.join(opts.dataDir, 'images');
    this.tmpRoot = path.join(this.root, '.tmp');
    this.limits = { ...DEFAULT_LIMITS, ...(opts.limits ?? {}) };
  }

  /** Opens (creating) the store, and removes what crashed imports left in .tmp. */
  static async open(opts: ImageStoreOptions): Promise<ImageStore> {
    const s = new ImageStore(opts);
    await fsp.mkdir(s.root, { recursive: true, mode: 0o700 });
    await fsp.chmod(s.root, 0o700);
    await fsp.rm(s.tmpRoot, { recursive: true, force: true });
    await fsp.mkdir(s.tmpRoot, { mode: 0o700 });
    return s;
  }

  /**
   * Calls `fn` after every change of what the store holds (an import, a delete, an alias made
   * or removed), once it is on disk; the cluster records its images from these. Returns the
   * unsubscribe. A listener that throws is ignored (the change stands).
   */
  onChange(fn: (c: ImageStoreChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(c: ImageStoreChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch { /* see onChange */ }
    }
  }

  /** Runs fn with the store's lock (alias file and folder renames). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private dirOf(fp: string): string {
    return path.join(this.root, fp);
  }

  // ------------------------------------------------------------ import

  async import(src: ImageImport, opts: ImportOptions = {}): Promise<ImageRecord> {
    const expected = opts.expectedFingerprint?.toLowerCase();
    if (expected !== undefined && !FP_RE.test(expected)) throw new InvalidArgumentError('fingerprint', `${JSON.stringify(opts.expectedFingerprint)} is not a SHA-256 in hex`);
    const aliases = opts.aliases ?? [];
    for (const a of aliases) validateAlias(a);
    if (new Set(aliases).size !== aliases.length) throw new InvalidArgumentError('alias', 'the same alias is given twice');
    await this.checkAliasesFree(aliases);
    const limits: UnpackLimits = { ...this.limits, allowDevices: opts.allowDevices ?? this.limits.allowDevices };

    const revert = new Reverter();
    try {
      const tmp = await fsp.mkdtemp(path.join(this.tmpRoot, 'import-'));
      revert.add(() => fsp.rm(tmp, { recursive: true, force: true }));
      const orig = path.join(tmp, 'original');
      await fsp.mkdir(orig);

      // 1. Copy in, hashing in LXD's order.
      const parts: Array<[ImageRole, ImageSource]> = 'unified' in src ? [['unified', src.unified]] : [['metadata', src.metadata], ['rootfs', src.rootfs]];
      const hash = createHash('sha256');
      const files: ImageFileRecord[] = [];
      for (const [role, source] of parts) {
        const partial = path.join(orig, `${role}.partial`);
        const size = await this.copyIn(source, partial, hash, role);
        const label = role === 'unified' ? 'image archive' : `image archive (${role} tarball)`;
        const compression = await detectCompression(partial, label);
        const file = `${role}${COMPRESSION_EXT[compression]}`;
        await fsp.rename(partial, path.join(orig, file));
        files.push({ role, file, compression, size });
      }
      const fingerprint = hash.digest('hex');
      if (expected !== undefined && expected !== fingerprint) {
        throw new InvalidArgumentError('fingerprint', `the image's fingerprint is ${fingerprint}, not the expected ${expected}`);
      }
      if (await exists(this.dirOf(fingerprint))) throw new AlreadyExistsError(`image ${fingerprint} already exists`);

      // 2. Scan: every entry of every tarball checked, nothing written.
      const scanBudget: Budget = { bytes: 0, entries: 0 };
      let metadataYaml: Buffer | undefined;
      let templateFiles = new Set<string>();
      for (const f of files) {
        const r = await scanArchive(path.join(orig, f.file), f.compression, f.role as ArchivePart, { limits, budget: scanBudget });
        if (r.metadataYaml) metadataYaml = r.metadataYaml;
        if (f.role !== 'rootfs') templateFiles = r.templateFiles;
      }
      const metadata = parseMetadata(metadataYaml!, templateFiles);

      // 3. Extract (each entry checked again).
      const budget: Budget = { bytes: 0, entries: 0 };
      for (const f of files) {
        await extractArchive(path.join(orig, f.file), f.compression, f.role as ArchivePart, tmp, { limits, budget });
      }
      if (!(await exists(path.join(tmp, 'rootfs')))) await fsp.mkdir(path.join(tmp, 'rootfs'), { mode: 0o755 });

      const record: ImageRecord = {
        fingerprint,
        format: 'unified' in src ? 'unified' : 'split',
        files,
        size: files.reduce((n, f) => n + f.size, 0),
        metadata,
        unpackedBytes: budget.bytes,
        entries: budget.entries,
        allowDevices: limits.allowDevices,
        importedAt: new Date().toISOString(),
        ...(opts.public ? { public: true } : {}),
      };
      await writeFileAtomic(path.join(tmp, 'image.json'), `${JSON.stringify(record, null, 2)}\n`);

      // 4. Into place, with the aliases, under the lock.
      await this.locked(async () => {
        await this.checkAliasesFree(aliases);
        try {
          await fsp.rename(tmp, this.dirOf(fingerprint));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new AlreadyExistsError(`image ${fingerprint} already exists`);
          throw e;
        }
        revert.add(() => this.removeDir(this.dirOf(fingerprint)));
        if (aliases.length > 0) {
          const table = await this.readAliases();
          for (const a of aliases) table[a] = { fingerprint, description: '' };
          await this.writeAliases(table);
        }
      });
      revert.success();
      this.emit({ type: 'imported', record, aliases: [...aliases] });
      return record;
    } finally {
      await revert.fail();
    }
  }

  /** Copies a source into a new file, feeding the hash; refuses more than the byte limit. */
  private async copyIn(source: ImageSource, file: string, hash: Hash, role: ImageRole): Promise<number> {
    const input: AsyncIterable<Buffer | Uint8Array | string> = typeof source === 'string' ? createReadStream(source) : source;
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    const closed = once(out, 'close');
    closed.catch(() => undefined);
    let size = 0;
    try {
      for await (const c of input) {
        const b = typeof c === 'string' ? Buffer.from(c) : Buffer.isBuffer(c) ? c : Buffer.from(c);
        size += b.length;
        if (size > this.limits.maxBytes) {
          throw new InvalidArgumentError(role === 'unified' ? 'image archive' : `image archive (${role} tarball)`, `the tarball is larger than the limit of ${this.limits.maxBytes} bytes`);
        }
        hash.update(b);
        if (!out.write(b)) await once(out, 'drain');
      }
      out.end();
      await closed;
    } catch (e) {
      out.destroy();
      await closed.catch(() => undefined);
      if (typeof source !== 'string' && source instanceof Readable) source.destroy();
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && typeof source === 'string') throw new NotFoundError(`image file ${source} does not exist`);
      throw e;
    }
    return size;
  }

  // ------------------------------------------------------------ queries

  /** Every image, by fingerprint. */
  async list(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const n of (await fsp.readdir(this.root)).sort()) {
      if (!FP_RE.test(n)) continue;
      const r = await this.readRecord(n).catch(() => null);
      if (r) out.push(r);
    }
    return out;
  }

  private async readRecord(fp: string): Promise<ImageRecord> {
    try {
      return JSON.parse(await fsp.readFile(path.join(this.dirOf(fp), 'image.json'), 'utf8')) as ImageRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`image ${fp} not found`);
      throw e;
    }
  }

  /** The full fingerprint for a fingerprint or a unique prefix of one. */
  async fingerprintOf(ref: string): Promise<string> {
    const p = ref.toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(p)) throw new InvalidArgumentError('fingerprint', `${JSON.stringify(ref)} is not a fingerprint (hex)`);
    const matches = (await fsp.readdir(this.root)).filter((n) => FP_RE.test(n) && n.startsWith(p));
    if (matches.length === 0) throw new NotFoundError(`image ${ref} not found`);
    if (matches.length > 1) throw new InvalidArgumentError('fingerprint', `${ref} matches ${matches.length} images; give more of it`);
    return matches[0]!;
  }

  /** An image by fingerprint (or unique prefix). */
  async get(ref: string): Promise<ImageRecord> {
    return this.readRecord(await this.fingerprintOf(ref));
  }

  /** An alias or a fingerprint (prefix) -> the full fingerprint (aliases win, as in LXD). */
  async resolve(ref: string): Promise<string> {
    const a = (await this.readAliases())[ref];
    if (a) return a.fingerprint;
    if (/^[0-9a-fA-F]{1,64}$/.test(ref)) return this.fingerprintOf(ref);
    throw new NotFoundError(`image or alias ${JSON.stringify(ref)} not found`);
  }

  /** The unpacked root file system (for the storage driver to copy or snapshot). */
  async rootfsPath(ref: string): Promise<string> {
    const fp = await this.fingerprintOf(ref);
    return path.join(this.dirOf(fp), 'rootfs');
  }

  /** The unpacked templates/ folder (may not exist when the image has none). */
  async templatesPath(ref: string): Promise<string> {
    const fp = await this.fingerprintOf(ref);
    return path.join(this.dirOf(fp), 'templates');
  }

  // ------------------------------------------------------------ delete / export

  /** Makes an image public (served by berthd's image server) or private again. */
  async setPublic(ref: string, value: boolean): Promise<ImageRecord> {
    const fp = await this.fingerprintOf(ref);
    return this.locked(async () => {
      const file = path.join(this.dirOf(fp), 'image.json');
      const rec = JSON.parse(await fsp.readFile(file, 'utf8')) as ImageRecord;
      if (!!rec.public === value) return rec;
      const next: ImageRecord = { ...rec, public: value || undefined };
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
  }

  /** Deletes an image and the aliases pointing to it. */
  async delete(ref: string): Promise<void> {
    const fp = await this.fingerprintOf(ref);
    const gone: string[] = [];
    await this.locked(async () => {
      const table = await this.readAliases();
      for (const [n, a] of Object.entries(table)) {
        if (a.fingerprint === fp) {
          delete table[n];
          gone.push(n);
        }
      }
      await this.removeDir(this.dirOf(fp));
      if (gone.length > 0) await this.writeAliases(table);
    });
    this.emit({ type: 'deleted', fingerprint: fp, aliases: gone });
  }

  /** Renames a folder into .tmp (it is gone at once), then removes it. */
  private async removeDir(dir: string): Promise<void> {
    const gone = path.join(this.tmpRoot, `delete-${randomBytes(6).toString('hex')}`);
    try {
      await fsp.rename(dir, gone);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    await fsp.rm(gone, { recursive: true, force: true });
  }

  /** File names LXD's export uses: <fp>.tar.xz, or meta-<fp>.tar.xz and <fp>.tar.xz. */
  private exportName(fp: string, f: ImageFileRecord): string {
    return `${f.role === 'metadata' ? 'meta-' : ''}${fp}${COMPRESSION_EXT[f.compression]}`;
  }

  /** Writes the original tarball(s) into a folder; returns the paths (metadata first). */
  async export(ref: string, destDir: string): Promise<string[]> {
    const rec = await this.get(ref);
    const out: string[] = [];
    const revert = new Reverter();
    try {
      for (const f of rec.files) {
        const dest = path.join(destDir, this.exportName(rec.fingerprint, f));
        await fsp.copyFile(path.join(this.dirOf(rec.fingerprint), 'original', f.file), dest, fsp.constants.COPYFILE_EXCL);
        revert.add(() => fsp.rm(dest, { force: true }));
        out.push(dest);
      }
      revert.success();
      return out;
    } finally {
      await revert.fail();
    }
  }

  /** The original tarball(s) as streams (for transfer between members); `open` may read a byte range (end inclusive). */
  async exportStreams(ref: string): Promise<Array<{ role: ImageRole; name: string; size: number; compression: Compression; path: string; open: (range?: { start?: number; end?: number; highWaterMark?: number }) => Readable }>> {
    const rec = await this.get(ref);
    return rec.files.map((f) => ({
      role: f.role,
      name: this.exportName(rec.fingerprint, f),
      size: f.size,
      compression: f.compression,
      path: path.join(this.dirOf(rec.fingerprint), 'original', f.file),
      open: (range?: { start?: number; end?: number; highWaterMark?: number }) => createReadStream(path.join(this.dirOf(rec.fingerprint), 'original', f.file), range ?? {}),
    }));
  }

  // ------------------------------------------------------------ aliases

  private get aliasFile(): string {
    return path.join(this.root, 'aliases.json');
  }

  private async readAliases(): Promise<Record<string, { fingerprint: string; description: string }>> {
    try {
      const raw = JSON.parse(await fsp.readFile(this.aliasFile, 'utf8')) as { aliases?: Record<string, { fingerprint: string; description: string }> };
      return Object.assign(Object.create(null) as Record<string, { fingerprint: string; description: string }>, raw.aliases ?? {});
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null) as Record<string, { fingerprint: string; description: string }>;
      throw e;
    }
  }

  private async writeAliases(table: Record<string, { fingerprint: string; description: string }>): Promise<void> {
    const sorted: Record<string, { fingerprint: string; description: string }> = {};
    for (const k of Object.keys(table).sort()) sorted[k] = table[k]!;
    await writeFileAtomic(this.aliasFile, `${JSON.stringify({ aliases: sorted }, null, 2)}\n`);
  }

  private async checkAliasesFree(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const table = await this.readAliases();
    for (const n of names) if (table[n]) throw new AlreadyExistsError(`alias ${JSON.stringify(n)} already exists (image ${table[n]!.fingerprint})`);
  }

  /** Creates an alias (names are unique) for an image (fingerprint or unique prefix). */
  async createAlias(name: string, ref: string, description = ''): Promise<ImageAlias> {
    validateAlias(name);
    const fp = await this.fingerprintOf(ref);
    return this.locked(async () => {
      if (!(await exists(this.dirOf(fp)))) throw new NotFoundError(`image ${ref} not found`);
      const table = await this.readAliases();
      if (table[name]) throw new AlreadyExistsError(`alias ${JSON.stringify(name)} already exists (image ${table[name]!.fingerprint})`);
      table[name] = { fingerprint: fp, description };
      await this.writeAliases(table);
      return { name, fingerprint: fp, description };
    }).then((a) => {
      this.emit({ type: 'alias-created', ...a });
      return a;
    });
  }

  async deleteAlias(name: string): Promise<void> {
    const fingerprint = await this.locked(async () => {
      const table = await this.readAliases();
      const a = table[name];
      if (!a) throw new NotFoundError(`alias ${JSON.stringify(name)} not found`);
      delete table[name];
      await this.writeAliases(table);
      return a.fingerprint;
    });
    this.emit({ type: 'alias-deleted', name, fingerprint });
  }

  /** The fingerprint an alias points to. */
  async resolveAlias(name: string): Promise<string> {
    const a = (await this.readAliases())[name];
    if (!a) throw new NotFoundError(`alias ${JSON.stringify(name)} not found`);
    return a.fingerprint;
  }

  async listAliases(): Promise<ImageAlias[]> {
    const table = await this.readAliases();
    return Object.keys(table).sort().map((name) => ({ name, ...table[name]! }));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}
