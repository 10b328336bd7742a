import { inRange } from './keys';
import type { WatchEvent } from './types';

export interface WatchOptions {
  key: Buffer;
  rangeEnd?: Buffer | undefined;
  /** First revision to report (inclusive); 0 or absent: changes after now. */
  startRevision?: number | undefined;
  prevKv?: boolean | undefined;
  noPut?: boolean | undefined;
  noDelete?: boolean | undefined;
}

/** Receives a watcher's events, in revision order, each batch from one or more revisions. */
export type WatchSink = (events: WatchEvent[]) => void;

/** Where a watcher catching up reads the past from: events with revision in [from, to]. */
export type HistoryReader = (from: number, to: number) => Promise<WatchEvent[]>;

/** Thrown (to the watcher's error callback) when its start revision was compacted away. */
export class CompactedError extends Error {
  override readonly name = 'CompactedError';
  readonly code = 'COMPACTED';
  constructor(readonly requested: number, readonly compactRevision: number) {
    super(`required revision ${requested} has been compacted; the oldest available is ${compactRevision + 1} (compacted at ${compactRevision})`);
  }
}

interface Watcher {
  id: number;
  opts: WatchOptions;
  sink: WatchSink;
  onError: (e: Error) => void;
  /** While catching up from history, live events wait here. */
  pending: WatchEvent[] | null;
}

/**
 * Fans out the store's changes to watchers. A watcher from an old revision first reads
 * history up to the revision current when it was created, while newer live events are
 * held back, so it sees every event exactly once and in order.
 */
export class WatchHub {
  private nextId = 1;
  private readonly watchers = new Map<number, Watcher>();

  constructor(private readonly readHistory: HistoryReader) {}

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Starts a watch. `currentRevision` and `compactedRevision` are the store's at this
   * moment. Resolves with the watcher id once it is registered; history is delivered
   * asynchronously. Rejects with CompactedError when the start revision is gone.
   */
  watch(opts: WatchOptions, currentRevision: number, compactedRevision: number, sink: WatchSink, onError: (e: Error) => void): number {
    const start = opts.startRevision ?? 0;
    if (start > 0 && start <= compactedRevision) throw new CompactedError(start, compactedRevision);
    const w: Watcher = { id: this.nextId++, opts, sink, onError, pending: null };
    this.watchers.set(w.id, w);
    if (start > 0 && start <= currentRevision) {
      w.pending = [];
      this.readHistory(start, currentRevision).then((past) => {
        if (!this.watchers.has(w.id)) return;
        const all = [...this.filter(w, past), ...(w.pending ?? [])];
        w.pending = null;
        if (all.length > 0) this.deliver(w, all);
      }, (e: unknown) => {
        this.watchers.delete(w.id);
        onError(e instanceof Error ? e : new Error(String(e)));
      });
    }
    return w.id;
  }

  cancel(id: number): boolean {
    return this.watchers.delete(id);
  }

  /** Called by the store after a batch of changes is durable in its database. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of this.watchers.values()) {
      const mine = this.filter(w, events);
      if (mine.length === 0) continue;
      if (w.pending) w.pending.push(...mine);
      else this.deliver(w, mine);
    }
  }

  /**
   * A watcher's sink that throws ends that watch (its onError gets the exception): the store
   * that publishes, and every other watcher, go on. (An exception escaping into the store's
   * apply would stop the Raft member.)
   */
  private deliver(w: Watcher, events: WatchEvent[]): void {
    try {
      w.sink(events);
    } catch (e) {
      this.watchers.delete(w.id);
      try {
        w.onError(e instanceof Error ? e : new Error(String(e)));
      } catch { /* the watcher's own handler failed too: it is gone either way */ }
    }
  }

  private filter(w: Watcher, events: WatchEvent[]): WatchEvent[] {
    const { key, rangeEnd, noPut, noDelete, prevKv, startRevision = 0 } = w.opts;
    const out: WatchEvent[] = [];
    for (const ev of events) {
      if (ev.kv.modRevision < startRevision) continue;
      if (!inRange(ev.kv.key, key, rangeEnd)) continue;
      if ((ev.type === 'PUT' && noPut) || (ev.type === 'DELETE' && noDelete)) continue;
      out.push(prevKv ? ev : { type: ev.type, kv: ev.kv });
    }
    return out;
  }
}
