/**
 * Simplestreams (the image index LXD's `images:` remote and berth remotes speak): a catalog
 * of an ImageStore's images, an HTTP(S) server of it, and a client that copies an image from
 * such a server into an ImageStore. See packages/node-agent/design.md, "Simplestreams".
 *
 * The catalog (`streams/v1/index.json`, `streams/v1/images.json`, format products:1.0):
 * - one product per `os:release:architecture:variant` of the images' metadata properties
 *   (missing parts: `berth`, `-`, the metadata's architecture, `default`); its `aliases` are
 *   the store's aliases of its images; a version per image, named from its creation date
 *   (`YYYYMMDD_HH:MM`, then `-<fingerprint prefix>` if two images share one);
 * - a unified image is one item `lxd_combined.tar.gz` (its sha256 is the fingerprint); a split
 *   one is `lxd.tar.xz` (metadata; with `combined_sha256`/`combined_rootxz_sha256` = the
 *   fingerprint) and `root.tar.xz`; whatever the compression really is (the importer detects
 *   it, as LXD's does);
 * - files at `images/<fingerprint>/<item>`; the server answers byte ranges (a broken download
 *   resumes) and HEAD; nothing else (405 for other methods, 404 for other paths).
 *
 * The client:
 * - `find(alias)` resolves an alias, a product id or a fingerprint (full or a unique prefix
 *   of >= 8) to the newest version for the host's architecture; an unknown one is an error
 *   naming the aliases the server has;
 * - `copy(store, ref)` downloads each item, checks its size and SHA-256 against the catalog
 *   (a tampered or truncated file is refused, nothing is imported), then imports it with the
 *   expected fingerprint (the store's untrusted-archive checks apply); an image the store has
 *   already is not downloaded again;
 * - catalog documents are read up to 32 MiB; only http: and https: URLs; for https the
 *   server's certificate is checked against the CA given, or the system's, or pinned by its
 *   SHA-256 fingerprint (`berth remote add ... --accept-certificate`, as lxc does).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { lxdArchitecture } from './metadata';
import type { ImageAlias, ImageRecord, ImageStore } from './store';

export const INDEX_PATH = 'streams/v1/index.json';
export const PRODUCTS_PATH = 'streams/v1/images.json';
const MAX_DOC = 32 << 20;

export interface StreamItem {
  ftype: string;
  sha256: string;
  size: number;
  path: string;
  combined_sha256?: string;
  combined_rootxz_sha256?: string;
}

export interface StreamProduct {
  aliases?: string;
  arch: string;
  os: string;
  release: string;
  release_title?: string;
  variant: string;
  versions: Record<string, { items: Record<string, StreamItem> }>;
}

export interface StreamProducts {
  content_id: string;
  datatype: string;
  format: string;
  products: Record<string, StreamProduct>;
}

export interface StreamIndex {
  format: string;
  index: Record<string, { datatype: string; path: string; format: string; products: string[] }>;
}

/**
 * The catalog of `images` (with their aliases); `fileHash` gives the SHA-256 of a split
 * image's file (a unified image's is its fingerprint).
 */
