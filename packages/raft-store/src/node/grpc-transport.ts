/**
 * GrpcTransport: Raft messages between members over gRPC (berth.v1.RaftTransport).
 *
 * Hot path: one long-lived client stream per peer carries batches of messages (one batch
 * per send() call per peer); there is no unary call per message. The batches of that stream
 * and of the forward stream are encoded and decoded by raft-wire.ts (hand-written protobuf of
 * the same messages), not by protobufjs. A broken stream is
 * dropped, its messages reported unreachable, and a new one opened on a later send after
 * a short back-off. Snapshots go on their own client stream, in chunks, with a SHA-256 of
 * the whole checked by the receiver before the new state becomes current.
 *
 * Credentials come from the caller (mutual TLS between members is the cluster's job);
 * messages whose cluster id is not ours are dropped and counted.
 */
import { createHash } from 'node:crypto';
import type * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { GrpcH2Server } from '../api/h2/grpc-server';
import type { MethodDef, StreamCall } from '../api/h2/grpc-server';
import { loadBerthV1 } from '@berth/proto';
import type { RaftEntry, RaftEntry__Output, RaftMessage, RaftMessage__Output, RaftTransportClient, SnapshotChunk, SnapshotChunk__Output } from '@berth/proto';
import type { Entry, Message, NodeId } from '../core/messages';
import type { Transport, TransportHandlers } from './transport';
import { H2ClientStream } from '../api/h2/client-stream';
import { CONF_TYPES, decodeForwardBatch, decodeRaftBatch, encodeForwardBatch, encodeRaftBatch, TYPE_NUM, TYPES } from './raft-wire';
import type { ForwardItem } from './raft-wire';

export function toWire(clusterId: string, m: Message): RaftMessage {
  const w: RaftMessage = {
    clusterId, type: TYPE_NUM.get(m.type)!, from: m.from, to: m.to, term: m.term, logTerm: m.logTerm, index: m.index,
    entries: m.entries.map(entryToWire), commit: m.commit, reject: m.reject, rejectHint: m.rejectHint,
  };
  if (m.context !== undefined) {
    w.context = m.context;
    w.hasContext = true;
  }
  if (m.snapshot) {
    const md = m.snapshot.metadata;
    w.snapshotIndex = md.index;
    w.snapshotTerm = md.term;
    w.snapshotVoters = [...md.confState.voters];
    w.snapshotLearners = [...md.confState.learners];
  }
  return w;
}

function entryToWire(e: Entry): RaftEntry {
  const w: RaftEntry = { term: e.term, index: e.index, type: e.type === 'normal' ? 0 : 1, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) };
  if (e.clientId !== undefined) w.clientId = e.clientId;
  if (e.seq !== undefined) {
    w.seq = e.seq;
    w.hasSeq = true;
  }
  if (e.confChange) {
    w.confChangeType = CONF_TYPES.indexOf(e.confChange.type) + 1;
    w.confChangeNode = e.confChange.nodeId;
  }
  if (e.forwardId !== undefined) w.forwardId = e.forwardId;
  return w;
}

export function fromWire(w: RaftMessage__Output): Message {
  const type = TYPES[w.type - 1];
  if (!type) throw new Error(`unknown raft message type ${w.type}`);
  const m: { -readonly [K in keyof Message]: Message[K] } = {
    type, from: Number(w.from), to: Number(w.to), term: Number(w.term), logTerm: Number(w.logTerm), index: Number(w.index),
    entries: w.entries.map(entryFromWire), commit: Number(w.commit), reject: w.reject, rejectHint: Number(w.rejectHint),
  };
  if (w.hasContext) m.context = w.context;
  if (type === 'MsgSnap') {
    m.snapshot = {
      metadata: { index: Number(w.snapshotIndex), term: Number(w.snapshotTerm), confState: { voters: w.snapshotVoters.map(Number), learners: w.snapshotLearners.map(Number) } },
      data: new Uint8Array(),
    };
  }
  return m;
}

function entryFromWire(w: RaftEntry__Output): Entry {
  const e: { -readonly [K in keyof Entry]: Entry[K] } = { index: Number(w.index), term: Number(w.term), type: w.type === 0 ? 'normal' : 'conf-change', data: w.data };
  if (w.clientId) e.clientId = w.clientId;
  if (w.hasSeq) e.seq = Number(w.seq);
  if (Number(w.forwardId) !== 0) e.forwardId = Number(w.forwardId);
  if (w.type === 1) {
    const t = CONF_TYPES[w.confChangeType - 1];
    if (!t) throw new Error(`unknown conf change type ${w.confChangeType}`);
    e.confChange = { type: t, nodeId: Number(w.confChangeNode) };
  }
  return e;
}

