/**
 * DedupTable: exactly-once application of retried client commands (thesis §6.3), used by the
 * STATE MACHINE, not by the core. The core only carries Entry.clientId/seq.
 *
 * Contract:
 *  - a client (clientId) issues commands with seq = 1, 2, 3, ... and has at most one command
 *    outstanding; it retries a command with the SAME seq until it gets an answer;
 *  - a retry may therefore be committed more than once (e.g. the first attempt committed after
 *    all under an old leader). The state machine calls check() on every committed entry with a
 *    clientId, in log order, on every replica: the outcome depends only on the entries applied
 *    before, so every replica drops the same duplicates;
 *  - 'new': execute, then record(clientId, seq, result); 'duplicate': do not execute, answer
 *    with the recorded result; 'stale': an older seq than the last answered one — the client has
 *    moved on, ignore; 'expired': the client's session was evicted (see below), answer with an
 *    error so the client starts a new session (new clientId) instead of executing twice.
 *  - The table is part of the state machine's snapshot (toJSON/fromJSON), so a replica restored
 *    from a snapshot drops the same duplicates.
 *
 * Memory is bounded by maxClients: when a new client appears and the table is full, the client
 * that was least recently applied is evicted — deterministic, as it depends on log order only.
 * An evicted client that then sends seq > 1 gets 'expired'. (Limitation: a client evicted right
 * after its FIRST command whose retry of seq 1 arrives later is executed again; keep maxClients
 * well above the number of concurrently active clients.)
 */
export type DedupVerdict<R> =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly result: R }
  | { readonly kind: 'stale' }
  | { readonly kind: 'expired' };

export interface DedupSession<R> {
  readonly clientId: string;
  readonly seq: number;
  readonly result: R;
}

export class DedupTable<R> {
  /** Insertion order = least recently applied first. */
  private readonly sessions = new Map<string, { seq: number; result: R }>();

  constructor(readonly maxClients: number = 10_000) {}

  check(clientId: string, seq: number): DedupVerdict<R> {
    const s = this.sessions.get(clientId);
    if (!s) return seq <= 1 ? { kind: 'new' } : { kind: 'expired' };
    if (seq === s.seq) return { kind: 'duplicate', result: s.result };
    if (seq < s.seq) return { kind: 'stale' };
    return { kind: 'new' };
  }

  record(clientId: string, seq: number, result: R): void {
    this.sessions.delete(clientId);
    this.sessions.set(clientId, { seq, result });
    while (this.sessions.size > this.maxClients) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
  }

  size(): number {
    return this.sessions.size;
  }

  /** In LRU order, for snapshots. */
  toJSON(): DedupSession<R>[] {
    return [...this.sessions].map(([clientId, s]) => ({ clientId, seq: s.seq, result: s.result }));
  }

  static fromJSON<R>(sessions: readonly DedupSession<R>[], maxClients?: number): DedupTable<R> {
    const t = new DedupTable<R>(maxClients);
    for (const s of sessions) t.record(s.clientId, s.seq, s.result);
    return t;
  }
}
