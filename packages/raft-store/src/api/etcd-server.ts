/**
 * EtcdApi: etcd's v3 client API (KV, Watch, Lease, Cluster, Maintenance) served by one
 * raft-store member. A thin adapter: every call becomes a RaftNode call.
 *
 * - Writes go to the leader: proposed here when this member leads, else forwarded over
 *   the member transport. A client that prefers to be told sets the metadata header
 *   `berth-no-forward: 1` and gets UNAVAILABLE "not leader" with the leader's client
 *   address in the `berth-leader-address` trailer.
 * - Range is linearizable (ReadIndex) unless the request asks for a serializable read.
 * - Watches are served from this member's state machine, as etcd does.
 */
import { createHash, randomInt } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdV3 } from '@berth/proto';
import type { etcd } from '@berth/proto';
import type { KeyValue } from '../kv/types';
import { CompactedError } from '../kv/watch';
import type { RaftNode } from '../node/raft-node';
import { NotLeaderNodeError } from '../node/errors';
import { decodePutRequest, decodeRangeRequest, encodePutResponse, encodeRangeResponse } from './kv-wire';
import type { GrpcH2Server, StreamCall } from './h2/grpc-server';
import { refusal, toStatus } from './status';
import { deleteFromWire, eventToWire, kvToWire, putFromWire, rangeFromWire, txnFromWire, txnToWire, WireError } from './wire';

export const NO_FORWARD_KEY = 'berth-no-forward';
const VERSION = '3.4.0-raft-store';

/** etcd's cluster id is a number; ours is a name. The header carries a stable hash of it. */
export function numericClusterId(name: string): number {
  return createHash('sha256').update(name).digest().readUIntBE(0, 6);
}

export class EtcdApi {
  private readonly clusterNum: number;

  constructor(private readonly node: RaftNode) {
    this.clusterNum = numericClusterId(node.opts.clusterId);
  }

  /** Adds the etcd services to the client port's server. */
  register(server: GrpcH2Server): void {
    const e = loadEtcdV3();
    // Put and Range, the calls of every request loop, skip protobufjs (see kv-wire.ts).
    const kv = e.KV.service;
    server.addService({
      ...kv,
      Put: { ...kv.Put, requestDeserialize: decodePutRequest, responseSerialize: encodePutResponse },
      Range: { ...kv.Range, requestDeserialize: decodeRangeRequest, responseSerialize: encodeRangeResponse },
    }, {
      Range: (r: etcd.RangeRequest__Output) => this.range(r),
      Put: (r: etcd.PutRequest__Output, md: grpc.Metadata) => this.put(r, md),
      DeleteRange: (r: etcd.DeleteRangeRequest__Output, md: grpc.Metadata) => this.deleteRange(r, md),
      Txn: (r: etcd.TxnRequest__Output, md: grpc.Metadata) => this.txn(r, md),
      Compact: (r: etcd.CompactionRequest__Output, md: grpc.Metadata) => this.compact(r, md),
    });
    server.addService(e.Watch.service, { Watch: (call: StreamCall<etcd.WatchResponse>) => this.watch(call) });
    server.addService(e.Lease.service, {
      LeaseGrant: (r: etcd.LeaseGrantRequest__Output) => this.leaseGrant(r),
      LeaseRevoke: (r: etcd.LeaseRevokeRequest__Output, md: grpc.Metadata) => this.leaseRevoke(r, md),
      LeaseKeepAlive: (call: StreamCall<etcd.LeaseKeepAliveResponse>) => this.leaseKeepAlive(call),
      LeaseTimeToLive: (r: etcd.LeaseTimeToLiveRequest__Output) => this.leaseTimeToLive(r),
      LeaseLeases: () => this.leaseLeases(),
    });
    server.addService(e.Cluster.service, {
      MemberList: () => this.memberList(),
      MemberAdd: (r: etcd.MemberAddRequest__Output) => this.memberAdd(r),
      MemberRemove: (r: etcd.MemberRemoveRequest__Output) => this.memberRemove(r),
      MemberPromote: (r: etcd.MemberPromoteRequest__Output) => this.memberPromote(r),
    });
    server.addService(e.Maintenance.service, {
      Status: () => this.status(),
      MoveLeader: (r: etcd.MoveLeaderRequest__Output) => this.moveLeader(r),
    });
  }

