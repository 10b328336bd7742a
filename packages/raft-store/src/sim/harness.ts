/**
 * A tiny synchronous cluster for golden tests: messages are queued and delivered in FIFO order
 * by deliverAll(), through an optional filter; every node handles its Readys in the caller's
 * order of duties. No time passes unless a test ticks a node.
 */
import type { RaftConfig } from '../core/config';
import { InMemoryLogStore } from '../core/inmem-log-store';
import type { Entry, Message, NodeId, ReadState } from '../core/messages';
import { RawNode } from '../core/raw-node';
import { Prng } from './prng';

export interface HarnessNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly store: InMemoryLogStore;
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

export type HarnessConfig = Partial<Omit<RaftConfig, 'id'>>;

export class Harness {
  readonly nodes = new Map<NodeId, HarnessNode>();
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  private readonly rng: Prng;

  constructor(
    voters: readonly NodeId[],
    readonly cfg: HarnessConfig = {},
    seed = 1,
  ) {
    this.rng = new Prng(seed);
    for (const id of voters) this.add(id, voters);
  }

  /** Adds a node; founders bootstrap with `bootstrapVoters`, joiners (undefined) start empty. */
  add(id: NodeId, bootstrapVoters?: readonly NodeId[], cfg: HarnessConfig = {}): HarnessNode {
    const store = new InMemoryLogStore();
    if (bootstrapVoters) store.bootstrap(bootstrapVoters);
    const r = this.rng.fork();
    const raw = new RawNode(
      { electionTick: 10, heartbeatTick: 1, preVote: false, checkQuorum: false, ...this.cfg, ...cfg, id, randomInt: (n) => r.int(n) },
      store,
    );
    const n: HarnessNode = { id, raw, store, applied: [], readStates: [] };
    this.nodes.set(id, n);
    this.flush(id);
    return n;
  }

  node(id: NodeId): HarnessNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: NodeId): RawNode['raft'] {
    return this.node(id).raw.raft;
  }

  /** Processes every Ready of node `id`: persist, queue messages, apply, advance. */
  flush(id: NodeId): Message[] {
    const n = this.node(id);
    const sent: Message[] = [];
    while (n.raw.hasReady()) {
      const rd = n.raw.ready();
      if (rd.snapshot) n.store.applySnapshot(rd.snapshot);
      n.store.append(rd.entries);
      if (rd.hardState) n.store.setHardState(rd.hardState);
      sent.push(...rd.messages);
      n.applied.push(...rd.committedEntries);
      n.readStates.push(...rd.readStates);
      n.raw.advance(rd);
    }
    this.queue.push(...sent);
    return sent;
  }

  /** Delivers queued messages (and the ones they cause) until none is left. */
  deliverAll(maxMessages = 100_000): void {
    for (const id of this.nodes.keys()) this.flush(id);
    let delivered = 0;
    while (this.queue.length > 0) {
      if (++delivered > maxMessages) throw new Error('message storm');
      const m = this.queue.shift()!;
      const to = this.nodes.get(m.to);
      if (!to || !this.filter(m)) continue;
      to.raw.step(m);
      this.flush(m.to);
    }
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.node(id).raw.tick();
      this.flush(id);
    }
  }

  /** Ticks `id` (only) until it starts campaigning, then delivers everything. */
  campaign(id: NodeId): void {
    const r = this.raft(id);
    for (let i = 0; i < 100 && r.role === 'follower'; i++) this.tick(id);
    this.deliverAll();
  }

  /** Drops every message between the two groups (both directions). */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    const sa = new Set(a);
    const sb = new Set(b);
    this.filter = (m) => !((sa.has(m.from) && sb.has(m.to)) || (sb.has(m.from) && sa.has(m.to)));
  }

  heal(): void {
    this.filter = () => true;
  }

  /** Proposes on `id` and delivers; returns the entry's index. */
  propose(id: NodeId, text: string): number {
    const i = this.node(id).raw.propose(Buffer.from(text));
    this.deliverAll();
    return i;
  }

  /** Replaces node `id` by a fresh RawNode over the same storage (a crash + restart). */
  restart(id: NodeId): void {
    const n = this.node(id);
    const r = this.rng.fork();
    n.raw = new RawNode(
      { electionTick: 10, heartbeatTick: 1, preVote: false, checkQuorum: false, ...this.cfg, id, randomInt: (k) => r.int(k) },
      n.store,
    );
    this.flush(id);
  }
}

export function text(e: Entry): string {
  return Buffer.from(e.data).toString();
}