export function catalog(images: readonly ImageRecord[], aliases: readonly ImageAlias[], fileHash: (r: ImageRecord, role: string) => string): { index: StreamIndex; products: StreamProducts } {
  const products: Record<string, StreamProduct> = {};
  const byImage = new Map<string, string[]>();
  for (const a of aliases) byImage.set(a.fingerprint, [...(byImage.get(a.fingerprint) ?? []), a.name]);
  for (const r of [...images].sort((x, y) => x.fingerprint.localeCompare(y.fingerprint))) {
    const p = r.metadata.properties;
    const arch = DEB_ARCH[r.metadata.architecture] ?? r.metadata.architecture;
    const key = [p['os'] || 'berth', p['release'] || '-', arch, p['variant'] || 'default'].join(':');
    const product = (products[key] ??= { arch, os: p['os'] || 'berth', release: p['release'] || '-', release_title: p['release'] || '-', variant: p['variant'] || 'default', versions: {} });
    const names = new Set((product.aliases ?? '').split(',').filter(Boolean));
    for (const n of byImage.get(r.fingerprint) ?? []) names.add(n);
    if (names.size > 0) product.aliases = [...names].sort().join(',');
    let version = versionName(r.metadata.creationDate);
    if (product.versions[version]) version = `${version}-${r.fingerprint.slice(0, 12)}`;
    product.versions[version] = { items: items(r, fileHash) };
  }
  const ids = Object.keys(products).sort();
  return {
    index: { format: 'index:1.0', index: { images: { datatype: 'image-downloads', path: PRODUCTS_PATH, format: 'products:1.0', products: ids } } },
    products: { content_id: 'images', datatype: 'image-downloads', format: 'products:1.0', products: Object.fromEntries(ids.map((k) => [k, products[k]!])) },
  };
}

/** Simplestreams names architectures as Debian does. */
const DEB_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', i686: 'i386', armv7l: 'armhf', armv6l: 'armel', ppc64le: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };

function versionName(seconds: number): string {
  const d = new Date(seconds * 1000).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}_${d.slice(11, 16)}`;
}

/** The item name of each of an image's files, in the store's order. */
function itemNames(r: ImageRecord): string[] {
  return r.format === 'unified' ? ['lxd_combined.tar.gz'] : r.files.map((f) => (f.role === 'metadata' ? 'lxd.tar.xz' : 'root.tar.xz'));
}

function items(r: ImageRecord, fileHash: (r: ImageRecord, role: string) => string): Record<string, StreamItem> {
  const names = itemNames(r);
  const out: Record<string, StreamItem> = {};
  r.files.forEach((f, i) => {
    const name = names[i]!;
    const item: StreamItem = { ftype: name, sha256: r.format === 'unified' ? r.fingerprint : fileHash(r, f.role), size: f.size, path: `images/${r.fingerprint}/${name}` };
    if (f.role === 'metadata') Object.assign(item, { combined_sha256: r.fingerprint, combined_rootxz_sha256: r.fingerprint });
    out[name] = item;
  });
  return out;
}

// ---------------------------------------------------------------- server

export interface SimplestreamsServerOptions {
  store: ImageStore;
  /** Which images to serve (berth serves its public ones). Default: all. */
  filter?: (r: ImageRecord) => boolean;
  /** host:port to listen on (port 0: any free one). */
  listen: string;
  /** PEM key and certificate for https; plain http without. */
  tls?: { keyPem: string; certPem: string };
}

/** Serves a store's images as a simplestreams remote until close(). */
export class SimplestreamsServer {
  private readonly hashes = new Map<string, string>();

  private constructor(private readonly opts: SimplestreamsServerOptions, private readonly server: http.Server) {}

  static async start(opts: SimplestreamsServerOptions): Promise<SimplestreamsServer> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      s.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(e instanceof NotFoundError ? 404 : 500, { 'content-type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      });
    };
    const server = opts.tls ? https.createServer({ key: opts.tls.keyPem, cert: opts.tls.certPem }, handler) : http.createServer(handler);
    const s = new SimplestreamsServer(opts, server);
    const { host, port } = splitHostPort(opts.listen);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return s;
  }

  /** The URL clients add as a remote. */
  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async served(): Promise<ImageRecord[]> {
    const all = await this.opts.store.list();
    return this.opts.filter ? all.filter(this.opts.filter) : all;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const rel = url.pathname.replace(/^\/+/, '');
    if (rel === INDEX_PATH || rel === PRODUCTS_PATH) {
      const images = await this.served();
      const hashes = await this.fileHashes(images);
      const c = catalog(images, await this.opts.store.listAliases(), (r, role) => hashes.get(`${r.fingerprint}/${role}`) ?? '');
      const body = Buffer.from(JSON.stringify(rel === INDEX_PATH ? c.index : c.products));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const m = /^images\/([0-9a-f]{64})\/(lxd_combined\.tar\.gz|lxd\.tar\.xz|root\.tar\.xz)$/.exec(rel);
    const rec = m ? (await this.served()).find((r) => r.fingerprint === m[1]) : undefined;
    if (!m || !rec) throw new NotFoundError(`${url.pathname}: no such file on this image server`);
    const i = itemNames(rec).indexOf(m[2]!);
    const file = (await this.opts.store.exportStreams(rec.fingerprint))[i];
    if (!file) throw new NotFoundError(`${url.pathname}: no such file on this image server`);
    const range = parseRange(req.headers.range, file.size);
    if (range === 'bad') {
      res.writeHead(416, { 'content-range': `bytes */${file.size}` }).end();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (range) {
      res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${file.size}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': file.size });
    }
    if (req.method === 'HEAD' || file.size === 0) {
      res.end();
      return;
    }
    await pipeline(file.open(range ?? undefined), res);
  }

  /** SHA-256 of each split image's files (unified ones need none), computed once. */
  private async fileHashes(images: readonly ImageRecord[]): Promise<Map<string, string>> {
    for (const r of images) {
      if (r.format === 'unified') continue;
      for (const f of await this.opts.store.exportStreams(r.fingerprint)) {
        const key = `${r.fingerprint}/${f.role}`;
        if (this.hashes.has(key)) continue;
        const h = crypto.createHash('sha256');
        for await (const c of f.open()) h.update(c as Buffer);
        this.hashes.set(key, h.digest('hex'));
      }
    }
    return this.hashes;
  }
}

function splitHostPort(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError('listen', `${JSON.stringify(listen)} is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** One `bytes=a-b` range (end inclusive), null for none, 'bad' for one that cannot be served. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'bad';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : { start, end };
}