  private header(revision = this.node.state.revision): etcd.ResponseHeader {
    return { clusterId: this.clusterNum, memberId: this.node.id, revision, raftTerm: this.node.term };
  }

  /** A write: proposed here, forwarded to the leader, or refused with the leader named. */
  private async write(cmd: Parameters<RaftNode['submit']>[0], md: grpc.Metadata) {
    const noForward = md.get(NO_FORWARD_KEY)[0] === '1';
    let r;
    try {
      r = noForward ? await this.node.propose(cmd) : await this.node.submit(cmd);
    } catch (e) {
      // A client told "not leader" wants the leader's client address, not its peer address.
      if (e instanceof NotLeaderNodeError && e.leaderId) {
        const rec = this.node.status().members.find((m) => m.id === e.leaderId);
        throw new NotLeaderNodeError(e.leaderId, rec?.clientAddress ?? e.leaderAddress);
      }
      throw e;
    }
    if (!r.ok) throw refusal(r.code, r.message);
    return r;
  }

  private async range(r: etcd.RangeRequest__Output): Promise<etcd.RangeResponse> {
    const req = rangeFromWire(r);
    const res = r.serializable ? await this.node.serializableRead(req) : await this.node.read(req);
    let kvs = res.kvs.filter((kv) => passes(kv, r));
    kvs = sortKvs(kvs, r.sortOrder, r.sortTarget);
    return { header: this.header(res.revision), kvs: kvs.map(kvToWire), more: res.more, count: res.count };
  }

  private async put(r: etcd.PutRequest__Output, md: grpc.Metadata): Promise<etcd.PutResponse> {
    const res = await this.write({ put: putFromWire(r) }, md);
    const out: etcd.PutResponse = { header: this.header(res.revision) };
    if (res.ok && res.put?.prevKv) out.prevKv = kvToWire(res.put.prevKv);
    return out;
  }

  private async deleteRange(r: etcd.DeleteRangeRequest__Output, md: grpc.Metadata): Promise<etcd.DeleteRangeResponse> {
    const res = await this.write({ deleteRange: deleteFromWire(r) }, md);
    const d = res.ok ? res.deleteRange! : { deleted: 0, prevKvs: [] };
    return { header: this.header(res.revision), deleted: d.deleted, prevKvs: d.prevKvs.map(kvToWire) };
  }

  private async txn(r: etcd.TxnRequest__Output, md: grpc.Metadata): Promise<etcd.TxnResponse> {
    let txn;
    try {
      txn = txnFromWire(r);
    } catch (e) {
      if (e instanceof WireError) throw Object.assign(e, { code: 'INVALID_ARGUMENT' });
      throw e;
    }
    const res = await this.write({ txn }, md);
    const header = this.header(res.revision);
    return txnToWire(res.ok ? res.txn! : { succeeded: false, responses: [] }, header);
  }

  private async compact(r: etcd.CompactionRequest__Output, md: grpc.Metadata): Promise<etcd.CompactionResponse> {
    const res = await this.write({ compaction: { revision: Number(r.revision) } }, md);
    return { header: this.header(res.revision) };
  }

