/**
 * Images copied from remote image servers (simplestreams), and their automatic refresh, as
 * LXD's `lxc image copy REMOTE:ALIAS local: [--auto-update]` and `images.auto_update_interval`.
 *
 * Contract:
 * - copy() brings an image from a server into the store (see simplestreams.ts: checked by
 *   size and SHA-256, imported with its expected fingerprint) and records where it came from
 *   in <images>/sources.json: server, protocol, the alias asked for, the pinned certificate,
 *   whether it auto-updates. A copy of an image the store holds already only updates that
 *   record (and adds the aliases asked for that are free).
 * - refresh() (every interval when started; 0 turns it off) asks each auto-updating image's
 *   server what its alias is now. A new fingerprint is copied in, the local aliases of the old
 *   image move to the new one, the record follows, and the old image is removed when no
 *   instance uses it (`remove`), else kept (without its aliases). An unreachable server or a
 *   refused download changes nothing; the next refresh tries again; the outcome of each check
 *   is in the record (checkedAt, error).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError } from '../errors';
import { SimplestreamsClient } from './simplestreams';
import type { ImageRecord, ImageStore } from './store';
import { writeFileAtomic } from './store';

export interface ImageSourceRecord {
  fingerprint: string;
  server: string;
  protocol: 'simplestreams';
  /** What was asked for on the server (an alias, a product, a fingerprint). */
  alias: string;
  /** The server certificate's SHA-256, when it was pinned. */
  certFingerprint?: string | undefined;
  autoUpdate: boolean;
  copiedAt: number;
  checkedAt?: number | undefined;
  /** Why the last check failed, if it did. */
  error?: string | undefined;
}

export interface CopyRequest {
  server: string;
  protocol: string;
  alias: string;
  certFingerprint?: string | undefined;
  /** Local aliases to give it. */
  aliases?: string[];
  /** Keep it up to date; unset: as it was (off for a new image). */
  autoUpdate?: boolean | undefined;
}

export interface SourcesOptions {
  /** Removes an image that an update replaced (the store's, the pool's and spare copies). */
  remove: (fingerprint: string) => Promise<void>;
  /** Whether an instance uses the image (then a replaced image is kept). */
  inUse: (fingerprint: string) => Promise<boolean>;
  /** A copy or an update happened (for logs and events). */
  onUpdate?: (from: string, to: string, source: ImageSourceRecord) => void;
}

export class ImageSources {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: ImageStore, private readonly opts: SourcesOptions, private readonly file: string) {}

  static open(store: ImageStore, opts: SourcesOptions): ImageSources {
    return new ImageSources(store, opts, path.join(store.root, 'sources.json'));
  }

  async list(): Promise<ImageSourceRecord[]> {
    return Object.values(await this.read()).sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  async copy(req: CopyRequest, onProgress?: (done: number, total: number) => void): Promise<{ record: ImageRecord; downloaded: boolean; source: ImageSourceRecord }> {
    if (req.protocol !== 'simplestreams') throw new InvalidArgumentError('protocol', `${JSON.stringify(req.protocol)}: berth copies images from simplestreams servers (and between its members)`);
    if (!req.alias) throw new InvalidArgumentError('alias', 'which image of the server: give an alias, a product or a fingerprint');
    const client = new SimplestreamsClient(req.server, { certFingerprint: req.certFingerprint });
    const held = new Set((await this.store.listAliases()).map((a) => a.name));
    const { record, downloaded } = await client.copy(this.store, req.alias, { aliases: req.aliases, onProgress });
    if (!downloaded) {
      for (const a of req.aliases ?? []) if (!held.has(a)) await this.store.createAlias(a, record.fingerprint);
    }
    const was = (await this.read())[record.fingerprint];
    const source: ImageSourceRecord = {
      fingerprint: record.fingerprint, server: client.base.href, protocol: 'simplestreams', alias: req.alias,
      certFingerprint: req.certFingerprint || undefined, autoUpdate: req.autoUpdate ?? was?.autoUpdate ?? false, copiedAt: Date.now(),
    };
    await this.change((t) => {
      t[record.fingerprint] = source;
    });
    this.opts.onUpdate?.('', record.fingerprint, source);
    return { record, downloaded, source };
  }

  /** One pass over the auto-updating images: what moved from which fingerprint to which. */
  refresh(now = Date.now()): Promise<Array<{ from: string; to: string; alias: string }>> {
    const run = this.running.then(() => this.refreshOnce(now));
    this.running = run.catch(() => undefined);
    return run;
  }

  /** Refreshes every `intervalMs` (0: never) until stop(). */
  start(intervalMs: number): void {
    this.stop();
    if (intervalMs > 0) this.timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async refreshOnce(now: number): Promise<Array<{ from: string; to: string; alias: string }>> {
    const moved: Array<{ from: string; to: string; alias: string }> = [];
    for (const s of await this.list()) {
      if (!s.autoUpdate) continue;
      try {
        const client = new SimplestreamsClient(s.server, { certFingerprint: s.certFingerprint });
        const found = await client.find(s.alias);
        if (found.fingerprint === s.fingerprint) {
          await this.change((t) => {
            if (t[s.fingerprint]) t[s.fingerprint] = { ...t[s.fingerprint]!, checkedAt: now, error: undefined };
          });
          continue;
        }
        const { record } = await client.copy(this.store, found.fingerprint);
        const aliases = (await this.store.listAliases()).filter((a) => a.fingerprint === s.fingerprint);
        for (const a of aliases) {
          await this.store.deleteAlias(a.name);
          await this.store.createAlias(a.name, record.fingerprint, a.description);
        }
        const next: ImageSourceRecord = { ...s, fingerprint: record.fingerprint, copiedAt: now, checkedAt: now, error: undefined };
        await this.change((t) => {
          delete t[s.fingerprint];
          t[record.fingerprint] = next;
        });
        if (!(await this.opts.inUse(s.fingerprint))) await this.opts.remove(s.fingerprint);
        moved.push({ from: s.fingerprint, to: record.fingerprint, alias: s.alias });
        this.opts.onUpdate?.(s.fingerprint, record.fingerprint, next);
      } catch (e) {
        await this.change((t) => {
          if (t[s.fingerprint]) t[s.fingerprint] = { ...t[s.fingerprint]!, checkedAt: now, error: (e as Error).message };
        });
      }
    }
    return moved;
  }

  private async read(): Promise<Record<string, ImageSourceRecord>> {
    try {
      const raw = JSON.parse(await fsp.readFile(this.file, 'utf8')) as { sources?: Record<string, ImageSourceRecord> };
      return Object.assign(Object.create(null) as Record<string, ImageSourceRecord>, raw.sources ?? {});
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null) as Record<string, ImageSourceRecord>;
      throw e;
    }
  }

  private changes: Promise<unknown> = Promise.resolve();

  /** Read, change, write: one at a time. */
  private change(fn: (t: Record<string, ImageSourceRecord>) => void): Promise<void> {
    const run = this.changes.then(() => this.changeNow(fn));
    this.changes = run.catch(() => undefined);
    return run;
  }

  private async changeNow(fn: (t: Record<string, ImageSourceRecord>) => void): Promise<void> {
    const t = await this.read();
    fn(t);
    // An image deleted since (berth image delete) takes its record with it.
    const held = new Set((await this.store.list()).map((r) => r.fingerprint));
    for (const fp of Object.keys(t)) if (!held.has(fp)) delete t[fp];
    await writeFileAtomic(this.file, `${JSON.stringify({ sources: t }, null, 2)}\n`);
  }
}