export interface GrpcTransportOptions {
  id: NodeId;
  clusterId: string;
  /**
   * The server this member listens on; the transport adds its service to it: grpc-js's
   * (berthd's member port, which carries its other services too) or a GrpcH2Server (a
   * raft-store member's: api/h2, where a peer's messages do not go through node:http2).
   */
  server: grpc.Server | GrpcH2Server;
  credentials: grpc.ChannelCredentials;
  /**
   * The TLS options of `credentials` (ca, cert, key), for the Raft message streams, which are
   * framed by hand (api/h2/client-stream.ts) rather than written through grpc-js. With
   * insecure credentials they go on plain TCP; with secure credentials and no `tls` they stay
   * on grpc-js.
   */
  tls?: tls.ConnectionOptions | undefined;
  /** Bytes of snapshot data per chunk. */
  snapshotChunkBytes?: number;
  /** How long a broken peer stream waits before the next attempt, ms. */
  reconnectBackoffMs?: number;
}

type DecodedForwardBatch = ReturnType<typeof decodeForwardBatch>;

/** What the transport's handlers read from a call of either server (grpc-js, GrpcH2Server). */
interface CallEvents<T> {
  on(event: 'data', listener: (m: T) => void): unknown;
  on(event: 'end' | 'error' | 'cancelled', listener: () => void): unknown;
}

/**
 * A GrpcH2Server call's messages as an async iterator (what grpc-js's calls are), with
 * backpressure: the call is paused while `highWater` messages wait to be taken (a snapshot's
 * install is slower than the network), so at most that and one stream window are held.
 */
export function iterateCall<T>(call: StreamCall<unknown>, highWater = 4): AsyncIterator<T> {
  const queue: T[] = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  call.on('data', (m: T) => {
    queue.push(m);
    if (queue.length >= highWater) call.pause();
    poke();
  });
  call.on('end', () => { ended = true; poke(); });
  call.on('cancelled', () => { failed = new Error('the stream was cancelled'); poke(); });
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          if (queue.length < highWater) call.resume();
          return { value, done: false };
        }
        if (failed) throw failed;
        if (ended) return { value: undefined, done: true };
        await new Promise<void>((r) => { wake = r; });
      }
    },
    async return(): Promise<IteratorResult<T>> {
      queue.length = 0;
      ended = true;
      call.resume();
      return { value: undefined, done: true };
    },
  };
}

interface ForwardStream {
  call: grpc.ClientDuplexStream<readonly ForwardItem[], DecodedForwardBatch>;
  pending: Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
  queue: Array<{ id: number; body: Buffer }>;
}

/** A peer's message stream: grpc-js's, or framed by hand (see GrpcTransportOptions.tls). */
interface MessageStream {
  write(list: readonly Message[]): void;
  end(): void;
}

interface Peer {
  address: string;
  forward?: ForwardStream | undefined;
  client?: RaftTransportClient | undefined;
  stream?: MessageStream | undefined;
  retryAt: number;
}

export class GrpcTransport implements Transport {
  private handlers: TransportHandlers | undefined;
  private readonly peers = new Map<NodeId, Peer>();
  private closed = false;
  private nextForwardId = 1;
  /** Messages dropped because they named another cluster. */
  foreignMessages = 0;
  /** Messages (or whole batches) dropped because they could not be decoded. */
  malformedMessages = 0;
  private readonly service = loadBerthV1().RaftTransport.service;