  private watch(call: StreamCall<etcd.WatchResponse>): void {
    const watches = new Map<number, number>();
    let nextId = 0;
    let open = true;
    const send = (res: etcd.WatchResponse): void => {
      if (open) call.write(res);
    };
    const closeAll = (): void => {
      open = false;
      for (const hubId of watches.values()) this.node.cancelWatch(hubId);
      watches.clear();
    };
    call.on('data', (req: etcd.WatchRequest__Output) => {
      if (req.requestUnion === 'createRequest' && req.createRequest) {
        const c = req.createRequest;
        let id = Number(c.watchId);
        if (id === 0 || watches.has(id)) {
          while (watches.has(nextId)) nextId++;
          id = nextId++;
        }
        const start = Number(c.startRevision);
        send({ header: this.header(), watchId: id, created: true });
        try {
          const hubId = this.node.watch({
            key: c.key, rangeEnd: c.rangeEnd.length ? c.rangeEnd : undefined, startRevision: start > 0 ? start : undefined,
            prevKv: c.prevKv, noPut: c.filters.includes('NOPUT'), noDelete: c.filters.includes('NODELETE'),
          }, (events) => {
            const rev = events[events.length - 1]?.kv.modRevision ?? this.node.state.revision;
            send({ header: this.header(rev), watchId: id, events: events.map(eventToWire) });
          }, (err) => {
            watches.delete(id);
            send({ header: this.header(), watchId: id, canceled: true, cancelReason: err.message });
          });
          watches.set(id, hubId);
        } catch (e) {
          if (e instanceof CompactedError) {
            send({ header: this.header(), watchId: id, canceled: true, compactRevision: e.compactRevision, cancelReason: `etcdserver: mvcc: required revision has been compacted (${e.message})` });
          } else {
            send({ header: this.header(), watchId: id, canceled: true, cancelReason: (e as Error).message });
          }
        }
      } else if (req.requestUnion === 'cancelRequest' && req.cancelRequest) {
        const id = Number(req.cancelRequest.watchId);
        const hubId = watches.get(id);
        if (hubId !== undefined) this.node.cancelWatch(hubId);
        watches.delete(id);
        send({ header: this.header(), watchId: id, canceled: true });
      } else if (req.requestUnion === 'progressRequest') {
        send({ header: this.header(), watchId: -1 });
      }
    });
    // A client that half-closes keeps its watches (etcd's recvLoop returns on EOF, its
    // sendLoop goes on) until it cancels the call or the connection goes.
    call.on('cancelled', closeAll);
  }

  private async leaseGrant(r: etcd.LeaseGrantRequest__Output): Promise<etcd.LeaseGrantResponse> {
    const ttl = Number(r.TTL);
    if (!(ttl > 0)) throw refusal('INVALID_ARGUMENT', `lease TTL must be positive, got ${ttl}`);
    const g = await this.node.submitLeaseGrant(ttl, Number(r.ID));
    return { header: this.header(), ID: g.id, TTL: g.ttl, error: '' };
  }

  private async leaseRevoke(r: etcd.LeaseRevokeRequest__Output, md: grpc.Metadata): Promise<etcd.LeaseRevokeResponse> {
    const res = await this.write({ leaseRevoke: { id: Number(r.ID) } }, md);
    return { header: this.header(res.revision) };
  }

  private leaseKeepAlive(call: StreamCall<etcd.LeaseKeepAliveResponse>): void {
    let open = true;
    let clientDone = false;
    let outstanding = 0;
    // After the client's half-close, the renewals it sent are still answered; then the call ends.
    const settled = (): void => {
      outstanding--;
      if (clientDone && outstanding === 0 && open) {
        open = false;
        call.end();
      }
    };
    call.on('data', (req: etcd.LeaseKeepAliveRequest__Output) => {
      const id = Number(req.ID);
      outstanding++;
      this.node.submitLeaseKeepAlive(id).then((ttl) => {
        if (open) call.write({ header: this.header(), ID: id, TTL: ttl });
      }, (e: { code?: string }) => {
        // etcd answers a renewal of an unknown (expired) lease with TTL 0.
        if (e.code === 'LEASE_NOT_FOUND' && open) call.write({ header: this.header(), ID: id, TTL: 0 });
        else if (open) {
          open = false;
          call.end(toStatus(e));
        }
      }).finally(settled);
    });
    call.on('end', () => {
      clientDone = true;
      if (outstanding === 0 && open) {
        open = false;
        call.end();
      }
    });
    call.on('cancelled', () => { open = false; });
  }

  private async leaseTimeToLive(r: etcd.LeaseTimeToLiveRequest__Output): Promise<etcd.LeaseTimeToLiveResponse> {
    const id = Number(r.ID);
    const t = await this.node.submitLeaseTimeToLive(id);
    const keys = r.keys && t.ttl >= 0 ? await this.node.state.leaseKeys(id) : [];
    return { header: this.header(), ID: id, TTL: t.ttl, grantedTTL: t.grantedTtl, keys };
  }

  private async leaseLeases(): Promise<etcd.LeaseLeasesResponse> {
    await this.node.linearizableBarrier();
    return { header: this.header(), leases: this.node.state.listLeases().map((l) => ({ ID: l.id })) };
  }

