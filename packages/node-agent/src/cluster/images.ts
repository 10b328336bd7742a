/**
 * Images in a cluster, on one member (packages/node-agent/design.md, "Images in a cluster"):
 * what this member's image store holds is recorded in the store (ImageRegistry); an image a
 * launch here needs is pulled from the members holding it (ensure); images are replicated in
 * the background to cluster.images_minimal_replica members (replicate, by replicaPullers).
 *
 * Contract:
 * - Recording: every import, publish, pull, delete and alias change of the local ImageStore is
 *   written to the registry (serialized, in order); start() records what the store holds and
 *   drops the holder keys of images it no longer holds (a change made while berthd was down).
 * - ensure(ref) resolves ref in the local store, else in the registry; an image the cluster
 *   knows and this member lacks is pulled before it returns. An image unknown to both is left
 *   to the agent (the built-in busybox is built on first use; anything else fails there).
 * - One transfer per image at a time on this member: launches and replication asking for the
 *   same fingerprint share it. A pull asks every ONLINE holder (Stat) and fetches from those
 *   that hold it (fetchImage: ranges, resume, CRC, SHA-256); a holder that is down is skipped,
 *   so a launch works while any holder is up. The file is imported into the ImageStore only
 *   after its SHA-256 matched, with expectedFingerprint, and the store's untrusted-archive
 *   checks run as for any import. Nothing partial is left (the pull folder is emptied at start).
 * - A pull that failed is not tried again for the same image for RETRY_MS (the error is
 *   answered again meanwhile): a tampered source does not cause a transfer every pass.
 * - Progress: each pull is an operation (`Pulling image F to M`) on this member, its metadata
 *   `progress.bytes`, `progress.total`, `progress.rate_bps`, `progress.eta_s`, `progress.peers`
 *   rewritten at most once a second.
 */
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { ClusterImage, ClusterStore, ImageRegistry, MemberPki } from '@berth/control-plane';
import { replicaPullers } from '@berth/control-plane';
import type { ImageTransferClient } from '@berth/proto';
import { InvalidArgumentError, NotFoundError } from '../errors';
import type { ImageRecord, ImageStore, ImageStoreChange } from '../images/store';
import { fetchImage } from './image-transfer';
import type { FetchReport, TransferPeer } from './image-transfer';
import type { Operations } from './operations';

/** A failed pull of an image is not tried again before this (launches get its error meanwhile). */
const RETRY_MS = 15_000;
/** How long a holder gets to answer Stat. */
const STAT_MS = 5_000;

export interface ImageDistributorOptions {
  me: string;
  store: ClusterStore;
  registry: ImageRegistry;
  images: ImageStore;
  /** A client of a member's ImageTransfer on the members' mutual-TLS listener. */
  peer: (member: string) => Promise<ImageTransferClient>;
  /** Pulls are written in <dataDir>/image-pulls (emptied at start). */
  dataDir: string;
  /** Removes an image from this host (store, spares, pool copy); refuses one an instance uses. */
  removeLocal?: ((fingerprint: string) => Promise<void>) | undefined;
  /** Progress of pulls as operations; absent: none recorded. */
  operations?: Operations | undefined;
  log?: (line: string) => void;
  /** Pull over data links (data-link.ts) with these certificates; absent: on the gRPC streams. */
  links?: { pki: MemberPki } | undefined;
}

/** The registry's record of a local image. */
export function clusterImageOf(r: ImageRecord, origin: string): ClusterImage {
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.metadata.properties ?? {})) properties[k] = String(v);
  return {
    fingerprint: r.fingerprint,
    size: r.size,
    files: r.files.map((f) => ({ role: f.role, size: f.size, compression: f.compression })),
    architecture: r.metadata.architecture,
    description: properties['description'] ?? '',
    properties,
    createdAt: Date.parse(r.importedAt) || Date.now(),
    origin,
  };
}

