/**
 * This berthd's part of the cluster: its raft-store member (Raft over mutual TLS), its join
 * listener, its liveness key, and — while it leads — the role keeper that promotes learners.
 * See packages/control-plane/design.md.
 *
 * Contract:
 * - start() needs <data-dir>/cluster/ (written by initCluster or joinCluster); it listens on
 *   the member's two addresses, starts Raft, and returns without waiting for a leader.
 * - Every member-to-member connection is mutual TLS with certificates of the cluster CA: a
 *   peer without one fails the handshake before any Raft message is read; and every call is
 *   refused unless the certificate is a current member's (peer-auth.ts): a removed member's
 *   is refused, and that member, once it hears no leader, learns it and calls onRemoved.
 * - listMembers(), createJoinToken() and join admission need a quorum; without one they fail
 *   within the request timeout naming what is missing.
 * - stop() stops the loops, Raft and both listeners; the data stays for the next start.
 */
import * as crypto from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { ClusterJoinHandlers, InstanceServiceClient, InstanceServiceHandlers, JoinRequest__Output, JoinResponse, Member as MemberMessage } from '@berth/proto';
import { GrpcTransport, RaftNode } from '@berth/raft-store';
import {
  ClusterError, ClusterStore, instancesPerMember, K_IMAGE_SETTINGS, P_IMAGE_DELETED, P_IMAGE_HOLDERS, P_IMAGES, P_INSTANCES, P_PENDING, Placer, channelCredentials, checkMemberName, createCertificateAuthority, createJoinToken, fingerprint,
  issueCertificate, launchTrace, launchTraceOn, serverCredentials,
} from '@berth/control-plane';
import { ImageRegistry, TrustStore } from '@berth/control-plane';
import { DEFAULT_GROUP, GroupStore } from '@berth/control-plane';
import type { InstanceIntent } from '@berth/control-plane';
import type { ClusterInfo, MemberInfo } from '@berth/control-plane';
import type { Agent } from '../agent/agent';
import { toStatus } from '../daemon/status';
import { Operations } from './operations';
import { Reconciler } from './reconciler';
import { Mover, migrationHandlers } from './moves';
import { ImageDistributor } from './images';
import { imageTransferHandlers, serveTestFaultsFromEnv } from './image-transfer';
import { deleteLocalImage } from '../daemon/image-service';
import { PeerAuth, checkMembership } from './peer-auth';
import { DataListener } from './data-link';
import type { DataLinks } from './data-link';
import { clusterDir, hostOf, joinAddress, readMember, writeMember } from './files';
import { TrustAnchors, authorizer, guardService } from './api-listener';
import type { ApiService } from './api-listener';
import type { MemberConfig } from './files';

export interface InitOptions {
  name: string;
  address: string;
  clusterAddress: string;
  maxVoters?: number;
  offlineThresholdMs?: number;
}

/** `berthd init`: a new cluster of one — its CA, this member's certificate, its settings. */
export function initCluster(dataDir: string, o: InitOptions): MemberConfig {
  checkMemberName(o.name);
  const maxVoters = o.maxVoters ?? 3;
  if (!Number.isInteger(maxVoters) || maxVoters < 1 || maxVoters % 2 === 0) throw new Error(`cluster.max_voters must be an odd number >= 1, not ${maxVoters}`);
  const offlineThresholdMs = o.offlineThresholdMs ?? 20_000;
  if (!Number.isFinite(offlineThresholdMs) || offlineThresholdMs < 1000) throw new Error(`cluster.offline_threshold must be at least 1 s, not ${offlineThresholdMs} ms`);
  const ips = [...new Set([hostOf(o.address), hostOf(o.clusterAddress)])];
  const ca = createCertificateAuthority({ commonName: `berth cluster CA (${o.name})`, validDays: 3650 });
  const member = issueCertificate(ca, { commonName: o.name, ipAddresses: ips, validDays: 3650, usage: 'server-and-client' });
  const config: MemberConfig = {
    name: o.name,
    memberId: newMemberId(),
    clusterId: crypto.randomUUID(),
    address: o.address,
    clusterAddress: o.clusterAddress,
    founding: { maxVoters, offlineThresholdMs, createdAt: Date.now() },
  };
  writeMember(dataDir, config, { caPem: ca.certPem, caKeyPem: ca.keyPem, certPem: member.certPem, keyPem: member.keyPem });
  return config;
}

