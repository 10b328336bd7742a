/**
 * A small client of etcd's v3 API, used by the raft-store command, the tests and the
 * benchmark against both raft-store and etcd itself (the same client for both, so their
 * numbers compare). It keeps one channel per endpoint and tries the next endpoint when
 * one is unavailable.
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdV3 } from '@berth/proto';
import type { etcd } from '@berth/proto';

export interface EtcdClientOptions {
  endpoints: string[];
  credentials?: grpc.ChannelCredentials;
  timeoutMs?: number;
}

type Clients = { kv: etcd.KVClient; lease: etcd.LeaseClient; watch: etcd.WatchClient; cluster: etcd.ClusterClient; maintenance: etcd.MaintenanceClient };

/** An error from the server, with the gRPC status and etcd's text. */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(readonly code: grpc.status, readonly details: string, readonly endpoint: string, readonly metadata?: grpc.Metadata) {
    super(`${endpoint}: ${details}`);
  }
}

export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.of(0);
}

/**
 * An UNAVAILABLE that certainly did not execute the request: the call never left (no
 * connection), or the member refused it before proposing anything (not leader / no leader).
 * Other ones (request timed out, server stopped, connection lost mid-call) leave the outcome
 * unknown.
 */
function notExecuted(e: EtcdError): boolean {
  return /^No connection established|^etcdserver: (not leader|no leader)/.test(e.details);
}

export class EtcdClient {
  private readonly clients: Clients[];
  private current = 0;
  readonly timeoutMs: number;

  constructor(readonly opts: EtcdClientOptions) {
    const e = loadEtcdV3();
    const creds = opts.credentials ?? grpc.credentials.createInsecure();
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.clients = opts.endpoints.map((ep) => {
      // One channel per endpoint, shared by the service clients.
      const kv = new e.KV(ep, creds);
      const channel = kv.getChannel();
      const o = { channelOverride: channel };
      return { kv, lease: new e.Lease(ep, creds, o), watch: new e.Watch(ep, creds, o), cluster: new e.Cluster(ep, creds, o), maintenance: new e.Maintenance(ep, creds, o) };
    });
  }