export class ImageDistributor {
  private readonly pulls = new Map<string, Promise<void>>();
  private readonly failed = new Map<string, { at: number; error: Error }>();
  private recording: Promise<void> = Promise.resolve();
  /** A change could not be recorded (no quorum, say): the next tick records everything again. */
  private unsynced = true;
  private unsubscribe: (() => void) | undefined;
  private readonly pullDir: string;
  private stopped = false;
  /** Pulls done here (tests, the benchmark): fingerprint, why, the fetch's report, ms. */
  readonly history: Array<{ fingerprint: string; why: string; report: FetchReport; ms: number }> = [];

  private constructor(private readonly o: ImageDistributorOptions) {
    this.pullDir = path.join(o.dataDir, 'image-pulls');
  }

  static async start(o: ImageDistributorOptions): Promise<ImageDistributor> {
    const d = new ImageDistributor(o);
    await fsp.rm(d.pullDir, { recursive: true, force: true });
    await fsp.mkdir(d.pullDir, { recursive: true, mode: 0o700 });
    d.unsubscribe = o.images.onChange((c) => d.enqueue(() => d.recordChange(c)));
    return d;
  }

  private log(line: string): void {
    (this.o.log ?? ((l: string) => process.stdout.write(`${l}\n`)))(line);
  }

