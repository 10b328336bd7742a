import * as grpc from '@grpc/grpc-js';
import { createCertificateAuthority, fingerprint, issueCertificate, KeyPairPem } from './certs';
import { channelCredentials, channelOptions, MemberPki, peerCertificateFingerprint, serverCredentials } from './credentials';

// A tiny service with identity serializers: the server answers with the fingerprint of the
// client certificate it saw.
const identity = (b: Buffer): Buffer => b;
const service: grpc.ServiceDefinition = {
  whoAmI: {
    path: '/berth.test.Pki/WhoAmI',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const Client = grpc.makeGenericClientConstructor(service, 'Pki');
type WhoAmI = (req: Buffer, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void) => void;

const pkiOf = (ca: KeyPairPem, cert: KeyPairPem): MemberPki => ({ caPem: ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem });

describe('gRPC mutual TLS with member certificates', () => {
  let ca: KeyPairPem;
  let otherCa: KeyPairPem;
  let serverCert: KeyPairPem;
  let memberCert: KeyPairPem;
  let apiClientCert: KeyPairPem;
  let otherMemberCert: KeyPairPem;
  let server: grpc.Server;
  let port = 0;
  let port6: number | null = null;
  let served = 0; // calls that reached the handler
  const clients: grpc.Client[] = [];
  const servers: grpc.Server[] = [];

  beforeAll(async () => {
    ca = createCertificateAuthority({ commonName: 'berth-ca', validDays: 30 });
    otherCa = createCertificateAuthority({ commonName: 'berth-ca', validDays: 30 });
    serverCert = issueCertificate(ca, { commonName: 'm1', ipAddresses: ['127.0.0.1', '::1'], validDays: 1, usage: 'server-and-client' });
    memberCert = issueCertificate(ca, { commonName: 'm2', ipAddresses: ['127.0.0.2'], validDays: 1, usage: 'server-and-client' });
    apiClientCert = issueCertificate(ca, { commonName: 'operator', validDays: 1, usage: 'client' });
    otherMemberCert = issueCertificate(otherCa, { commonName: 'm2', ipAddresses: ['127.0.0.2'], validDays: 1, usage: 'server-and-client' });

    server = new grpc.Server();
    server.addService(service, {
      whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        served += 1;
        cb(null, Buffer.from(peerCertificateFingerprint(call) ?? 'none'));
      },
    });
    const creds = serverCredentials(pkiOf(ca, serverCert));
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    port6 = await new Promise<number | null>((resolve) => server.bindAsync('[::1]:0', creds, (err, p) => resolve(err ? null : p)));
  });

  afterAll(() => {
    for (const c of clients) c.close();
    server?.forceShutdown();
    for (const s of servers) s.forceShutdown();
  });

  function call(target: string, creds: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): Promise<string> {
    const client = new Client(target, creds, options);
    clients.push(client);
    const whoAmI = (client as unknown as { whoAmI: WhoAmI }).whoAmI.bind(client);
    return new Promise((resolve, reject) =>
      whoAmI(Buffer.alloc(0), { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res?.toString() ?? ''))),
    );
  }

  it('lets a member with a certificate from the same CA in, and the server sees its fingerprint', async () => {
    expect(await call(`127.0.0.1:${port}`, channelCredentials(pkiOf(ca, memberCert)))).toBe(fingerprint(memberCert.certPem));
  });

  it('lets a client-only certificate from the CA in', async () => {
    const creds = grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(apiClientCert.keyPem), Buffer.from(apiClientCert.certPem));
    expect(await call(`127.0.0.1:${port}`, creds)).toBe(fingerprint(apiClientCert.certPem));
  });

  it('checks the server by IPv6 address too', async () => {
    if (port6 === null) {
      console.warn('no ::1 on this host: IPv6 dial not tested');
      return;
    }
    expect(await call(`[::1]:${port6}`, channelCredentials(pkiOf(ca, memberCert)))).toBe(fingerprint(memberCert.certPem));
  });

  it('refuses a client with no client certificate', async () => {
    const before = served;
    const err = await call(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(ca.certPem))).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(String((err as grpc.ServiceError).details)).toMatch(/certificate required/); // the server's TLS alert
    expect(served).toBe(before);
  });

  it('refuses a client whose certificate is from another CA', async () => {
    // It trusts our CA (so it would accept the server) but presents another cluster's member certificate.
    const creds = grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(otherMemberCert.keyPem), Buffer.from(otherMemberCert.certPem));
    const before = served;
    await expect(call(`127.0.0.1:${port}`, creds)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(served).toBe(before);
    // the same client with a certificate from our CA gets in
    const good = grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(memberCert.keyPem), Buffer.from(memberCert.certPem));
    expect(await call(`127.0.0.1:${port}`, good)).toBe(fingerprint(memberCert.certPem));
  });

  it('makes a client that expects another CA refuse the server', async () => {
    const err = await call(`127.0.0.1:${port}`, channelCredentials(pkiOf(otherCa, otherMemberCert))).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE });
    // OpenSSL finds the other CA by name, then the chain does not verify
    expect(String((err as grpc.ServiceError).details)).toMatch(/self-signed certificate in certificate chain|unable to verify|unable to get local issuer/);
  });

  it('really checks the server identity: a server whose certificate lacks the dialled address is refused', async () => {
    // A second member server on 127.0.0.1 whose certificate (same CA) says it is 10.99.99.99.
    const elsewhere = issueCertificate(ca, { commonName: 'm3', ipAddresses: ['10.99.99.99'], validDays: 1, usage: 'server-and-client' });
    const second = new grpc.Server();
    servers.push(second);
    second.addService(service, { whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from('m3')) });
    const port2 = await new Promise<number>((resolve, reject) =>
      second.bindAsync('127.0.0.1:0', serverCredentials(pkiOf(ca, elsewhere)), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const err = await call(`127.0.0.1:${port2}`, channelCredentials(pkiOf(ca, memberCert))).catch((e: grpc.ServiceError) => e);
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(String((err as grpc.ServiceError).details)).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list: 10\.99\.99\.99/);
    // with the name override set to the address the certificate has, the same dial works
    const ok = await call(`127.0.0.1:${port2}`, channelCredentials(pkiOf(ca, memberCert)), channelOptions({ serverName: '10.99.99.99' }));
    expect(ok).toBe('m3');
  });

  it('refuses a member PKI whose key does not belong to its certificate', () => {
    expect(() => serverCredentials({ caPem: ca.certPem, certPem: serverCert.certPem, keyPem: memberCert.keyPem })).toThrow(/keyPem does not match certPem/);
    expect(() => channelCredentials({ caPem: 'x', certPem: serverCert.certPem, keyPem: serverCert.keyPem })).toThrow(/caPem: not PEM/);
    expect(() => channelCredentials({ caPem: otherCa.certPem, certPem: memberCert.certPem, keyPem: memberCert.keyPem })).toThrow(
      /certPem does not verify against caPem: not issued by this CA/,
    );
    expect(() => channelCredentials({ caPem: memberCert.keyPem, certPem: memberCert.certPem, keyPem: memberCert.keyPem })).toThrow(
      /caPem: PEM block 1 is PRIVATE KEY, expected CERTIFICATE/,
    );
    // a CA bundle (e.g. while the CA is rotated) is fine when one of them issued the certificate
    expect(channelCredentials({ caPem: otherCa.certPem + ca.certPem, certPem: memberCert.certPem, keyPem: memberCert.keyPem })).toBeDefined();
    expect(channelOptions()).toEqual({});
    expect(() => channelOptions({ serverName: '' })).toThrow(/serverName/);
  });
});
