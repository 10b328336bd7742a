/**
 * An in-process network for tests: every member's InMemTransport hangs off one
 * InMemNetwork, which delivers messages asynchronously (next macrotask, in order per
 * pair) and can cut links one way or both ways to make partitions.
 */
import type { Message, NodeId } from '../core/messages';
import type { Transport, TransportHandlers } from './transport';

export class InMemNetwork {
  private readonly members = new Map<NodeId, InMemTransport>();
  /** "from->to" pairs whose messages are dropped. */
  private readonly cut = new Set<string>();

  transport(id: NodeId): InMemTransport {
    const t = new InMemTransport(id, this);
    this.members.set(id, t);
    return t;
  }

  /** Drops messages from `a` to `b` (and back, unless oneWay). */
  disconnect(a: NodeId, b: NodeId, oneWay = false): void {
    this.cut.add(`${a}->${b}`);
    if (!oneWay) this.cut.add(`${b}->${a}`);
  }

  /** Cuts `id` off from everyone. */
  isolate(id: NodeId): void {
    for (const other of this.members.keys()) if (other !== id) this.disconnect(id, other);
  }

  heal(): void {
    this.cut.clear();
  }

  /** @internal */
  deliverable(from: NodeId, to: NodeId): InMemTransport | undefined {
    if (this.cut.has(`${from}->${to}`)) return undefined;
    const t = this.members.get(to);
    return t && !t.closed ? t : undefined;
  }

  /** @internal */
  forget(id: NodeId, t: InMemTransport): void {
    if (this.members.get(id) === t) this.members.delete(id);
  }
}

export class InMemTransport implements Transport {
  handlers: TransportHandlers | undefined;
  closed = false;

  constructor(readonly id: NodeId, private readonly net: InMemNetwork) {}

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const peer = this.net.deliverable(this.id, m.to);
      if (!peer) {
        setImmediate(() => this.handlers?.unreachable(m.to));
        continue;
      }
      setImmediate(() => {
        if (!peer.closed && this.net.deliverable(this.id, m.to) === peer) peer.handlers?.message(m);
      });
    }
  }

  async sendSnapshot(m: Message, data: AsyncIterable<Buffer>): Promise<void> {
    const peer = this.net.deliverable(this.id, m.to);
    if (!peer?.handlers) {
      // Drain nothing: the iterator is abandoned; its finally block releases the snapshot.
      await data[Symbol.asyncIterator]().return?.();
      throw new Error(`member ${m.to} unreachable`);
    }
    await peer.handlers.snapshot(m, data);
  }

  async forward(to: NodeId, request: Buffer): Promise<Buffer> {
    const peer = this.net.deliverable(this.id, to);
    if (!peer?.handlers || !this.net.deliverable(to, this.id)) throw new Error(`member ${to} unreachable`);
    return peer.handlers.forward(request);
  }

  setPeer(): void { /* addresses mean nothing in memory */ }
  removePeer(): void { /* nothing to forget */ }

  async close(): Promise<void> {
    this.closed = true;
    this.net.forget(this.id, this);
  }
}