function newMemberId(): number {
  return crypto.randomInt(1, 2 ** 47);
}

export interface ClusterMemberOptions {
  dataDir: string;
  /** Raft tick (ms); elections take 10-20 ticks. */
  tickMs?: number;
  requestTimeoutMs?: number;
  /** What this host reports in its liveness key. */
  resources?: () => { cpus: number; memoryBytes: number; instances: number; criu: boolean; features?: string[] };
  /** This host's agent: carries out the instances placed here. Without it, no reconciler runs. */
  agent?: Agent;
  /**
   * This member's own InstanceService (its agent, no cluster logic), served to the other
   * members on the mutual-TLS listener: they forward calls on instances that run here
   * (exec, console, state, snapshots).
   */
  localInstances?: InstanceServiceHandlers;
  /**
   * This member was removed from the cluster (a peer refused its certificate as a removed
   * member's): `why` says so. ClusterMember has stopped its loops; the caller stops the rest.
   */
  onRemoved?: (why: string) => void;
  /**
   * Where this member listens for data links (data-link.ts: bulk bytes of moves and image
   * transfers on plain TLS): host:port; default the cluster address's host, any port (the
   * port travels in each offer). `false`: none (the bytes go on the gRPC streams).
   */
  dataAddress?: string | false;
}

export class ClusterMember {
  readonly store: ClusterStore;
  /** API clients trusted by certificate (see api-listener.ts). */
  readonly trust: TrustStore;
  private anchors: TrustAnchors | undefined;
  /** The API's asynchronous operations (see operations.ts). */
  readonly operations: Operations;
  private readonly timers: NodeJS.Timeout[] = [];
  private leaseId = 0;
  private watchId: number | undefined;
  private readonly changeWaiters: Array<() => void> = [];
  private info: ClusterInfo | undefined;
  /** Leader's view: since when each member has had no liveness key. */
  private readonly offlineSince = new Map<string, number>();
  private stopped = false;
  private readonly requestTimeoutMs: number;
  /** Carries out the moves of instances that leave this member (with an agent). */
  mover: Mover | undefined;
  /** The leader's placer (every member has one; only the leader's runs passes). */
  private placer: Placer | undefined;
  /** The cluster's images in the store: which member holds which image. */
  readonly registry: ImageRegistry;
  /** Records this member's images, pulls and replicates them (with an agent; see images.ts). */
  images: ImageDistributor | undefined;
  /** Data links for bulk bytes (data-link.ts); undefined when turned off. */
  links: DataLinks | undefined;

  private constructor(
    private readonly opts: ClusterMemberOptions,
    readonly config: MemberConfig,
    private readonly pki: ReturnType<typeof readMember>['pki'],
    readonly node: RaftNode,
    private readonly peerServer: grpc.Server,
    private joinServer: grpc.Server | undefined,
    private readonly auth: PeerAuth,
  ) {
    this.store = new ClusterStore(node);
    this.trust = new TrustStore(node);
    this.registry = new ImageRegistry(node);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.operations = new Operations(this.store, config.name, (ms) => this.changed(ms));
  }

