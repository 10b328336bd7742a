/**
 * Asynchronous operations of the cluster API, as LXD has them: a change answers at once with
 * an operation (an id, status `running`); the work goes on on the member that took the call,
 * and its outcome — success, or failure with the error in words and its gRPC code — is
 * recorded in the store (/berth/operations/<id>), where any member can read it, wait for it
 * (OperationService.GetOperation with wait_seconds) or cancel it (when it may be cancelled).
 *
 * Contract:
 * - start() records the operation before it returns it, and every end (success, failure,
 *   cancelled) is written once, with a compare on the record: by the member running it, or,
 *   for a launch, by the instance's owner in the txn that records the state it reached
 *   (InstanceIntent.launchOp, reconciler.ts); the member running it then finds it ended.
 * - start() records the operation alone, or (OperationWork.record) in the same txn as the
 *   change it carries out: one Raft commit for both, and a refused change records nothing.
 * - A cancel request is a flag on the record; the running member sees it (the store's watch
 *   wakes it, and it reads the record as this member has applied it), runs the operation's
 *   undo, and records `cancelled`.
 * - get() reads the record linearizably first; then, woken by the store's watch, as this
 *   member has applied it (what it applied since is at least as new); an end this member
 *   wrote answers its waits here as soon as the store acknowledged it.
 * - A member that dies leaves its operations `running`: the leader marks the operations of an
 *   offline member `failure` ("member X went offline"), and removes finished operations an
 *   hour old.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Operation, OperationResponse } from '@berth/proto';
import { launchTrace } from '@berth/control-plane';
import type { ClusterStore, OperationRecord } from '@berth/control-plane';
import { toStatus } from '../daemon/status';

const FINAL = new Set(['success', 'failure', 'cancelled']);
export const KEEP_FINISHED_MS = 3600_000;
/** How long an operation's end is tried while the store cannot answer. */
const FINISH_WAIT_MS = 30_000;

export class CancelledError extends Error {}

export interface OperationWork {
  /** The operation's id when the caller needs it before start() (absent: a new UUID). */
  id?: string | undefined;
  description: string;
  resources?: Record<string, string>;
  /** The work; resolves with resources to add (e.g. the location), rejects with the error. */
  run: (cancelled: () => boolean) => Promise<Record<string, string> | void>;
  /** Undoes what can be undone when the operation is cancelled; absent: it cannot be. */
  cancel?: () => Promise<void>;
  /**
   * Writes the record together with the change the operation carries out, in one txn (one
   * Raft commit); answers the revision it committed at. Throws, having written nothing, when
   * the change is refused. Absent: the record is written alone.
   */
  record?: (op: OperationRecord) => Promise<number>;
}

export class Operations {
  /** Waits (get) on operations this member runs: called with the end it wrote, once acknowledged. */
  private readonly endWaiters = new Map<string, Set<(op: OperationRecord | boolean) => void>>();

  /** `changed`: resolves at the next change in the store (true) or after `ms` (false); see ClusterMember.changed. */
  constructor(private readonly store: ClusterStore, private readonly me: string, private readonly changed: (ms: number) => Promise<boolean>) {}

  async start(w: OperationWork): Promise<OperationResponse> {
    const now = Date.now();
    const op: OperationRecord = {
      id: w.id ?? randomUUID(), description: w.description, status: 'running', mayCancel: !!w.cancel, resources: w.resources ?? {}, metadata: {},
      error: '', errorCode: '', createdAtUnixMs: now, updatedAtUnixMs: now, location: this.me,
    };
    const rev = await (w.record ? w.record(op) : this.store.putOperation(op));
    launchTrace(this.me, 'op.recorded', traceName(op));
    void this.drive(op, rev, w);
    return { operation: toWire(op) };
  }

