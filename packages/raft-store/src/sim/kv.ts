/**
 * The simulated state machine: a string KV with put / get / cas, and exactly-once application
 * of retried commands through the core's DedupTable.
 */
import { DedupTable } from '../core/dedup-table';
import type { Entry } from '../core/messages';

export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

export type KvResult = { readonly ok: boolean };

export type ApplyOutcome =
  | { readonly kind: 'executed' | 'duplicate'; readonly result: KvResult }
  | { readonly kind: 'skipped' }; // no-op, conf change, stale or expired duplicate

export function encodeCommand(c: KvCommand): Uint8Array {
  return Buffer.from(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()) as KvCommand;
}

export class Kv {
  private readonly data = new Map<string, string>();
  private dedup = new DedupTable<KvResult>(1000);

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  apply(e: Entry): ApplyOutcome {
    if (e.type !== 'normal' || e.data.byteLength === 0) return { kind: 'skipped' };
    const cmd = decodeCommand(e.data);
    if (e.clientId !== undefined && e.seq !== undefined) {
      const v = this.dedup.check(e.clientId, e.seq);
      if (v.kind === 'duplicate') return { kind: 'duplicate', result: v.result };
      if (v.kind !== 'new') return { kind: 'skipped' };
    }
    const result = this.execute(cmd);
    if (e.clientId !== undefined && e.seq !== undefined) this.dedup.record(e.clientId, e.seq, result);
    return { kind: 'executed', result };
  }

  private execute(c: KvCommand): KvResult {
    if (c.op === 'put') {
      this.data.set(c.key, c.value);
      return { ok: true };
    }
    const cur = this.data.get(c.key) ?? null;
    if (cur !== c.expected) return { ok: false };
    this.data.set(c.key, c.value);
    return { ok: true };
  }

  snapshot(): Uint8Array {
    const kv = [...this.data].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return Buffer.from(JSON.stringify({ kv, dedup: this.dedup.toJSON() }));
  }

  static restore(data: Uint8Array): Kv {
    const k = new Kv();
    if (data.byteLength === 0) return k;
    const s = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString()) as {
      kv: [string, string][];
      dedup: { clientId: string; seq: number; result: KvResult }[];
    };
    for (const [key, v] of s.kv) k.data.set(key, v);
    k.dedup = DedupTable.fromJSON(s.dedup, 1000);
    return k;
  }

  /** Canonical text of the state (for comparing replicas). */
  digest(): string {
    return Buffer.from(this.snapshot()).toString();
  }
}