  /**
   * A post-copy target whose pull broke (its copy killed here), while the move is still open:
   * says so in the move's operation (metadata `move.<name>.warning`, which `berth move` prints)
   * so that a source whose host was lost is reported before it comes back. Best effort; only
   * while the store still has this move in progress.
   */
  async noteMoveWarning(name: string, moveId: string, why: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        const i = (await this.store.instance(name))?.value;
        const opId = i?.moving?.id === moveId ? i.moving.operation : undefined;
        if (!i || !opId) return;
        const op = await this.store.operation(opId);
        if (!op || op.value.status !== 'running') return;
        const source = i.location ?? 'its source';
        const text = `${name}'s memory stopped coming from ${source} while it ran on ${this.config.name} (post-copy: ${why}): its copy on ${this.config.name} was killed (its memory was not whole), so it runs nowhere now. The move ends when ${source} answers again; if ${source}'s host was lost, the memory not pulled yet is lost with it, and ${name} starts again there from its volume.`;
        const metadata = { ...op.value.metadata, [`move.${name}.warning`]: text };
        if (await this.store.changeOperation({ ...op.value, metadata, updatedAtUnixMs: Date.now() }, op.modRevision)) return;
      } catch {
        // the store electing a leader: tried again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  static async start(opts: ClusterMemberOptions): Promise<ClusterMember> {
    const { config, pki } = readMember(opts.dataDir);
    const auth = new PeerAuth({ name: config.name, id: config.memberId });
    let links: DataLinks | undefined;
    if (opts.dataAddress !== false) {
      const host = hostOf(config.clusterAddress);
      const listener = await DataListener.start(opts.dataAddress ?? joinAddress(host, 0), pki, (cert) => {
        const v = auth.verdict(cert);
        return v.ok ? undefined : v.details;
      });
      links = { listener, pki };
    }
    const peerServer = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20, interceptors: [auth.interceptor] });
    peerServer.addService(loadBerthV1().Membership.service, { Check: (_call: unknown, cb: grpc.sendUnaryData<{ member: string }>) => cb(null, { member: config.name }) });
    // Raft's message streams are framed by hand on a TLS connection of their own, with the
    // same certificates (raft-store GrpcTransportOptions.tls): a message leaves when sent.
    const transport = new GrpcTransport({
      id: config.memberId, clusterId: config.clusterId, server: peerServer, credentials: channelCredentials(pki),
      tls: { ca: pki.caPem, cert: pki.certPem, key: pki.keyPem },
    });
    if (opts.localInstances) peerServer.addService(loadBerthV1().InstanceService.service, opts.localInstances);
    // (The member is made below: a post-copy pull's warning waits for it.)
    let member: ClusterMember | undefined;
    if (opts.agent) peerServer.addService(loadBerthV1().MigrationService.service, migrationHandlers(opts.agent, links, (n, id, why) => member?.noteMoveWarning(n, id, why) ?? Promise.resolve()));
    if (opts.agent) peerServer.addService(loadBerthV1().ImageTransfer.service, imageTransferHandlers(opts.agent.images, serveTestFaultsFromEnv(process.env, opts.dataDir), links));
    try {
      await bind(peerServer, config.clusterAddress, serverCredentials(pki));
    } catch (e) {
      await links?.listener.close();
      throw e;
    }
    let node: RaftNode;
    try {
      node = await RaftNode.start({
        id: config.memberId,
        clusterId: config.clusterId,
        dataDir: path.join(clusterDir(opts.dataDir), 'raft'),
        transport,
        bootstrap: config.founding ? [{ id: config.memberId, address: config.clusterAddress, name: config.name }] : undefined,
        peers: config.peers?.map((p) => ({ id: p.id, address: p.clusterAddress, name: p.name })),
        tickMs: opts.tickMs ?? 100,
        requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      });
    } catch (e) {
      peerServer.forceShutdown();
      await links?.listener.close();
      throw e;
    }
    const m = new ClusterMember(opts, config, pki, node, peerServer, undefined, auth);
    member = m;
    m.links = links;
    try {
      m.joinServer = await m.serveJoin();
    } catch (e) {
      await node.stop();
      peerServer.forceShutdown();
      await links?.listener.close();
      throw e;
    }
    m.every(1000, () => m.tick());
    void m.tick();
    m.every(2000, () => m.checkRemoved());
    // On the leader every member answers heartbeats each tick: one silent for a second (10
    // ticks) is passed by, before its lease runs out (kill -9 of a member, then a launch); so
    // is one whose connection broke since it was last heard (a leader killed a moment ago,
    // when this member, its follower until then, won the election that followed at once).
    const placer = new Placer(m.store, {
      reachable: (x) => {
        if (x.id === m.config.memberId) return true;
        const silent = m.node.silentMs(x.id);
        return silent !== null && silent < 1000 && !m.node.reportedDown(x.id);
      },
    });
    m.placer = placer;
    let leading = false;
    const kickPlace = m.every(1000, async () => {
      if (m.node.isLeader !== leading) {
        leading = m.node.isLeader;
        placer.reset();
      }
      if (leading && m.info) while ((await placer.runOnce()) > 0 && !m.stopped);
    });
    let kickReconcile: (() => void) | undefined;
    let kickImages: (() => void) | undefined;
    if (opts.agent) {
      m.mover = new Mover(config.name, m.store, opts.agent, (member) => m.peerClient(member, 'MigrationService'), links);
      const images = await ImageDistributor.start({
        me: config.name, store: m.store, registry: m.registry, images: opts.agent.images, dataDir: opts.dataDir, operations: m.operations,
        removeLocal: (fp) => deleteLocalImage(opts.agent!, fp),
        peer: (member) => m.peerClient(member, 'ImageTransfer'),
        links,
      });
      m.images = images;
      kickImages = m.every(2000, async () => {
        if (m.node.leaderId && m.info) await images.tick();
      });
      const reconciler = new Reconciler(config.name, m.store, opts.agent, m.mover, images);
      kickReconcile = m.every(2000, async () => {
        if (m.node.leaderId && m.info) await reconciler.runOnce();
      });
    }
    m.watchStore(kickPlace, kickReconcile, kickImages);
    return m;
  }

  /**
   * Placement in the txn that creates the intent, when this member leads and its placer's view
   * is loaded (Placer.chooseNow); undefined otherwise: the intent waits for the leader's pass.
   */
  async placeAtCreation(intent: InstanceIntent): Promise<{ location: string; settle: (rev?: number) => void } | undefined> {
    if (!this.node.isLeader || !this.placer || !this.info) return undefined;
    return this.placer.chooseNow(intent).catch(() => undefined);
  }

  /**
   * Runs `fn` every `ms`, never two at once; returns a kick that runs it as soon as the run in
   * progress (if any) ends: the store's watch kicks the loops, the interval is the safety net.
   */
  private every(ms: number, fn: () => Promise<void>): () => void {
    let busy = false;
    let again = false;
    const run = (): void => {
      if (this.stopped) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      again = false;
      fn().catch(() => undefined).finally(() => {
        busy = false;
        if (again) run();
      });
    };
    this.timers.push(setInterval(run, ms));
    return run;
  }

  /**
   * Resolves at the next change under /berth/ applied on this member (or after `ms`). Call it
   * BEFORE reading what you wait for, and await it after: a change that lands while you read
   * then wakes you at once instead of being missed. Answers true when a change woke it.
   */
  changed(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiters = this.changeWaiters;
      const done = (woken = true): void => {
        clearTimeout(t);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve(woken);
      };
      const t = setTimeout(() => done(false), ms);
      waiters.push(done);
    });
  }

  /** One watch on everything berth keeps in the store: wakes the loops and the API's waits. */
  private watchStore(kickPlace: () => void, kickReconcile: (() => void) | undefined, kickImages: (() => void) | undefined): void {
    const prefix = (p: string): Buffer => Buffer.from(p);
    this.watchId = this.node.watch({ key: prefix('/berth/'), rangeEnd: prefix('/berth0') }, (events) => {
      let place = false;
      let reconcile = false;
      let images = false;
      for (const e of events) {
        const k = e.kv.key.toString('utf8');
        if (launchTraceOn) launchTrace(this.config.name, 'watch', k, `${e.type}@${e.kv.modRevision}`);
        if (k.startsWith(P_PENDING)) place = true;
        // An intent without a location waits for the leader's placer (it keeps them in memory).
        else if (k.startsWith(P_INSTANCES)) reconcile = place = true;
        // An image recorded, held, deleted or the replica count changed: replication looks now,
        // not at its next tick (a new image reached its replicas up to 2 s late).
        else if (k.startsWith(P_IMAGE_HOLDERS) || k.startsWith(P_IMAGES) || k.startsWith(P_IMAGE_DELETED) || k === K_IMAGE_SETTINGS) images = true;
      }
      if (images && kickImages) setImmediate(kickImages);
      // After every watcher of this change has seen it (the placer keeps its own view from its
      // own watch): kicked at once, it could find its view a change behind and wait a second.
      if (place && this.node.isLeader) setImmediate(kickPlace);
      if (reconcile && kickReconcile) setImmediate(kickReconcile);
      const waiters = this.changeWaiters.splice(0);
      for (const w of waiters) w();
    }, () => undefined);
  }

  /** The periodic duties: found the cluster (once), keep our liveness key, keep roles (leader). */
  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.followPeers();
    if (!this.node.leaderId) return;
    if (!this.info) {
      if (this.config.founding && this.node.isLeader) {
        const f = this.config.founding;
        await this.store.found({ clusterId: this.config.clusterId, createdAt: f.createdAt, maxVoters: f.maxVoters, offlineThresholdMs: f.offlineThresholdMs }, this.selfInfo(f.createdAt));
      }
      this.info = await this.store.cluster();
      if (!this.info) return;
    }
    await this.keepAlive(this.info);
    if (this.node.isLeader) {
      const live = await this.store.live();
      await this.keepRoles(this.info, live);
      await this.operations.collect((name) => live.has(name));
    }
  }

  private selfInfo(joinedAt: number): MemberInfo {
    return { name: this.config.name, id: this.config.memberId, address: this.config.address, clusterAddress: this.config.clusterAddress, joinedAt, certFingerprint: fingerprint(this.pki.certPem) };
  }

  /**
   * Keeps the check of calling peers on this member's view of the store; a record of ours
   * without a certificate fingerprint (older data) gets it.
   */
  private async followPeers(): Promise<void> {
    const view = await this.store.peerView();
    this.auth.update(view.members, view.removed);
    const self = view.members.find((m) => m.id === this.config.memberId);
    if (self && !self.certFingerprint && this.node.leaderId) {
      const fp = fingerprint(this.pki.certPem);
      await this.store.changeMember(self.name, (m) => (m.certFingerprint ? undefined : { ...m, certFingerprint: fp }));
    }
  }

  private leaderlessSince: number | undefined;

  /**
   * A member that has heard no leader for 5 s asks its peers, one at a time, whether they still
   * answer it (see peer-auth.ts): one that refuses it as a removed member's is proof.
   */
  private async checkRemoved(): Promise<void> {
    if (this.stopped) return;
    if (this.node.leaderId) {
      this.leaderlessSince = undefined;
      return;
    }
    const now = Date.now();
    this.leaderlessSince ??= now;
    if (now - this.leaderlessSince < 5000) return;
    const { members } = await this.store.peerView();
    for (const p of members) {
      if (p.id === this.config.memberId || this.stopped) continue;
      const c = new (loadBerthV1().Membership)(p.clusterAddress, channelCredentials(this.pki));
      try {
        const answer = await checkMembership(c as Parameters<typeof checkMembership>[0], 2000);
        if (answer === 'member') return;
        if (answer === 'removed') {
          const why = `member ${this.config.name} was removed from the cluster (member ${p.name} refuses its certificate as a removed member's)`;
          await this.stop();
          this.opts.onRemoved?.(why);
          return;
        }
      } finally {
        c.close();
      }
    }
  }

  private async keepAlive(info: ClusterInfo): Promise<void> {
    const ttl = Math.max(1, Math.round(info.offlineThresholdMs / 1000));
    const live = { at: Date.now(), cpus: os.cpus().length, memoryBytes: os.totalmem(), instances: 0, ...this.opts.resources?.() };
    if (this.leaseId) {
      try {
        await this.node.submitLeaseKeepAlive(this.leaseId);
        // Renewed often enough: every tick when the threshold is short, else every threshold/4.
        return;
      } catch {
        this.leaseId = 0; // expired (we were cut off) or unknown to a new leader: take a new one
      }
    }
    const lease = await this.node.submitLeaseGrant(ttl);
    await this.store.putLive(this.config.name, live, lease.id);
    this.leaseId = lease.id;
  }

  /**
   * Leader: one membership change per pass, in this order —
   * 1. removals asked with `berth cluster remove` (leadership first handed to another voter
   *    when the leader itself is to go);
   * 2. a voter offline longer than the offline threshold is taken out of Raft when an online,
   *    caught-up stand-by can take its place (its member record stays);
   * 3. members with a record but not in Raft (the voter just taken out, or a join whose learner
   *    was never added) become learners: a demotion in two steps;
   * 4. learners that have caught up become voters until the cluster has its target of voters:
   *    the largest odd number <= min(maxVoters, members) (two members keep one voter and a
   *    stand-by, as LXD does; a third makes three voters, one promotion at a time).
   */
  private async keepRoles(info: ClusterInfo, live: ReadonlyMap<string, unknown>): Promise<void> {
    const s = this.node.status();
    const [members, removals] = await Promise.all([this.store.members(), this.store.removals()]);
    const byName = new Map(members.map((m) => [m.name, m]));
    const inRaft = new Set([...s.voters, ...s.learners]);
    const now = Date.now();
    for (const m of members) {
      if (live.has(m.name)) this.offlineSince.delete(m.name);
      else if (!this.offlineSince.has(m.name)) this.offlineSince.set(m.name, now);
    }
    const caughtUp = (id: number): boolean => {
      const p = s.progress?.find((x) => x.id === id);
      return !!p && p.active && p.match >= s.commitIndex - 10;
    };
    // database-client members never vote: they are never promoted, and a voter given the role
    // hands its vote to a stand-by (taken out of Raft, it comes back as a learner in step 3).
    const client = new Set(members.filter((m) => m.roles?.includes('database-client')).map((m) => m.id));
    // 1. removals
    for (const r of removals) {
      const m = byName.get(r.name);
      if (m && m.id === this.config.memberId) {
        const to = s.voters.find((v) => v !== m.id && caughtUp(v));
        if (to) this.node.transferLeadership(to);
        return;
      }
      if (m && inRaft.has(m.id)) {
        await this.node.removeMember(m.id);
        return;
      }
      const theirs = m ? (await this.store.instances()).filter((i) => i.value.location === r.name).map((i) => i.value.name) : [];
      await this.store.completeRemoval(r.name, theirs, m, r.force);
      return;
    }
    const removing = new Set(removals.map((r) => r.name));
    // 2. replace a voter lost for longer than the threshold (or given database-client) by a stand-by
    const standby = s.learners.find((id) => caughtUp(id) && !client.has(id) && members.some((m) => m.id === id && live.has(m.name)));
    if (standby !== undefined) {
      for (const m of members) {
        if (!s.voters.includes(m.id)) continue;
        if (client.has(m.id)) {
          if (m.id === this.config.memberId) {
            this.node.transferLeadership(standby);
            return;
          }
          await this.node.removeMember(m.id);
          return;
        }
        const since = this.offlineSince.get(m.name);
        if (m.id === this.config.memberId || since === undefined || now - since < info.offlineThresholdMs) continue;
        await this.node.removeMember(m.id);
        return;
      }
    }
    // 3. members with a record but not in Raft: back as stand-by, at once (a member taken out
    // in step 2 is dead: as a learner it counts for nothing, and when it comes back the
    // leader's appends reach it again). A join in progress adds its own learner.
    for (const m of members) {
      if (inRaft.has(m.id) || removing.has(m.name) || now - m.joinedAt < 30_000) continue;
      await this.node.addLearner({ id: m.id, address: m.clusterAddress, name: m.name });
      return;
    }
    // 4. promotions
    const n = Math.min(info.maxVoters, s.voters.length + s.learners.length);
    const target = n % 2 === 1 ? n : n - 1;
    if (s.voters.length >= target) return;
    for (const id of s.learners) {
      if (!caughtUp(id) || client.has(id)) continue;
      await this.node.promoteLearner(id);
      return;
    }
  }

  /** berth cluster remove: recorded for the leader, which carries it out (see keepRoles). */
  async removeMember(name: string, force: boolean, waitMs = 60_000): Promise<void> {
    const m = await this.store.member(name);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${name}"`);
    const theirs = (await this.store.instances()).filter((i) => i.value.location === name).map((i) => i.value.name);
    if (theirs.length > 0 && !force) {
      throw new ClusterError('FAILED_PRECONDITION', `member "${name}" still has instances (${theirs.join(', ')}): move or delete them, or use --force (their records go; the containers stay on that host)`);
    }
    const s = this.node.status();
    if (s.voters.length === 1 && s.voters[0] === m.id) throw new ClusterError('FAILED_PRECONDITION', `member "${name}" is the only voter: it cannot be removed`);
    await this.store.requestRemoval(name, force);
    const deadline = Date.now() + waitMs;
    while (await this.store.member(name)) {
      if (Date.now() > deadline) throw Object.assign(new Error(`member "${name}" was not removed within ${waitMs / 1000} s; the removal is still pending`), { code: grpc.status.DEADLINE_EXCEEDED });
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // ---- the join listener ----

  private async serveJoin(): Promise<grpc.Server> {
    const server = new grpc.Server();
    const v1 = loadBerthV1();
    const handlers: ClusterJoinHandlers = {
      Join: (call, callback) => {
        this.admit(call.request).then((r) => callback(null, r), (e: unknown) => callback(toStatus(e)));
      },
    };
    server.addService(v1.ClusterJoin.service, handlers);
    // The joiner has no certificate yet: a client certificate is asked for, not required; the
    // chain (member certificate + CA) lets it check the CA against its token's fingerprint.
    // The public API joins later (serveApi), each call checked against the trust store.
    this.trust.start();
    this.anchors = new TrustAnchors(this.pki, this.trust);
    await this.anchors.start();
    await bind(server, this.config.address, this.anchors.credentials());
    return server;
  }

  /**
   * Serves the public API on this member's address too: every call but RedeemTrustToken only
   * for clients whose certificate is in the trust store (api-listener.ts).
   */
  serveApi(services: readonly ApiService[]): void {
    const authorize = authorizer(this.trust, this.config.name);
    const open = new Set(['RedeemTrustToken']);
    for (const s of services) {
      const g = guardService(s, authorize, open);
      this.joinServer?.addService(g.service, g.handlers);
    }
  }

  /** The cluster CA certificate (PEM). */
  get caPem(): string {
    return this.pki.caPem;
  }

  private async admit(req: JoinRequest__Output): Promise<JoinResponse> {
    const name = checkMemberName(req.memberName);
    for (const [what, a] of [['address', req.address], ['cluster_address', req.clusterAddress]] as const) {
      try {
        hostOf(a);
      } catch (e) {
        throw new ClusterError('INVALID_ARGUMENT', `${what}: ${(e as Error).message}`);
      }
    }
    if (!this.node.isLeader) {
      throw Object.assign(new Error(`member ${this.config.name} is not the leader; ask another member of the token`), { code: grpc.status.UNAVAILABLE });
    }
    const info = await this.store.cluster();
    if (!info) throw Object.assign(new Error('the cluster is still being founded; retry'), { code: grpc.status.UNAVAILABLE });
    const members = await this.store.members();
    const taken = new Set(members.map((m) => m.id));
    let id = newMemberId();
    while (taken.has(id)) id = newMemberId();
    // Made before the token is spent, so a bad public key spends nothing.
    const ips = [...new Set([hostOf(req.address), hostOf(req.clusterAddress)])];
    let certPem: string;
    try {
      certPem = issueCertificate({ certPem: this.pki.caPem, keyPem: this.pki.caKeyPem }, { commonName: name, ipAddresses: ips, validDays: 3650, usage: 'server-and-client', publicKeyPem: req.publicKeyPem }).certPem;
    } catch (e) {
      throw new ClusterError('INVALID_ARGUMENT', (e as Error).message);
    }
    const self: MemberInfo = { name, id, address: req.address, clusterAddress: req.clusterAddress, joinedAt: Date.now(), certFingerprint: fingerprint(certPem) };
    await this.store.consumeToken(req.token, self);
    this.auth.admit(self.certFingerprint!);
    await this.node.addLearner({ id, address: req.clusterAddress, name });
    return {
      memberId: id,
      clusterId: this.config.clusterId,
      certificatePem: certPem,
      caCertificatePem: this.pki.caPem,
      caKeyPem: this.pki.caKeyPem,
      peers: [...members, self].map((m) => ({ id: m.id, name: m.name, clusterAddress: m.clusterAddress })),
    };
  }

  // ---- the API's cluster calls ----

  async createJoinToken(name: string, ttlMs = 3 * 3600_000): Promise<{ token: string; expiresAt: number }> {
    checkMemberName(name);
    const members = await this.store.members();
    const t = createJoinToken({ memberName: name, addresses: members.map((m) => m.address), caFingerprint: fingerprint(this.pki.caPem), ttlMs });
    await this.store.addToken({ memberName: name, secretHash: t.secretHash, expiresAt: t.expiresAt });
    return { token: t.token, expiresAt: t.expiresAt };
  }

  async listMembers(): Promise<MemberMessage[]> {
    const [members, live, intents, groups] = await Promise.all([this.store.members(), this.store.live(), this.store.instances(), new GroupStore(this.node).byMember()]);
    const counts = instancesPerMember(intents);
    const s = this.node.status();
    const voters = new Set(s.voters);
    const learners = new Set(s.learners);
    return members.map((m) => {
      const l = live.get(m.name);
      const roles = voters.has(m.id) ? ['voter'] : learners.has(m.id) ? ['learner'] : [];
      if (m.id === s.leader) roles.push('leader');
      roles.push(...(m.roles ?? []));
      return {
        name: m.name,
        address: m.address,
        roles,
        status: l ? (m.evacuated ? 'Evacuated' : 'Online') : 'Offline',
        leader: m.id === s.leader,
        groups: [DEFAULT_GROUP, ...(groups.get(m.name) ?? [])],
        cpus: l?.cpus ?? 0,
        memoryBytes: l?.memoryBytes ?? 0,
        instances: counts.get(m.name) ?? 0,
        features: l?.features ?? [],
      };
    });
  }

  private readonly peers = new Map<string, grpc.Client>();

  /** A client of another member's own InstanceService, over mutual TLS (see localInstances). */
  async ownerClient(member: string): Promise<InstanceServiceClient> {
    return this.peerClient(member, 'InstanceService');
  }

  /** A client of one of the services on another member's mutual-TLS listener (one channel each). */
  async peerClient<S extends 'InstanceService' | 'MigrationService' | 'ImageTransfer'>(member: string, service: S): Promise<InstanceType<ReturnType<typeof loadBerthV1>[S]>> {
    const m = await this.store.member(member);
    if (!m) throw new ClusterError('NOT_FOUND', `no member named "${member}"`);
    const key = `${service}:${member}@${m.clusterAddress}`;
    let c = this.peers.get(key);
    if (!c) {
      // Reconnect backoff capped at 2 s (grpc-js' default grows to 120 s): a member back from a
      // restart is reachable again from here within seconds, not minutes.
      c = new (loadBerthV1()[service])(m.clusterAddress, channelCredentials(this.pki), {
        'grpc.max_send_message_length': 64 << 20, 'grpc.initial_reconnect_backoff_ms': 500, 'grpc.max_reconnect_backoff_ms': 2000,
      });
      this.peers.set(key, c);
    }
    return c as InstanceType<ReturnType<typeof loadBerthV1>[S]>;
  }

  private stopping: Promise<void> | undefined;

  /** Stops it all; a second call waits for the first. */
  stop(): Promise<void> {
    return (this.stopping ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    this.operations.stop();
    this.images?.stop();
    for (const c of this.peers.values()) c.close();
    for (const t of this.timers) clearInterval(t);
    if (this.watchId !== undefined) this.node.cancelWatch(this.watchId);
    for (const w of this.changeWaiters.splice(0)) w();
    this.joinServer?.forceShutdown();
    this.anchors?.stop();
    this.trust.stop();
    await this.node.stop();
    this.peerServer.forceShutdown();
    await this.links?.listener.close();
  }
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, creds, (e, port) => (e ? reject(new Error(`cannot listen on ${address}: ${e.message}`)) : resolve(port))));
}