  /** Registry writes, one after another in the order of the store's changes. */
  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.recording.then(fn).catch((e: unknown) => {
      this.unsynced = true;
      this.log(`images: recording in the cluster store failed (done again on the next tick): ${(e as Error).message}`);
    });
    this.recording = run;
    return run;
  }

  private async recordChange(c: ImageStoreChange): Promise<void> {
    const reg = this.o.registry;
    switch (c.type) {
      case 'imported':
        await reg.record(this.o.me, clusterImageOf(c.record, this.o.me), c.aliases);
        break;
      case 'deleted':
        await reg.dropHolder(this.o.me, c.fingerprint);
        for (const a of c.aliases) await reg.dropAlias(a, c.fingerprint);
        break;
      case 'alias-created':
        await reg.addAlias(c.name, c.fingerprint, c.description);
        break;
      case 'alias-deleted':
        await reg.dropAlias(c.name, c.fingerprint);
        break;
    }
  }

  /** Records every local image (with its aliases) and drops holder keys of images gone from here. */
  sync(): Promise<void> {
    this.unsynced = false;
    return this.enqueue(async () => {
      const [local, aliases, held, deleted] = await Promise.all([this.o.images.list(), this.o.images.listAliases(), this.o.registry.heldBy(this.o.me), this.o.registry.deleted()]);
      const here = new Set(local.map((r) => r.fingerprint));
      // Deleted from the cluster while this member was away: removed by tick(), never recorded again.
      for (const r of local.filter((x) => !deleted.has(x.fingerprint))) await this.o.registry.record(this.o.me, clusterImageOf(r, this.o.me), aliases.filter((a) => a.fingerprint === r.fingerprint).map((a) => a.name));
      for (const fp of held) if (!here.has(fp)) await this.o.registry.dropHolder(this.o.me, fp);
    });
  }

  /** Resolves once every change told so far is recorded (tests). */
  recorded(): Promise<void> {
    return this.recording;
  }

  private async holds(fp: string): Promise<boolean> {
    return (await this.o.images.list()).some((r) => r.fingerprint === fp);
  }

  /**
   * Makes sure the image `ref` (alias or fingerprint) is in the local store when the cluster
   * has it: pulled from its holders when missing. `why` names the launch, for the operation.
   */
  async ensure(ref: string, why: string): Promise<void> {
    try {
      await this.o.images.resolve(ref);
      return;
    } catch (e) {
      if (!(e instanceof NotFoundError) && !(e instanceof InvalidArgumentError)) throw e;
    }
    const fp = await this.o.registry.resolve(ref);
    if (!fp) return;
    try {
      if (!(await this.holds(fp))) await this.pull(fp, why);
    } catch (e) {
      // The built-in image is built here when no holder can give it (Agent.ensureImage).
      if (ref === 'busybox') return;
      throw e;
    }
    // Asked by an alias the image lacks here (it came under another name): add it when free.
    if (ref !== fp && !fp.startsWith(ref.toLowerCase())) await this.o.images.createAlias(ref, fp).catch(() => undefined);
  }

  /** Pulls an image from its holders; concurrent callers for one fingerprint share one transfer. */
  pull(fp: string, why: string): Promise<void> {
    const running = this.pulls.get(fp);
    if (running) return running;
    const f = this.failed.get(fp);
    if (f && Date.now() - f.at < RETRY_MS) return Promise.reject(f.error);
    const p = this.transfer(fp, why).then(() => { this.failed.delete(fp); }, (e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      this.failed.set(fp, { at: Date.now(), error });
      throw error;
    }).finally(() => this.pulls.delete(fp));
    this.pulls.set(fp, p);
    return p;
  }

  private async transfer(fp: string, why: string): Promise<void> {
    const short = fp.slice(0, 12);
    const [image, live] = await Promise.all([this.o.registry.image(fp), this.o.store.live()]);
    if (!image) throw new NotFoundError(`image ${short} is not known to the cluster`);
    const holders = image.holders.filter((h) => h !== this.o.me);
    const online = holders.filter((h) => live.has(h));
    if (online.length === 0) {
      throw Object.assign(new Error(`image ${short}: no online member holds it (held by ${holders.join(', ') || 'no member'}, all offline)`), { code: 14 /* UNAVAILABLE */ });
    }
    const peers: TransferPeer[] = [];
    const refusals: string[] = [];
    await Promise.all(online.map(async (name) => {
      try {
        const client = await this.o.peer(name);
        const st = await new Promise<{ present: boolean; sizeBytes: number | string }>((resolve, reject) => client.Stat({ fingerprint: fp, offset: 0, length: 0 }, { deadline: Date.now() + STAT_MS }, (e, r) => (e || !r ? reject(e ?? new Error('no answer')) : resolve(r))));
        if (!st.present) refusals.push(`${name}: does not hold it any more`);
        else if (Number(st.sizeBytes) !== image.size) refusals.push(`${name}: holds ${st.sizeBytes} bytes, the cluster records ${image.size}`);
        else peers.push({ name, client });
      } catch (e) {
        refusals.push(`${name}: ${(e as { details?: string }).details || (e as Error).message}`);
      }
    }));
    if (peers.length === 0) throw Object.assign(new Error(`image ${short}: no holder could serve it (${refusals.join('; ')})`), { code: 14 });
    peers.sort((x, y) => (x.name < y.name ? -1 : 1));
    const file = path.join(this.pullDir, fp);
    const t0 = Date.now();
    const progress = await this.progress(fp, why, image.size, peers.map((p) => p.name));
    try {
      const fetchStart = Date.now();
      const report = await fetchImage({
        fingerprint: fp, size: image.size, peers, file,
        onProgress: (done, total) => progress.update(done, total),
        log: (l) => this.log(l),
        links: this.o.links,
      });
      const fetchMs = Date.now() - fetchStart;
      await progress.update(image.size, image.size, true);
      // Verified: now the store's own import (its untrusted-archive checks, and the fingerprint again).
      const parts = image.files;
      let at = 0;
      const streams = parts.map((p) => {
        const s = { start: at, end: at + p.size - 1 };
        at += p.size;
        return s;
      });
      const open = (i: number): AsyncIterable<Buffer> => (parts[i]!.size === 0 ? (async function* () { /* empty */ })() : createReadStream(file, streams[i]!));
      const src = parts.length === 1 ? { unified: open(0) } : { metadata: open(0), rootfs: open(1) };
      const aliases = image.aliases.filter((a) => a.length > 0);
      const free: string[] = [];
      const mine = new Set((await this.o.images.listAliases()).map((a) => a.name));
      for (const a of aliases) if (!mine.has(a)) free.push(a);
      await this.o.images.import(src, { expectedFingerprint: fp, aliases: free });
      const ms = Date.now() - t0;
      this.history.push({ fingerprint: fp, why, report, ms });
      this.log(`images: pulled ${short} (${image.size} bytes) for ${why} from ${Object.entries(report.byPeer).map(([m, n]) => `${m}=${n}`).join(',')} in ${ms} ms (fetched and verified in ${fetchMs} ms, ${report.linked === report.bytes ? 'all' : `${report.linked} bytes`} on data links, then imported); resumed ${report.resumed}`);
      await progress.end();
    } catch (e) {
      this.log(`images: pull of ${short} for ${why} failed: ${(e as Error).message}`);
      await progress.end(e as Error);
      throw e;
    } finally {
      await fsp.rm(file, { force: true });
    }
  }

  /** The pull's operation: created now, its progress rewritten at most once a second. */
  private async progress(fp: string, why: string, total: number, peers: string[]): Promise<{ update: (done: number, total: number, force?: boolean) => Promise<void>; end: (e?: Error) => Promise<void> }> {
    const ops = this.o.operations;
    const store = this.o.store;
    let settle: ((e?: Error) => void) | undefined;
    let id: string | undefined;
    if (ops) {
      const r = await ops.start({
        description: `Pulling image ${fp.slice(0, 12)} to ${this.o.me} (${why})`,
        resources: { images: fp },
        run: () => new Promise<void>((resolve, reject) => { settle = (e) => (e ? reject(e) : resolve()); }),
      }).catch(() => undefined);
      id = r?.operation?.id;
    }
    const t0 = Date.now();
    let lastAt = 0;
    let writing: Promise<void> | undefined;
    const write = async (done: number, all: number, now: number): Promise<void> => {
      const secs = Math.max(0.001, (now - t0) / 1000);
      const rate = done / secs;
      const eta = rate > 0 ? Math.max(0, (all - done) / rate) : 0;
      try {
        const cur = await store.operation(id!);
        if (cur && cur.value.status === 'running') {
          await store.changeOperation({
            ...cur.value, updatedAtUnixMs: now,
            metadata: { ...cur.value.metadata, 'progress.bytes': String(done), 'progress.total': String(all), 'progress.rate_bps': String(Math.round(rate)), 'progress.eta_s': eta.toFixed(1), 'progress.peers': peers.join(',') },
          }, cur.modRevision);
        }
      } catch { /* progress is best effort */ }
    };
    return {
      // At most one write a second and one at a time; `force` (the last one) waits for the one in flight.
      update: async (done, all, force = false) => {
        if (!id) return;
        if (!force && (writing || Date.now() - lastAt < 1000)) return;
        if (writing) await writing;
        lastAt = Date.now();
        writing = write(done, all, lastAt).finally(() => { writing = undefined; });
        await writing;
      },
      end: async (e) => {
        settle?.(e);
      },
    };
  }

  /** The periodic duty (every 2 s, with a store): record again after a failure, then replicate. */
  async tick(): Promise<void> {
    if (this.unsynced) await this.sync();
    await this.removeDeleted();
    await this.replicate();
  }

  /** Removes local copies of images deleted from the cluster (one an instance here uses stays, unrecorded). */
  private async removeDeleted(): Promise<void> {
    if (!this.o.removeLocal) return;
    const deleted = await this.o.registry.deleted();
    if (deleted.size === 0) return;
    for (const r of await this.o.images.list()) {
      if (!deleted.has(r.fingerprint) || this.pulls.has(r.fingerprint)) continue;
      await this.o.removeLocal(r.fingerprint).then(() => this.log(`images: removed ${r.fingerprint.slice(0, 12)}, deleted from the cluster`), () => undefined);
    }
  }

  /**
   * One pass of the replication rule: for every image of the cluster this member does not
   * hold, pull it when replicaPullers() names this member. Pulls run in the background.
   */
  async replicate(): Promise<void> {
    if (this.stopped) return;
    const [images, want, live] = await Promise.all([this.o.registry.images(), this.o.registry.minimalReplica(), this.o.store.live()]);
    const online = [...live.keys()];
    for (const img of images) {
      if (img.holders.includes(this.o.me) || this.pulls.has(img.fingerprint)) continue;
      if (!replicaPullers(img.fingerprint, want, img.holders, online).includes(this.o.me)) continue;
      this.pull(img.fingerprint, 'replication').catch(() => undefined);
    }
  }

  /** Resolves when no pull runs (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pulls.values()]);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }
}
