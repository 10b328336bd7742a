import * as grpc from '@grpc/grpc-js';
import { installFastUnary } from './fast-unary';

// A unary method on raw bytes: request and response are opaque buffers.
const ident = (b: Buffer): Buffer => b;
const ECHO: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.Echo/Echo', requestStream: false, responseStream: false,
  requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident,
};

describe('installFastUnary', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let viaGrpcJs = 0;
  let viaFast = 0;

  beforeAll(async () => {
    server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    server.addService({ Echo: ECHO }, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => { viaGrpcJs++; cb(null, call.request); } });
    expect(installFastUnary(server, {
      '/test.Echo/Echo': {
        decode: (b) => Buffer.from(b),
        encode: (r) => r as Buffer,
        handle: async (req, md) => {
          viaFast++;
          const s = (req as Buffer).toString();
          if (s === 'fail') {
            throw Object.assign(new Error('no'), { code: 'NOT_LEADER', leaderId: 2, leaderAddress: '10.0.0.1:2379' });
          }
          return Buffer.from(`${s}|${String(md.get('x-test')[0] ?? '')}`);
        },
      },
    })).toBe(true);
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const call = (msg: string, md = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<{ err: grpc.ServiceError | null; res?: string }> =>
    new Promise((resolve) => client.makeUnaryRequest(ECHO.path, ident, ident, Buffer.from(msg), md, opts, (err, res) => resolve({ err, res: res?.toString() })));

  it('serves the method without grpc-js call objects, with the request metadata', async () => {
    const md = new grpc.Metadata();
    md.set('x-test', 'yes');
    const r = await call('hello', md);
    expect(r.err).toBeNull();
    expect(r.res).toBe('hello|yes');
    expect(viaFast).toBe(1);
    expect(viaGrpcJs).toBe(0);
    // Empty and large messages.
    expect((await call('')).res).toBe('|');
    const big = 'x'.repeat(300_000);
    expect((await call(big)).res).toBe(`${big}|`);
  });

  it('answers a failure with the status, message and metadata grpc-js would send', async () => {
    const r = await call('fail');
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.err?.details).toMatch(/etcdserver: not leader: no/);
    expect(r.err?.metadata.get('berth-leader-address')).toEqual(['10.0.0.1:2379']);
  });

  it('leaves compressed calls to grpc-js', async () => {
    const before = viaGrpcJs;
    const c2 = new grpc.Client(client.getChannel().getTarget().replace(/^dns:/, ''), grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const r = await new Promise<{ err: grpc.ServiceError | null; res?: string }>((resolve) => c2.makeUnaryRequest(ECHO.path, ident, ident, Buffer.from('z'), new grpc.Metadata(), {}, (err, res) => resolve({ err, res: res?.toString() })));
    c2.close();
    expect(r.err).toBeNull();
    expect(r.res).toBe('z');
    expect(viaGrpcJs).toBe(before + 1);
  });
});