  constructor(private readonly opts: GrpcTransportOptions) {
    const svc = this.service;
    // Stream and Forward carry raft-wire.ts's encoding: the server takes the raw bytes (a
    // batch that does not decode is dropped here, not the stream) and answers forwards with
    // them; SendSnapshot keeps the protobufjs codec.
    const definition: grpc.ServiceDefinition = {
      ...svc,
      Stream: { ...svc.Stream, requestDeserialize: (b: Buffer) => b },
      Forward: { ...svc.Forward, requestDeserialize: decodeForwardBatch, responseSerialize: encodeForwardBatch },
    };
    if (opts.server instanceof GrpcH2Server) {
      // The member port framed by hand (api/h2), as a raft-store member serves it.
      opts.server.addService(definition as unknown as Record<string, MethodDef>, {
        Stream: (call: StreamCall<unknown>) => this.serveStream(call, () => { call.write({}); call.end(); }),
        SendSnapshot: (call: StreamCall<unknown>) => {
          void this.receiptOf(iterateCall<SnapshotChunk__Output>(call)).then((receipt) => { call.write(receipt); call.end(); });
        },
        Forward: (call: StreamCall<readonly ForwardItem[]>) => this.serveForward(call),
      });
      return;
    }
    // grpc-js (berthd's member port, shared with its other services and its peer check).
    opts.server.addService(definition, {
      Stream: (call: grpc.ServerReadableStream<Buffer, unknown>, callback: grpc.sendUnaryData<unknown>) => this.serveStream(call, () => callback(null, {})),
      SendSnapshot: (call: grpc.ServerReadableStream<SnapshotChunk__Output, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        void this.receiptOf((call as AsyncIterable<SnapshotChunk__Output>)[Symbol.asyncIterator]()).then((receipt) => callback(null, receipt));
      },
      Forward: (call: grpc.ServerDuplexStream<DecodedForwardBatch, readonly ForwardItem[]>) => this.serveForward(call),
    });
  }

  /** Receives a snapshot; its receipt: ok, or the reason it was refused (either server answers it). */
  private receiptOf(chunks: AsyncIterator<SnapshotChunk__Output>): Promise<{ ok: boolean; error: string }> {
    return this.receiveSnapshot(chunks).then(() => ({ ok: true, error: '' }), (e: unknown) => ({ ok: false, error: e instanceof Error ? e.message : String(e) }));
  }

  /**
   * A peer's Raft message stream. One that breaks (its process died: its kernel closed the
   * connection) is reported like a failed send to it, after the last message it carried; a
   * follower whose leader that is campaigns soon (core: leaderLossElection). A stream its
   * sender closed says goodbye first (an empty batch): grpc-js shows a normal end and a dead
   * connection alike here ('end', then 'cancelled'). `answer` ends the call with its response.
   */
  private serveStream(call: CallEvents<Buffer>, answer: () => void): void {
    let from: NodeId | undefined;
    let done = false;
    const brokenOff = (): void => {
      if (done) return;
      done = true;
      if (from !== undefined && !this.closed) this.handlers?.unreachable(from);
    };
    call.on('data', (batch: Buffer) => {
      if (batch.length === 0) {
        done = true; // goodbye
        return;
      }
      const f = this.receive(batch);
      if (f !== undefined) from = f;
    });
    call.on('end', () => {
      answer();
      brokenOff();
    });
    call.on('error', brokenOff);
    call.on('cancelled', brokenOff);
  }

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  setPeer(id: NodeId, address: string): void {
    const p = this.peers.get(id);
    if (p && p.address === address) return;
    if (p) this.dropPeerConnection(p);
    this.peers.set(id, { address, retryAt: 0 });
  }