  private members(): etcd.Member[] {
    const s = this.node.status();
    return s.members.filter((m) => s.voters.includes(m.id) || s.learners.includes(m.id)).map((m) => ({
      ID: m.id, name: m.name ?? `member-${m.id}`, peerURLs: [`http://${m.address}`],
      clientURLs: m.clientAddress ? [`http://${m.clientAddress}`] : [], isLearner: s.learners.includes(m.id),
    }));
  }

  private async memberList(): Promise<etcd.MemberListResponse> {
    return { header: this.header(), members: this.members() };
  }

  private leaderOnly(): void {
    if (!this.node.isLeader) throw new NotLeaderNodeError(this.node.leaderId || undefined, this.node.leaderAddress());
  }

  private async memberAdd(r: etcd.MemberAddRequest__Output): Promise<etcd.MemberAddResponse> {
    this.leaderOnly();
    const url = r.peerURLs[0];
    if (!url) throw refusal('INVALID_ARGUMENT', 'member add needs a peer URL');
    const address = url.replace(/^[a-z]+:\/\//, '');
    // A random id, as etcd's: never the id of a removed member, whose stale process or data
    // folder must not pass for the new one.
    const taken = new Set(this.node.status().members.map((m) => m.id));
    let id = randomInt(1, 2 ** 47);
    while (taken.has(id)) id = randomInt(1, 2 ** 47);
    await this.node.addLearner({ id, address });
    if (!r.isLearner) await this.node.promoteLearner(id).catch(() => undefined);
    const members = this.members();
    return { header: this.header(), member: members.find((m) => m.ID === id) ?? { ID: id, peerURLs: [url] }, members };
  }

  private async memberRemove(r: etcd.MemberRemoveRequest__Output): Promise<etcd.MemberRemoveResponse> {
    this.leaderOnly();
    await this.node.removeMember(Number(r.ID));
    return { header: this.header(), members: this.members() };
  }

  private async memberPromote(r: etcd.MemberPromoteRequest__Output): Promise<etcd.MemberPromoteResponse> {
    this.leaderOnly();
    await this.node.promoteLearner(Number(r.ID));
    return { header: this.header(), members: this.members() };
  }

  private async status(): Promise<etcd.StatusResponse> {
    const s = this.node.status();
    const size = await this.node.state.approximateSize();
    return {
      header: this.header(), version: VERSION, dbSize: size, dbSizeInUse: size, leader: s.leader, raftIndex: s.commitIndex,
      raftTerm: s.term, raftAppliedIndex: s.appliedIndex, errors: [], isLearner: s.learners.includes(s.id),
    };
  }

  private async moveLeader(r: etcd.MoveLeaderRequest__Output): Promise<etcd.MoveLeaderResponse> {
    this.leaderOnly();
    const to = Number(r.targetID);
    this.node.transferLeadership(to);
    const deadline = Date.now() + 5000;
    while (this.node.leaderId !== to) {
      if (Date.now() > deadline) throw Object.assign(new Error(`leadership did not move to member ${to} within 5 s`), { code: 'TIMEOUT' });
      await new Promise((res) => setTimeout(res, 20));
    }
    return { header: this.header() };
  }
}

function passes(kv: KeyValue, r: etcd.RangeRequest__Output): boolean {
  const minMod = Number(r.minModRevision); const maxMod = Number(r.maxModRevision);
  const minCreate = Number(r.minCreateRevision); const maxCreate = Number(r.maxCreateRevision);
  return (!minMod || kv.modRevision >= minMod) && (!maxMod || kv.modRevision <= maxMod)
    && (!minCreate || kv.createRevision >= minCreate) && (!maxCreate || kv.createRevision <= maxCreate);
}

function sortKvs(kvs: KeyValue[], order: string, target: string): KeyValue[] {
  if (order === 'NONE' && target === 'KEY') return kvs;
  const key = (kv: KeyValue): number | Buffer => {
    switch (target) {
      case 'VERSION': return kv.version;
      case 'CREATE': return kv.createRevision;
      case 'MOD': return kv.modRevision;
      case 'VALUE': return kv.value;
      default: return kv.key;
    }
  };
  const sorted = [...kvs].sort((a, b) => {
    const x = key(a); const y = key(b);
    return typeof x === 'number' ? x - (y as number) : Buffer.compare(x, y as Buffer);
  });
  return order === 'DESCEND' ? sorted.reverse() : sorted;
}
