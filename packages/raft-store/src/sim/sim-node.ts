/**
 * One simulated member: its "disk" (an InMemoryLogStore that survives crashes) and, while it is
 * up, its RawNode and KV state machine (lost on crash). It handles each Ready in the caller's
 * order of duties — persist, send, apply, advance — so a crash between two duties loses exactly
 * what a real crash would.
 */
import type { Entry, NodeId, ReadState } from '../core/messages';
import { InMemoryLogStore } from '../core/inmem-log-store';
import { RawNode } from '../core/raw-node';
import type { RaftConfig } from '../core/config';
import { Kv } from './kv';

export type NodeState = 'up' | 'crashed' | 'stopped';

export interface PendingWrite {
  readonly clientIdx: number;
  readonly seq: number;
  readonly wseq: number;
}

export interface PendingRead {
  readonly clientIdx: number;
  readonly seq: number;
  readonly key: string;
}

export class SimNode {
  readonly disk = new InMemoryLogStore();
  /** How many times the node was started: tells a tick of this life from one of an earlier life. */
  lives = 0;
  state: NodeState = 'stopped';
  raw: RawNode | undefined;
  kv = new Kv();
  applied = 0;
  /** Proposals accepted here, by log index, waiting to be applied. */
  readonly pendingWrites = new Map<number, PendingWrite>();
  /** Proposals this node (a follower) sent to its leader in a MsgProp, by forwardId. */
  readonly pendingForwards = new Map<number, PendingWrite>();
  /** The next forwardId: each node and each of its lives counts in a range of its own (RaftNode: a random start). */
  nextForwardId = 1;
  /** readIndex() calls waiting for their ReadState, by ctx. */
  readonly pendingReads = new Map<string, PendingRead>();
  /** Reads with a ReadState, waiting until applied >= index. */
  readyReads: { rs: ReadState; read: PendingRead }[] = [];
  /** Set by the fault injector: crash right after the next persist. */
  crashAfterNextPersist = false;

  constructor(readonly id: NodeId) {}

  start(config: Omit<RaftConfig, 'id' | 'applied'>): void {
    const snap = this.disk.snapshot();
    this.raw = new RawNode({ ...config, id: this.id, applied: snap.metadata.index }, this.disk);
    this.kv = Kv.restore(snap.data);
    this.applied = snap.metadata.index;
    this.nextForwardId = (this.id * 4096 + this.lives + 1) * 2 ** 32 + 1;
    this.state = 'up';
  }

  /** Loses everything that is not on disk. */
  halt(state: 'crashed' | 'stopped'): void {
    this.raw = undefined;
    this.state = state;
    this.kv = new Kv();
    this.applied = 0;
    this.pendingWrites.clear();
    this.pendingForwards.clear();
    this.pendingReads.clear();
    this.readyReads = [];
    this.crashAfterNextPersist = false;
  }

  isUp(): this is SimNode & { raw: RawNode } {
    return this.state === 'up' && this.raw !== undefined;
  }
}

export type { Entry };