// ---------------------------------------------------------------- client

export interface SimplestreamsClientOptions {
  /** PEM CA bundle to check an https server against (else the system's). */
  caPem?: string;
  /** SHA-256 (hex) of the server's certificate: pinned, accepted whoever signed it. */
  certFingerprint?: string;
  /** The architecture wanted (LXD's name); default: this host's. */
  architecture?: string;
}

/** What an alias resolves to on a server: the newest version of its product for the architecture. */
export interface FoundImage {
  product: string;
  version: string;
  fingerprint: string;
  aliases: string[];
  items: StreamItem[];
  /** Bytes to download. */
  size: number;
}

export class SimplestreamsClient {
  readonly base: URL;

  constructor(url: string, private readonly opts: SimplestreamsClientOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new InvalidArgumentError('url', `${JSON.stringify(url)} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError('url', `${url}: a simplestreams server is reached over http: or https:, not ${u.protocol}`);
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    this.base = u;
  }

  /** The server's products (its images.json, found through its index.json). */
  async products(): Promise<StreamProducts> {
    const index = JSON.parse((await this.fetch(INDEX_PATH, MAX_DOC)).toString('utf8')) as Partial<StreamIndex>;
    const entry = Object.values(index.index ?? {}).find((e) => e && e.datatype === 'image-downloads' && typeof e.path === 'string');
    if (index.format !== 'index:1.0' || !entry) throw new InvalidArgumentError('index.json', `${this.base.href}${INDEX_PATH} is not a simplestreams index of images`);
    const products = JSON.parse((await this.fetch(entry.path, MAX_DOC)).toString('utf8')) as Partial<StreamProducts>;
    if (products.format !== 'products:1.0' || typeof products.products !== 'object' || products.products === null) {
      throw new InvalidArgumentError('images.json', `${this.base.href}${entry.path} is not a simplestreams products:1.0 document`);
    }
    return products as StreamProducts;
  }

  /** Resolves an alias, a product id or a fingerprint (or a unique prefix of >= 8). */
  async find(ref: string): Promise<FoundImage> {
    const { products } = await this.products();
    const arch = this.opts.architecture ?? lxdArchitecture(process.arch) ?? process.arch;
    const found: FoundImage[] = [];
    const known = new Set<string>();
    for (const [id, p] of Object.entries(products)) {
      const aliases = (p.aliases ?? '').split(',').map((a) => a.trim()).filter(Boolean);
      for (const a of aliases) known.add(a);
      if (lxdArchitecture(p.arch) !== arch) continue;
      const versions = Object.keys(p.versions ?? {}).sort();
      for (const v of versions) {
        const items = Object.values(p.versions[v]?.items ?? {});
        const fp = fingerprintOf(items);
        if (!fp) continue;
        const byName = id === ref || aliases.includes(ref);
        const byFp = /^[0-9a-f]{8,64}$/.test(ref) && fp.startsWith(ref);
        if (byFp || (byName && v === versions.filter((x) => fingerprintOf(Object.values(p.versions[x]?.items ?? {}))).pop())) {
          found.push({ product: id, version: v, fingerprint: fp, aliases, items, size: items.reduce((n, i) => n + i.size, 0) });
        }
      }
    }
    const distinct = [...new Map(found.map((f) => [f.fingerprint, f])).values()];
    if (distinct.length === 1) return distinct[0]!;
    if (distinct.length > 1) throw new InvalidArgumentError('image', `${JSON.stringify(ref)} matches ${distinct.length} images on ${this.base.href}: ${distinct.map((f) => f.fingerprint.slice(0, 12)).join(', ')}`);
    const list = [...known].sort();
    throw new NotFoundError(`no image ${JSON.stringify(ref)} for ${arch} on ${this.base.href} (it has: ${list.length ? list.slice(0, 30).join(', ') + (list.length > 30 ? ', ...' : '') : 'no aliases'})`);
  }

  /**
   * Copies `ref` into `store` (unless it holds it already): each file downloaded into a
   * temporary folder beside the store, its size and SHA-256 checked, then imported with the
   * expected fingerprint. `onProgress` hears bytes done of the total.
   */
  async copy(store: ImageStore, ref: string, opts: { aliases?: string[]; onProgress?: (done: number, total: number) => void } = {}): Promise<{ image: FoundImage; record: ImageRecord; downloaded: boolean }> {
    const image = await this.find(ref);
    try {
      return { image, record: await store.get(image.fingerprint), downloaded: false };
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
    const tmp = await fs.promises.mkdtemp(path.join(path.dirname(store.root), '.simplestreams-'));
    try {
      let done = 0;
      const files: Record<string, string> = {};
      for (const item of image.items) {
        const file = path.join(tmp, path.basename(item.ftype));
        await this.download(item, file, (n) => opts.onProgress?.((done += n), image.size));
        files[item.ftype] = file;
      }
      const unified = files['lxd_combined.tar.gz'];
      const src = unified ? { unified } : { metadata: files['lxd.tar.xz']!, rootfs: files['root.tar.xz']! };
      if (!unified && (!src.metadata || !src.rootfs)) throw new InvalidArgumentError('image', `${image.product} ${image.version}: neither lxd_combined.tar.gz nor lxd.tar.xz with root.tar.xz`);
      const record = await store.import(src, { expectedFingerprint: image.fingerprint, aliases: opts.aliases });
      return { image, record, downloaded: true };
    } finally {
      await fs.promises.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Downloads one item into `file`, resuming with a byte range when the connection breaks. */
  private async download(item: StreamItem, file: string, progress: (bytes: number) => void): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(item.sha256)) throw new InvalidArgumentError('images.json', `item ${item.path}: sha256 ${JSON.stringify(item.sha256)} is not a SHA-256`);
    const hash = crypto.createHash('sha256');
    const out = fs.createWriteStream(file);
    let have = 0;
    try {
      for (let attempt = 0; have < item.size || item.size === 0; attempt++) {
        try {
          await this.request(item.path, have, (chunk) => {
            if (have + chunk.length > item.size) throw new InvalidArgumentError('image', `${item.path}: the server sent more than the ${item.size} bytes its catalog says`);
            have += chunk.length;
            hash.update(chunk);
            out.write(chunk);
            progress(chunk.length);
          });
          if (item.size === 0 || have >= item.size) break;
          if (attempt >= 5) throw new Error('connection kept breaking');
        } catch (e) {
          if (e instanceof InvalidArgumentError || e instanceof NotFoundError || attempt >= 5) throw e;
        }
      }
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    const got = hash.digest('hex');
    if (have !== item.size || got !== item.sha256) {
      throw new InvalidArgumentError('image', `${item.path}: the download does not match the catalog (${have} bytes, SHA-256 ${got.slice(0, 16)}; want ${item.size} bytes, ${item.sha256.slice(0, 16)}): refused`);
    }
  }

  private async fetch(rel: string, max: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    await this.request(rel, 0, (c) => {
      n += c.length;
      if (n > max) throw new InvalidArgumentError('image server', `${this.base.href}${rel} is larger than ${max} bytes`);
      chunks.push(c);
    });
    return Buffer.concat(chunks);
  }

  /** GET base+rel (from byte `from`), handing each chunk to `onData`; resolves at its end. */
  private request(rel: string, from: number, onData: (chunk: Buffer) => void): Promise<void> {
    const url = new URL(rel.replace(/^\/+/, ''), this.base);
    const tls = url.protocol === 'https:';
    const pin = this.opts.certFingerprint?.toLowerCase();
    const options: https.RequestOptions = {
      headers: from > 0 ? { range: `bytes=${from}-` } : {},
      ...(tls ? { ca: this.opts.caPem, rejectUnauthorized: !pin } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = (tls ? https : http).get(url, options, (res) => {
        if (tls && pin) {
          const cert = (res.socket as TLSSocket).getPeerCertificate();
          const fp = cert?.raw ? crypto.createHash('sha256').update(cert.raw).digest('hex') : '';
          if (fp !== pin) {
            res.destroy();
            reject(new InvalidArgumentError('certificate', `${url.host} showed certificate ${fp.slice(0, 16) || '(none)'}, not the one accepted for this remote (${pin.slice(0, 16)})`));
            return;
          }
        }
        const status = res.statusCode ?? 0;
        if (status === 404) {
          res.resume();
          reject(new NotFoundError(`${url.href}: not found on the image server`));
          return;
        }
        if (status !== 200 && !(status === 206 && from > 0)) {
          res.resume();
          reject(new Error(`${url.href}: HTTP ${status}`));
          return;
        }
        if (from > 0 && status === 200) {
          res.destroy();
          reject(new InvalidArgumentError('image server', `${url.host} does not resume downloads (no byte ranges)`));
          return;
        }
        res.on('data', (c: Buffer) => {
          try {
            onData(c);
          } catch (e) {
            res.destroy();
            reject(e);
          }
        });
        res.on('end', () => resolve());
        res.on('error', reject);
        res.on('aborted', () => reject(new Error(`${url.href}: connection broken`)));
      });
      req.on('error', reject);
    });
  }
}

/** The fingerprint a version's items give: a unified tarball's hash, or the metadata's combined hash. */
function fingerprintOf(items: readonly StreamItem[]): string | undefined {
  const unified = items.find((i) => i.ftype === 'lxd_combined.tar.gz');
  if (unified) return unified.sha256;
  const meta = items.find((i) => i.ftype === 'lxd.tar.xz');
  if (meta && items.some((i) => i.ftype === 'root.tar.xz')) return meta.combined_rootxz_sha256 ?? meta.combined_sha256;
  return undefined;
}
