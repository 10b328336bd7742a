/**
 * Transport: how a member's Raft messages reach the other members.
 *
 * Lifecycle: the node creates nothing; its owner builds a Transport for member `id`,
 * passes it to RaftNode.start(), which calls listen() once with its handlers, then
 * send()/sendSnapshot() for as long as it runs, and close() once when it stops.
 *
 * Contract:
 * - send() never blocks and never throws for an unreachable peer: messages are dropped
 *   (Raft retries) and the node is told through handlers.unreachable(), so the core can
 *   fall back to probing that follower.
 * - Messages to one peer are delivered in the order they were sent, or dropped; never
 *   duplicated by the transport itself (the core tolerates duplicates anyway).
 * - sendSnapshot() streams a state-machine snapshot with the MsgSnap that announces it;
 *   it resolves once the receiver has installed it and rejects when that failed. The
 *   receiver's handler installs the data, then steps the message into its core.
 * - forward() carries a client request (encoded by the node) to the leader and returns its
 *   encoded answer: how followers hand writes and lease renewals to the leader.
 * - Peers are addressed by member id; the address book is kept up to date by the node
 *   from the replicated membership (setPeer/removePeer).
 */
import type { Message, NodeId } from '../core/messages';

export interface TransportHandlers {
  /** A message from a peer, to step into the core. */
  message(m: Message): void;
  /** A snapshot from the leader: install `data`, then step `m`. Resolve when done. */
  snapshot(m: Message, data: AsyncIterable<Buffer>): Promise<void>;
  /**
   * A message to `to` could not be delivered, or `to`'s stream to this member broke (after
   * the last message it carried was handed to message()).
   */
  unreachable(to: NodeId): void;
  /** A request forwarded by a follower; resolve with the encoded answer. */
  forward(request: Buffer): Promise<Buffer>;
}

export interface Transport {
  listen(handlers: TransportHandlers): void;
  send(messages: readonly Message[]): void;
  sendSnapshot(m: Message, data: AsyncIterable<Buffer>): Promise<void>;
  /** Sends a request to member `to` and resolves with its answer; rejects when unreachable. */
  forward(to: NodeId, request: Buffer, timeoutMs: number): Promise<Buffer>;
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}
