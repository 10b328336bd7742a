// The member port over mutual TLS: three raft-store members (GrpcH2Server on both ports)
// elect a leader and replicate through peers' certificates of the cluster's CA; a peer with
// a certificate of another CA, or none, or speaking plain TCP, gets no Raft message in.
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createCertificateAuthority, issueCertificate } from '@berth/control-plane';
import { Member } from '@berth/raft-store';
import { freePort } from '@berth/raft-store/dist/testing';
import { tempDir } from '../support/berthd';

const tmp = tempDir('peer-tls');
const ca = createCertificateAuthority({ commonName: 'store CA', validDays: 1 });
const other = createCertificateAuthority({ commonName: 'someone else', validDays: 1 });
const certs = [1, 2, 3].map((i) => issueCertificate(ca, { commonName: `m${i}`, ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' }));
const stranger = issueCertificate(other, { commonName: 'stranger', ipAddresses: ['127.0.0.1'], validDays: 1, usage: 'server-and-client' });
const members: Member[] = [];
let peerPorts: number[] = [];

beforeAll(async () => {
  peerPorts = [await freePort(), await freePort(), await freePort()];
  const clientPorts = [await freePort(), await freePort(), await freePort()];
  const bootstrap = [0, 1, 2].map((i) => ({ id: i + 1, address: `127.0.0.1:${peerPorts[i]}`, clientAddress: `127.0.0.1:${clientPorts[i]}` }));
  for (let i = 0; i < 3; i++) {
    const c = certs[i]!;
    members.push(await Member.start({
      id: i + 1, clusterId: 'peer-tls', dataDir: path.join(tmp.dir, `m${i + 1}`), peerAddress: bootstrap[i]!.address, clientAddress: bootstrap[i]!.clientAddress,
      bootstrap, node: { tickMs: 20 },
      peerTls: { ca: ca.certPem, cert: c.certPem, key: c.keyPem },
      clientTls: { key: c.keyPem, cert: c.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    }));
  }
});

afterAll(async () => {
  for (const m of members) await m.stop();
  tmp.remove();
});

/** A TLS handshake with the member port: 'ok' or the error that ended it. */
function handshake(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], ...opts });
    s.on('secureConnect', () => {
      // TLS 1.3: the server judges the client's certificate after the handshake; a refusal comes as an alert.
      s.once('data', () => undefined);
      setTimeout(() => { resolve(s.destroyed ? 'closed' : 'ok'); s.destroy(); }, 300);
    });
    s.on('error', (e) => { resolve(e.message); s.destroy(); });
    s.on('close', () => resolve('closed'));
  });
}

describe('member port over mutual TLS', () => {
  it('elects a leader and replicates among members with certificates of the CA', async () => {
    const deadline = Date.now() + 15_000;
    while (!members.some((m) => m.node.isLeader) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const leader = members.find((m) => m.node.isLeader)!;
    expect(leader).toBeDefined();
    await leader.node.propose({ put: { key: Buffer.from('k'), value: Buffer.from('over tls') } });
    for (const m of members) {
      await m.node.waitApplied(leader.node.status().commitIndex, 10_000);
      const r = await m.node.serializableRead({ key: Buffer.from('k') });
      expect(r.kvs[0]?.value.toString()).toBe('over tls');
    }
  });

  it('refuses a peer with a stranger\'s certificate, with none, or speaking plain TCP', async () => {
    const port = peerPorts[0]!;
    expect(await handshake(port, { ca: ca.certPem, cert: certs[1]!.certPem, key: certs[1]!.keyPem })).toBe('ok');
    expect(await handshake(port, { ca: ca.certPem, cert: stranger.certPem, key: stranger.keyPem })).not.toBe('ok');
    expect(await handshake(port, { ca: ca.certPem })).not.toBe('ok');
    // Plain TCP: the HTTP/2 preface is not a TLS ClientHello; the server closes the connection.
    const plain = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      let got = 0;
      s.on('data', (d) => { got += d.length; });
      s.on('close', () => resolve(`closed after ${got} bytes`));
      s.on('error', () => undefined);
      setTimeout(() => { resolve('still open'); s.destroy(); }, 3000);
    });
    expect(plain).toMatch(/^closed/);
  });
});