  private async drive(op: OperationRecord, rev: number, w: OperationWork): Promise<void> {
    let cancelled = false;
    const isCancelled = (): boolean => cancelled;
    // Watch for a cancel request while the work runs.
    let done = false;
    const watcher = (async () => {
      while (!done && w.cancel) {
        const next = this.changed(1000);
        const cur = await this.store.operation(op.id, true).catch(() => undefined);
        if (cur?.value.cancelRequested) {
          cancelled = true;
          return;
        }
        await next;
      }
    })();
    let end: Partial<OperationRecord>;
    try {
      const extra = await w.run(isCancelled);
      launchTrace(this.me, 'op.ran', traceName(op));
      end = cancelled ? { status: 'cancelled' } : { status: 'success', resources: { ...op.resources, ...(extra ?? {}) } };
    } catch (e) {
      if (cancelled || e instanceof CancelledError) end = { status: 'cancelled' };
      else {
        const st = toStatus(e);
        end = { status: 'failure', error: st.details ?? String(e), errorCode: grpc.status[st.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN' };
      }
    }
    done = true;
    if (end.status === 'cancelled' && w.cancel) await w.cancel().catch(() => undefined);
    // Not awaited: it may sit in a wait of up to a second; it ends at its next wake (done).
    void watcher.catch(() => undefined);
    await this.finish(op.id, end, { value: op, modRevision: rev });
    launchTrace(this.me, 'op.ended', traceName(op));
  }

  /**
   * Writes an operation's end once; keeps a `cancelled` or other end already there. `known`:
   * the record as this member wrote it (tried first, without a read; a record changed since
   * fails the compare, and then it is read).
   */
  private stopped = false;

  /** The member is stopping: ends are no longer waited for. */
  stop(): void {
    this.stopped = true;
  }

  async finish(id: string, end: Partial<OperationRecord>, known?: { value: OperationRecord; modRevision: number }): Promise<void> {
    // A store that cannot answer (electing a leader) is waited for, up to FINISH_WAIT_MS: an
    // end given up on then would leave the operation `running` for good. A lost compare (the
    // record changed) is read again at once, up to 10 times.
    const until = Date.now() + FINISH_WAIT_MS;
    let lost = 0;
    for (let first = true; lost < 10; first = false) {
      try {
        const cur = first && known ? known : await this.store.operation(id);
        if (!cur || FINAL.has(cur.value.status)) return;
        const next = { ...cur.value, ...end, updatedAtUnixMs: Date.now() };
        if (await this.store.changeOperation(next, cur.modRevision)) {
          for (const w of this.endWaiters.get(id) ?? []) w(next);
          return;
        }
        lost++;
      } catch {
        if (this.stopped || Date.now() > until) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * Resolves at the next change under /berth/ (true) or after `ms` (false), or with the end
   * this member writes for `id`.
   */
  private wake(id: string, ms: number): Promise<OperationRecord | boolean> {
    return new Promise((resolve) => {
      let set = this.endWaiters.get(id);
      if (!set) this.endWaiters.set(id, (set = new Set()));
      const waiters = set;
      const done = (op: OperationRecord | boolean): void => {
        waiters.delete(done);
        if (waiters.size === 0 && this.endWaiters.get(id) === waiters) this.endWaiters.delete(id);
        resolve(op);
      };
      waiters.add(done);
      void this.changed(ms).then(done);
    });
  }

  /** Waits up to `waitMs` for the operation to end; answers its record as it is then. */
  async get(id: string, waitMs: number): Promise<Operation> {
    const deadline = Date.now() + waitMs;
    let local = false;
    for (;;) {
      // Armed before the read: an end written while we read wakes us at once.
      const next = this.wake(id, Math.max(0, Math.min(1000, deadline - Date.now())));
      // Woken by a change: this member has applied it, a local read is as new (after a quiet
      // second: linearizable, so a member cut off from the leader says so).
      const cur = await this.store.operation(id, local);
      if (!cur) {
        if (local) {
          local = false;
          continue;
        }
        throw Object.assign(new Error(`operation ${id} not found`), { code: grpc.status.NOT_FOUND });
      }
      if (FINAL.has(cur.value.status) || Date.now() >= deadline) {
        launchTrace(this.me, 'op.get', traceName(cur.value), cur.value.status);
        return toWire(cur.value);
      }
      const ended = await next;
      if (typeof ended !== 'boolean') {
        launchTrace(this.me, 'op.get', traceName(ended), ended.status);
        return toWire(ended);
      }
      local = ended;
    }
  }

  async list(): Promise<Operation[]> {
    return (await this.store.operations()).map(toWire);
  }

  /** Asks the member running it to cancel; waits a little for the outcome. */
  async cancel(id: string): Promise<Operation> {
    for (let i = 0; i < 10; i++) {
      const cur = await this.store.operation(id);
      if (!cur) throw Object.assign(new Error(`operation ${id} not found`), { code: grpc.status.NOT_FOUND });
      if (FINAL.has(cur.value.status)) throw Object.assign(new Error(`operation ${id} has already ended (${cur.value.status})`), { code: grpc.status.FAILED_PRECONDITION });
      if (!cur.value.mayCancel) throw Object.assign(new Error(`operation ${id} (${cur.value.description}) cannot be cancelled`), { code: grpc.status.FAILED_PRECONDITION });
      if (cur.value.cancelRequested || await this.store.changeOperation({ ...cur.value, cancelRequested: true, updatedAtUnixMs: Date.now() }, cur.modRevision)) break;
    }
    return this.get(id, 10_000);
  }

  /** Leader: fails the running operations of members that are offline; drops old finished ones. */
  async collect(online: (member: string) => boolean): Promise<void> {
    const now = Date.now();
    const old: string[] = [];
    for (const op of await this.store.operations()) {
      if (FINAL.has(op.status)) {
        if (now - op.updatedAtUnixMs > KEEP_FINISHED_MS) old.push(op.id);
      } else if (!online(op.location)) {
        await this.finish(op.id, { status: 'failure', error: `member ${op.location} went offline while running it; its outcome is unknown`, errorCode: 'UNAVAILABLE' });
      }
    }
    await this.store.deleteOperations(old);
  }
}

function traceName(op: OperationRecord): string {
  return (op.resources['instances'] ?? op.id).split('/').pop() ?? op.id;
}

export function toWire(op: OperationRecord): Operation {
  return {
    id: op.id, description: op.description, status: op.status, mayCancel: op.mayCancel, resources: op.resources, metadata: op.metadata,
    error: op.error, errorCode: op.errorCode, createdAtUnixMs: op.createdAtUnixMs, updatedAtUnixMs: op.updatedAtUnixMs, location: op.location,
  };
}
