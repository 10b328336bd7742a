/**
 * A raft-store member as a process serves it: the node, its member-to-member server
 * (Raft transport) and its client server (etcd's API), on two addresses.
 */
import type * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { registerAdmin } from './api/admin-server';
import { EtcdApi } from './api/etcd-server';
import { GrpcH2Server } from './api/h2/grpc-server';
import { toStatus } from './api/status';
import type { MemberRecord } from './kv/types';
import { GrpcTransport } from './node/grpc-transport';
import { RaftNode } from './node/raft-node';
import type { RaftNodeOptions } from './node/raft-node';

export interface MemberOptions {
  id: number;
  clusterId: string;
  dataDir: string;
  /** host:port for member-to-member traffic. */
  peerAddress: string;
  /** host:port for clients (etcd API). */
  clientAddress: string;
  /** Founding members (with their addresses) of a new cluster; absent when joining. */
  bootstrap?: MemberRecord[] | undefined;
  /** Addresses of existing members, when joining. */
  peers?: MemberRecord[] | undefined;
  /**
   * Mutual TLS between members (PEM): the member port asks every peer for a certificate of
   * `ca`, and this member shows `cert` to the peers it connects to. Plain TCP when absent.
   */
  peerTls?: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer };
  /** TLS for the client port (key, cert; ca and requestCert for client certificates); plain TCP when absent. */
  clientTls?: tls.TlsOptions;
  node?: Partial<Omit<RaftNodeOptions, 'id' | 'clusterId' | 'dataDir' | 'transport' | 'bootstrap'>>;
}

export class Member {
  private constructor(readonly node: RaftNode, private readonly peerServer: GrpcH2Server, private readonly clientServer: GrpcH2Server) {}

  static async start(o: MemberOptions): Promise<Member> {
    if (o.peerTls && !o.clientTls) throw new Error('member options: peerTls is set but clientTls is missing: the client port would serve plain TCP');
    // The member port, framed by hand like the client port (api/h2/README.md): a peer's Raft
    // messages are read from the socket's bytes, not through node:http2 and grpc-js.
    const pt = o.peerTls;
    const peerServer = new GrpcH2Server({
      maxReceiveMessageLength: 64 << 20,
      ...(pt ? { tls: { key: pt.key, cert: pt.cert, ca: pt.ca, requestCert: true, rejectUnauthorized: true } } : {}),
    });
    const transport = new GrpcTransport({
      id: o.id, clusterId: o.clusterId, server: peerServer,
      credentials: pt ? grpc.credentials.createSsl(Buffer.from(pt.ca), Buffer.from(pt.key), Buffer.from(pt.cert)) : grpc.credentials.createInsecure(),
      ...(pt ? { tls: { ca: pt.ca, cert: pt.cert, key: pt.key } } : {}),
    });
    await peerServer.listen(o.peerAddress);
    let node: RaftNode;
    try {
      node = await RaftNode.start({ ...o.node, id: o.id, clusterId: o.clusterId, dataDir: o.dataDir, transport, bootstrap: o.bootstrap, peers: o.peers });
    } catch (e) {
      peerServer.forceShutdown();
      throw e;
    }
    // The client port: gRPC on HTTP/2 framed by hand (api/h2/README.md), not grpc-js.
    const clientServer = new GrpcH2Server({ toStatus, ...(o.clientTls ? { tls: o.clientTls } : {}) });
    new EtcdApi(node).register(clientServer);
    registerAdmin(clientServer, node);
    try {
      await clientServer.listen(o.clientAddress);
    } catch (e) {
      await node.stop();
      peerServer.forceShutdown();
      throw e;
    }
    return new Member(node, peerServer, clientServer);
  }

  /**
   * Stops the member: the client port first, gracefully (GrpcH2Server.shutdown: GOAWAY, so
   * clients take new calls elsewhere; watches end with UNAVAILABLE; calls already running are
   * answered for up to `graceMs` while the node still runs), then the node, then the member port.
   */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    await this.clientServer.shutdown(opts.graceMs ?? 1000);
    await this.node.stop();
    this.peerServer.forceShutdown();
  }
}
