/**
 * ReadIndex bookkeeping on the leader (thesis §6.4, etcd's readOnly).
 *
 * A read request `ctx` arriving at the leader records the current commit index. The leader then
 * sends a heartbeat carrying `ctx`; once a majority of voters acknowledged a heartbeat carrying
 * `ctx` (or a later ctx), the leader knows it was still leader when the request arrived, so
 * the recorded index is safe: every read queued up to and including `ctx` is released.
 */
import type { NodeId } from './messages';

export type ReadOnlyOption = 'safe' | 'lease-based';

export interface ReadIndexStatus {
  /** Commit index when the request arrived. */
  readonly index: number;
  /** Who asked: the leader itself or a follower that forwarded the read. */
  readonly from: NodeId;
  readonly ctx: string;
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private readonly queue: string[] = [];

  constructor(readonly option: ReadOnlyOption) {}

  /** Records a request. A ctx already pending is ignored: ctx must be unique per request. */
  addRequest(index: number, from: NodeId, ctx: string): void {
    if (this.pending.has(ctx)) return;
    this.pending.set(ctx, { index, from, ctx, acks: new Set() });
    this.queue.push(ctx);
  }

  /** Records a heartbeat ack for ctx; returns the ack set (undefined if ctx is not pending). */
  recvAck(id: NodeId, ctx: string): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(ctx);
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases every request queued up to and including ctx (in arrival order). */
  advance(ctx: string): ReadIndexStatus[] {
    const i = this.queue.indexOf(ctx);
    if (i < 0) return [];
    const done = this.queue.splice(0, i + 1);
    const out: ReadIndexStatus[] = [];
    for (const c of done) {
      const rs = this.pending.get(c);
      if (rs) out.push(rs);
      this.pending.delete(c);
    }
    return out;
  }

  /** The newest pending ctx: regular heartbeats carry it, so a lost read heartbeat is retried. */
  lastPendingRequestCtx(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