  removePeer(id: NodeId): void {
    const p = this.peers.get(id);
    if (p) this.dropPeerConnection(p);
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    if (this.closed) return;
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      let list = byPeer.get(m.to);
      if (!list) byPeer.set(m.to, (list = []));
      list.push(m);
    }
    for (const [to, list] of byPeer) {
      const stream = this.streamTo(to);
      if (!stream) {
        this.handlers?.unreachable(to);
        continue;
      }
      stream.write(list); // encoded by raft-wire.ts when the stream takes it (the core never mutates a sent message)
    }
  }

  private client(p: Peer): RaftTransportClient {
    if (!p.client) {
      const v1 = loadBerthV1();
      p.client = new v1.RaftTransport(p.address, this.opts.credentials, {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.max_receive_message_length': 64 << 20,
        'grpc.max_send_message_length': 64 << 20,
        'grpc.enable_channelz': 0,
      });
    }
    return p.client;
  }

  private streamTo(to: NodeId): MessageStream | undefined {
    const p = this.peers.get(to);
    if (!p) return undefined;
    if (p.stream) return p.stream;
    if (Date.now() < p.retryAt) return undefined;
    const m = this.service.Stream;
    const clusterId = this.opts.clusterId;
    if (this.opts.tls || !this.opts.credentials._isSecure()) {
      // Framed by hand: a message leaves when send() is called, not after node:http2's next
      // write turn (session 15: ~0.8-1 ms per hop on a loaded member; bench/transport-hop.ts).
      let raw: MessageStream | undefined;
      const h2 = new H2ClientStream({
        address: p.address, path: m.path, tls: this.opts.tls,
        onClose: (err) => {
          if (p.stream === raw) {
            p.stream = undefined;
            if (err) p.retryAt = Date.now() + (this.opts.reconnectBackoffMs ?? 100);
          }
          if (err && !this.closed) this.handlers?.unreachable(to);
        },
      });
      raw = { write: (list) => h2.write(encodeRaftBatch(clusterId, list)), end: () => h2.end() };
      p.stream = raw;
      return raw;
    }
    const stream = this.client(p).makeClientStreamRequest<readonly Message[], unknown>(m.path, (list) => encodeRaftBatch(clusterId, list), m.responseDeserialize, (err) => {
      if (p.stream === stream) {
        p.stream = undefined;
        if (err) p.retryAt = Date.now() + (this.opts.reconnectBackoffMs ?? 100);
      }
      if (err && !this.closed) this.handlers?.unreachable(to);
    });
    stream.on('error', () => undefined);
    p.stream = stream;
    return stream;
  }

  /** Hands the batch's messages for this member to the node; answers the sender of the last one. */
  private receive(batch: Buffer): NodeId | undefined {
    let decoded: ReturnType<typeof decodeRaftBatch>;
    try {
      decoded = decodeRaftBatch(batch);
    } catch {
      this.malformedMessages++;
      return undefined;
    }
    this.malformedMessages += decoded.malformed;
    let from: NodeId | undefined;
    for (const { clusterId, message } of decoded.messages) {
      if (clusterId !== this.opts.clusterId) {
        this.foreignMessages++;
        continue;
      }
      if (message.to !== this.opts.id) continue;
      // A relayed read index keeps its first sender's id: not the stream's peer.
      if (message.type !== 'MsgReadIndex') from = message.from;
      this.handlers?.message(message);
    }
    return from;
  }

  async sendSnapshot(m: Message, data: AsyncIterable<Buffer>): Promise<void> {
    const p = this.peers.get(m.to);
    if (!p || this.closed) {
      await data[Symbol.asyncIterator]().return?.();
      throw new Error(`no address for member ${m.to}`);
    }
    const chunkBytes = this.opts.snapshotChunkBytes ?? 1 << 20;
    await new Promise<void>((resolve, reject) => {
      const call = this.client(p).SendSnapshot((err, receipt) => {
        if (err) reject(new Error(`snapshot to member ${m.to}: ${err.details || err.message}`));
        else if (!receipt?.ok) reject(new Error(`member ${m.to} refused the snapshot: ${receipt?.error ?? 'no receipt'}`));
        else resolve();
      });
      call.on('error', () => undefined);
      const write = (chunk: SnapshotChunk): Promise<void> => new Promise((res) => {
        if (call.write(chunk)) res();
        else call.once('drain', () => res());
      });
      void (async () => {
        const hash = createHash('sha256');
        let offset = 0;
        let first = true;
        try {
          for await (const buf of data) {
            for (let i = 0; i < buf.length; i += chunkBytes) {
              const slice = buf.subarray(i, i + chunkBytes);
              hash.update(slice);
              await write({ message: first ? toWire(this.opts.clusterId, m) : null, offset, data: slice });
              first = false;
              offset += slice.length;
            }
          }
          await write({ message: first ? toWire(this.opts.clusterId, m) : null, offset, data: Buffer.alloc(0), last: true, sha256: hash.digest('hex') });
          call.end();
        } catch (e) {
          call.cancel();
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      })();
    });
  }

  /**
   * Sends a request to `to` on the peer's forward stream. Requests made in one turn of the
   * event loop leave in one batch; answers come back by id, in any order.
   */
  forward(to: NodeId, request: Buffer, timeoutMs: number): Promise<Buffer> {
    const p = this.peers.get(to);
    if (!p || this.closed) return Promise.reject(new Error(`no address for member ${to}`));
    const f = this.forwardStreamTo(p);
    const id = this.nextForwardId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        f.pending.delete(id);
        reject(new Error(`no answer from member ${to} within ${timeoutMs} ms`));
      }, timeoutMs);
      f.pending.set(id, { resolve, reject, timer });
      f.queue.push({ id, body: request });
      if (f.queue.length === 1) setImmediate(() => this.flushForward(f));
    });
  }

  private forwardStreamTo(p: Peer): ForwardStream {
    if (p.forward) return p.forward;
    const call = this.client(p).makeBidiStreamRequest<readonly ForwardItem[], DecodedForwardBatch>(this.service.Forward.path, encodeForwardBatch, decodeForwardBatch);
    const f: ForwardStream = { call, pending: new Map(), queue: [] };
    const failAll = (why: string): void => {
      if (p.forward === f) p.forward = undefined;
      for (const w of f.pending.values()) {
        clearTimeout(w.timer);
        w.reject(new Error(why));
      }
      f.pending.clear();
    };
    call.on('data', (items: DecodedForwardBatch) => {
      for (const item of items) {
        const w = f.pending.get(item.id);
        if (!w) continue;
        f.pending.delete(item.id);
        clearTimeout(w.timer);
        if (item.error) w.reject(new Error(item.error));
        else w.resolve(item.body);
      }
    });
    call.on('error', (e: grpc.ServiceError) => failAll(`forward stream to ${p.address}: ${e.details || e.message}`));
    call.on('end', () => failAll(`forward stream to ${p.address} ended`));
    p.forward = f;
    return f;
  }

  private flushForward(f: ForwardStream): void {
    const items = f.queue;
    f.queue = [];
    if (items.length > 0) f.call.write(items);
  }

  /** The leader's side: answer each forwarded request as it completes, batched per turn. */
  private serveForward(call: CallEvents<DecodedForwardBatch> & { write(items: readonly ForwardItem[]): unknown; end(): void }): void {
    let out: ForwardItem[] = [];
    let open = true;
    const reply = (item: ForwardItem): void => {
      if (!open) return;
      out.push(item);
      if (out.length === 1) {
        setImmediate(() => {
          const items = out;
          out = [];
          if (open) call.write(items);
        });
      }
    };
    call.on('data', (items: DecodedForwardBatch) => {
      for (const item of items) {
        const id = item.id;
        if (!this.handlers) {
          reply({ id, error: 'member is not ready' });
          continue;
        }
        this.handlers.forward(item.body).then((body) => reply({ id, body }), (e: unknown) => reply({ id, error: e instanceof Error ? e.message : String(e) }));
      }
    });
    const close = (): void => { open = false; };
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', close);
  }

  private async receiveSnapshot(it: AsyncIterator<SnapshotChunk__Output>): Promise<void> {
    const head = await it.next();
    if (head.done || !head.value.message) throw new Error('snapshot stream without its message');
    const w = head.value.message;
    if (w.clusterId !== this.opts.clusterId) throw new Error(`snapshot from cluster ${w.clusterId}, not ${this.opts.clusterId}`);
    const m = fromWire(w);
    if (m.type !== 'MsgSnap') throw new Error(`snapshot stream opened by a ${m.type}`);
    if (!this.handlers) throw new Error('transport is not listening');
    const firstChunk = head.value;
    async function* data(): AsyncIterable<Buffer> {
      const hash = createHash('sha256');
      let expected = 0;
      let chunk: SnapshotChunk__Output | undefined = firstChunk;
      for (;;) {
        if (!chunk) {
          const n = await it.next();
          if (n.done) throw new Error('snapshot stream ended before its last chunk');
          chunk = n.value;
        }
        if (Number(chunk.offset) !== expected) throw new Error(`snapshot chunk at offset ${chunk.offset}, expected ${expected}`);
        if (chunk.data.length > 0) {
          hash.update(chunk.data);
          expected += chunk.data.length;
          yield chunk.data;
        }
        if (chunk.last) {
          const got = hash.digest('hex');
          if (got !== chunk.sha256) throw new Error(`snapshot checksum mismatch: sent ${chunk.sha256}, received ${got}`);
          return;
        }
        chunk = undefined;
      }
    }
    await this.handlers.snapshot(m, data());
  }

  private dropPeerConnection(p: Peer): void {
    p.forward?.call.end();
    p.forward = undefined;
    // An empty batch first says goodbye: the peer then takes the stream's end as ours, not
    // as a broken connection (grpc-js shows both alike on its side).
    p.stream?.write([]);
    p.stream?.end();
    p.stream = undefined;
    p.client?.close();
    p.client = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) this.dropPeerConnection(p);
  }
}
