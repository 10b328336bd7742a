/**
 * Asynchronous operations of the cluster API, as LXD has them: a change answers at once with
 * an operation (an id, status `running`); the work goes on on the member that took the call,
 * and its outcome — success, or failure with the error in words and its gRPC code — is
 * recorded in the store (/berth/operations/<id>), where any member can read it, wait for it
 * (OperationService.GetOperation with wait_seconds) or cancel it (when it may be cancelled).
 *
 * Contract:
 * - start() records the operation before it returns it, and every end (success, failure,
 *   cancelled) is written once, by the member running it, with a compare on the record.
 * - A cancel request is a flag on the record; the running member sees it (the store's watch
 *   wakes it), runs the operation's undo, and records `cancelled`.
 * - A member that dies leaves its operations `running`: the leader marks the operations of an
 *   offline member `failure` ("member X went offline"), and removes finished operations an
 *   hour old.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Operation, OperationResponse } from '@berth/proto';
import type { ClusterStore, OperationRecord } from '@berth/control-plane';
import { toStatus } from '../daemon/status';

const FINAL = new Set(['success', 'failure', 'cancelled']);
export const KEEP_FINISHED_MS = 3600_000;

export class CancelledError extends Error {}

export interface OperationWork {
  description: string;
  resources?: Record<string, string>;
  /** The work; resolves with resources to add (e.g. the location), rejects with the error. */
  run: (cancelled: () => boolean) => Promise<Record<string, string> | void>;
  /** Undoes what can be undone when the operation is cancelled; absent: it cannot be. */
  cancel?: () => Promise<void>;
}

export class Operations {
  constructor(private readonly store: ClusterStore, private readonly me: string, private readonly changed: (ms: number) => Promise<void>) {}

  async start(w: OperationWork): Promise<OperationResponse> {
    const now = Date.now();
    const op: OperationRecord = {
      id: randomUUID(), description: w.description, status: 'running', mayCancel: !!w.cancel, resources: w.resources ?? {}, metadata: {},
      error: '', errorCode: '', createdAtUnixMs: now, updatedAtUnixMs: now, location: this.me,
    };
    await this.store.putOperation(op);
    void this.drive(op, w);
    return { operation: toWire(op) };
  }

  private async drive(op: OperationRecord, w: OperationWork): Promise<void> {
    let cancelled = false;
    const isCancelled = (): boolean => cancelled;
    // Watch for a cancel request while the work runs.
    let done = false;
    const watcher = (async () => {
      while (!done && w.cancel) {
        const next = this.changed(1000);
        const cur = await this.store.operation(op.id).catch(() => undefined);
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
    await this.finish(op.id, end);
  }

  /** Writes an operation's end once; keeps a `cancelled` or other end already there. */
  async finish(id: string, end: Partial<OperationRecord>): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const cur = await this.store.operation(id).catch(() => undefined);
      if (!cur || FINAL.has(cur.value.status)) return;
      if (await this.store.changeOperation({ ...cur.value, ...end, updatedAtUnixMs: Date.now() }, cur.modRevision).catch(() => false)) return;
    }
  }

  /** Waits up to `waitMs` for the operation to end; answers its record as it is then. */
  async get(id: string, waitMs: number): Promise<Operation> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      // Armed before the read: an end written while we read wakes us at once.
      const next = this.changed(Math.max(0, Math.min(1000, deadline - Date.now())));
      const cur = await this.store.operation(id);
      if (!cur) throw Object.assign(new Error(`operation ${id} not found`), { code: grpc.status.NOT_FOUND });
      if (FINAL.has(cur.value.status) || Date.now() >= deadline) return toWire(cur.value);
      await next;
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

export function toWire(op: OperationRecord): Operation {
  return {
    id: op.id, description: op.description, status: op.status, mayCancel: op.mayCancel, resources: op.resources, metadata: op.metadata,
    error: op.error, errorCode: op.errorCode, createdAtUnixMs: op.createdAtUnixMs, updatedAtUnixMs: op.updatedAtUnixMs, location: op.location,
  };
}