  /**
   * Calls on the current endpoint; on UNAVAILABLE moves to the next one and retries once per
   * endpoint. A write is only retried when the refusal shows it was not executed (no
   * connection, or the member knew no leader / was not the leader): after a timeout or a
   * dropped call its outcome is unknown, and sending it again could apply it twice. A timeout
   * also moves the next call to the next endpoint, so a cut-off member is not tried forever.
   */
  private async call<T>(fn: (c: Clients, deadline: Date, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: T) => void) => void, md = new grpc.Metadata(), failover = true, idempotent = false): Promise<T> {
    let lastErr: EtcdError | undefined;
    const first = this.current;
    for (let attempt = 0; attempt < (failover ? this.clients.length : 1); attempt++) {
      const i = (first + attempt) % this.clients.length;
      const endpoint = this.opts.endpoints[i]!;
      try {
        return await new Promise<T>((resolve, reject) => {
          fn(this.clients[i]!, new Date(Date.now() + this.timeoutMs), md, (err, res) => {
            if (err) reject(new EtcdError(err.code, err.details || err.message, endpoint, err.metadata));
            else resolve(res as T);
          });
        });
      } catch (e) {
        lastErr = e as EtcdError;
        if (lastErr.code === grpc.status.UNAVAILABLE || lastErr.code === grpc.status.DEADLINE_EXCEEDED) this.current = (i + 1) % this.clients.length;
        if (lastErr.code !== grpc.status.UNAVAILABLE || !failover || !(idempotent || notExecuted(lastErr))) throw lastErr;
      }
    }
    throw lastErr!;
  }

  put(key: string | Buffer, value: string | Buffer, opts: { lease?: number; prevKv?: boolean } = {}): Promise<etcd.PutResponse__Output> {
    return this.call((c, deadline, md, cb) => c.kv.Put({ key: Buffer.from(key), value: Buffer.from(value), lease: opts.lease ?? 0, prevKv: opts.prevKv ?? false }, md, { deadline }, cb));
  }

  /** One key, or with `prefix` every key starting with it, or with `rangeEnd` the keys in [key, rangeEnd). */
  get(key: string | Buffer, opts: { prefix?: boolean; rangeEnd?: string | Buffer; limit?: number; serializable?: boolean; countOnly?: boolean } = {}): Promise<etcd.RangeResponse__Output> {
    const k = Buffer.from(key);
    const rangeEnd = opts.prefix ? prefixEnd(k) : opts.rangeEnd !== undefined ? Buffer.from(opts.rangeEnd) : Buffer.alloc(0);
    return this.call((c, deadline, md, cb) => c.kv.Range({ key: k, rangeEnd, limit: opts.limit ?? 0, serializable: opts.serializable ?? false, countOnly: opts.countOnly ?? false }, md, { deadline }, cb), undefined, true, true);
  }

  delete(key: string | Buffer, opts: { prefix?: boolean } = {}): Promise<etcd.DeleteRangeResponse__Output> {
    const k = Buffer.from(key);
    return this.call((c, deadline, md, cb) => c.kv.DeleteRange({ key: k, rangeEnd: opts.prefix ? prefixEnd(k) : Buffer.alloc(0) }, md, { deadline }, cb));
  }

  txn(req: etcd.TxnRequest): Promise<etcd.TxnResponse__Output> {
    return this.call((c, deadline, md, cb) => c.kv.Txn(req, md, { deadline }, cb));
  }

  /** Compare-and-swap on the value (expected null: the key must not exist). */
  async cas(key: string, expected: string | null, value: string): Promise<boolean> {
    const k = Buffer.from(key);
    const compare: etcd.Compare = expected === null
      ? { key: k, target: 'VERSION', result: 'EQUAL', version: 0 }
      : { key: k, target: 'VALUE', result: 'EQUAL', value: Buffer.from(expected) };
    const r = await this.txn({ compare: [compare], success: [{ requestPut: { key: k, value: Buffer.from(value) } }], failure: [] });
    return r.succeeded;
  }

  leaseGrant(ttl: number): Promise<etcd.LeaseGrantResponse__Output> {
    return this.call((c, deadline, md, cb) => c.lease.LeaseGrant({ TTL: ttl, ID: 0 }, md, { deadline }, cb));
  }

  leaseRevoke(id: number): Promise<etcd.LeaseRevokeResponse__Output> {
    return this.call((c, deadline, md, cb) => c.lease.LeaseRevoke({ ID: id }, md, { deadline }, cb));
  }

  status(endpointIndex = 0): Promise<etcd.StatusResponse__Output> {
    const c = this.clients[endpointIndex]!;
    return new Promise((resolve, reject) => c.maintenance.Status({}, { deadline: new Date(Date.now() + this.timeoutMs) }, (err, res) => (err ? reject(new EtcdError(err.code, err.details, this.opts.endpoints[endpointIndex]!)) : resolve(res!))));
  }

  memberList(): Promise<etcd.MemberListResponse__Output> {
    return this.call((c, deadline, md, cb) => c.cluster.MemberList({}, md, { deadline }, cb), undefined, true, true);
  }

  memberAdd(peerUrl: string, isLearner: boolean): Promise<etcd.MemberAddResponse__Output> {
    return this.call((c, deadline, md, cb) => c.cluster.MemberAdd({ peerURLs: [peerUrl], isLearner }, md, { deadline }, cb));
  }

  memberRemove(id: number): Promise<etcd.MemberRemoveResponse__Output> {
    return this.call((c, deadline, md, cb) => c.cluster.MemberRemove({ ID: id }, md, { deadline }, cb));
  }

  memberPromote(id: number): Promise<etcd.MemberPromoteResponse__Output> {
    return this.call((c, deadline, md, cb) => c.cluster.MemberPromote({ ID: id }, md, { deadline }, cb));
  }

  moveLeader(endpointIndex: number, targetId: number): Promise<etcd.MoveLeaderResponse__Output> {
    const c = this.clients[endpointIndex]!;
    return new Promise((resolve, reject) => c.maintenance.MoveLeader({ targetID: targetId }, { deadline: new Date(Date.now() + this.timeoutMs) }, (err, res) => (err ? reject(new EtcdError(err.code, err.details, this.opts.endpoints[endpointIndex]!)) : resolve(res!))));
  }

  /** Watches a key or prefix; returns a function that cancels it. */
  watch(key: string, opts: { prefix?: boolean; startRevision?: number }, onEvents: (events: etcd.Event__Output[], revision: number) => void, onCancel?: (reason: string) => void): () => void {
    const k = Buffer.from(key);
    const call = this.clients[this.current]!.watch.Watch();
    call.on('data', (res: etcd.WatchResponse__Output) => {
      if (res.events.length > 0) onEvents(res.events, Number(res.header?.revision ?? 0));
      if (res.canceled) onCancel?.(res.cancelReason);
    });
    call.on('error', (e: grpc.ServiceError) => { if (e.code !== grpc.status.CANCELLED) onCancel?.(e.details); });
    call.write({ createRequest: { key: k, rangeEnd: opts.prefix ? prefixEnd(k) : Buffer.alloc(0), startRevision: opts.startRevision ?? 0 } });
    return () => call.cancel();
  }

  close(): void {
    for (const c of this.clients) {
      c.kv.close();
    }
  }
}
