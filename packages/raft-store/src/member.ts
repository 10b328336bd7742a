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
  /** The member-to-member server's credentials (insecure when absent). */
  serverCredentials?: grpc.ServerCredentials;
  peerCredentials?: grpc.ChannelCredentials;
  /** TLS for the client port (key, cert; ca and requestCert for client certificates); plain TCP when absent. */
  clientTls?: tls.TlsOptions;
  node?: Partial<Omit<RaftNodeOptions, 'id' | 'clusterId' | 'dataDir' | 'transport' | 'bootstrap'>>;
}

export class Member {
  private constructor(readonly node: RaftNode, private readonly peerServer: grpc.Server, private readonly clientServer: GrpcH2Server) {}

  static async start(o: MemberOptions): Promise<Member> {
    if (o.serverCredentials?._isSecure() && !o.clientTls) throw new Error('member options: serverCredentials are secure but clientTls is missing: the client port would serve plain TCP');
    const creds = o.serverCredentials ?? grpc.ServerCredentials.createInsecure();
    const peerServer = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20, 'grpc.enable_channelz': 0 });
    const transport = new GrpcTransport({ id: o.id, clusterId: o.clusterId, server: peerServer, credentials: o.peerCredentials ?? grpc.credentials.createInsecure() });
    await bind(peerServer, o.peerAddress, creds);
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

  async stop(): Promise<void> {
    this.clientServer.forceShutdown();
    await this.node.stop();
    this.peerServer.forceShutdown();
  }
}

function bind(server: grpc.Server, address: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync(address, creds, (e, port) => (e ? reject(new Error(`cannot listen on ${address}: ${e.message}`)) : resolve(port))));
}
