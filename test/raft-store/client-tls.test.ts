// The client port over mutual TLS: a raft-store member serving etcd's API with a certificate,
// asking clients for theirs. A client with a certificate of the cluster's CA is served; one
// without a certificate, with one of another CA, or speaking plain TCP is not.
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createCertificateAuthority, issueCertificate } from '@berth/control-plane';
import { loadEtcdV3 } from '@berth/proto';
import { Member } from '@berth/raft-store';
import { freePort } from '@berth/raft-store/dist/testing';
import { tempDir } from '../support/berthd';

const tmp = tempDir('client-tls');
const ca = createCertificateAuthority({ commonName: 'store CA', validDays: 1 });
const other = createCertificateAuthority({ commonName: 'someone else', validDays: 1 });
const serverCert = issueCertificate(ca, { commonName: 'm1', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
const clientCert = issueCertificate(ca, { commonName: 'operator', validDays: 1, usage: 'client' });
const strangerCert = issueCertificate(other, { commonName: 'stranger', validDays: 1, usage: 'client' });
let member: Member | undefined;
let address = '';

beforeAll(async () => {
  const peerAddress = `127.0.0.1:${await freePort()}`;
  address = `127.0.0.1:${await freePort()}`;
  member = await Member.start({
    id: 1, clusterId: 'client-tls', dataDir: path.join(tmp.dir, 'm1'), peerAddress, clientAddress: address,
    bootstrap: [{ id: 1, address: peerAddress, clientAddress: address }], node: { tickMs: 20 },
    clientTls: { key: serverCert.keyPem, cert: serverCert.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
  });
  const deadline = Date.now() + 10_000;
  while (!member.node.isLeader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await member?.stop();
  tmp.remove();
});

function put(creds: grpc.ChannelCredentials): Promise<grpc.ServiceError | null> {
  const kv = new (loadEtcdV3().KV)(address, creds, { 'grpc.initial_reconnect_backoff_ms': 100 });
  return new Promise((resolve) => kv.Put({ key: Buffer.from('k'), value: Buffer.from('v') }, { deadline: Date.now() + 3000 }, (err) => {
    kv.close();
    resolve(err);
  }));
}

describe('client port over mutual TLS', () => {
  it('serves a client with a certificate of the CA it trusts', async () => {
    expect(await put(grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem)))).toBeNull();
  });

  it('refuses a client without a certificate, with a stranger\'s, or without TLS', async () => {
    expect((await put(grpc.credentials.createSsl(Buffer.from(ca.certPem))))?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await put(grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(strangerCert.keyPem), Buffer.from(strangerCert.certPem))))?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await put(grpc.credentials.createInsecure()))?.code).toBe(grpc.status.UNAVAILABLE);
    // and still serves the right one afterwards
    expect(await put(grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem)))).toBeNull();
  });
});
