// H2ClientStream against grpc-js's server (node:http2, nghttp2: its SETTINGS, windows,
// dynamic-table response headers).
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { H2ClientStream } from './client-stream';

const ident = (b: Buffer): Buffer => b;
const M: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.C/Up', requestStream: true, responseStream: false,
  requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident,
};

let server: grpc.Server;
let port = 0;
const received: Buffer[] = [];

beforeAll(async () => {
  server = new grpc.Server({ 'grpc.max_receive_message_length': 8 << 20 });
  server.addService({ Up: M }, {
    Up: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const mine: Buffer[] = [];
      call.on('data', (m: Buffer) => mine.push(m));
      call.on('end', () => {
        received.push(...mine);
        if (mine.some((m) => m.toString() === 'refuse')) cb({ code: grpc.status.PERMISSION_DENIED, details: 'not you, 100%' });
        else cb(null, Buffer.from('ok'));
      });
      call.on('error', () => undefined);
    },
  });
  port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
});

afterAll(() => server.forceShutdown());

const run = (msgs: Buffer[], address = `127.0.0.1:${port}`): Promise<Error | undefined> => new Promise((resolve) => {
  const s = new H2ClientStream({ address, path: M.path, onClose: resolve });
  for (const m of msgs) s.write(m);
  s.end();
});

describe('H2ClientStream', () => {
  it('delivers messages in order, one far beyond the server\'s flow-control windows, and ends OK', async () => {
    received.length = 0;
    const big = Buffer.alloc(3 << 20, 7);
    const msgs = [Buffer.from('a'), big, ...Array.from({ length: 200 }, (_, i) => Buffer.from(`m${i}`)), Buffer.alloc(0)];
    expect(await run(msgs)).toBeUndefined();
    expect(received.length).toBe(msgs.length);
    expect(received[1]!.equals(big)).toBe(true);
    expect(received.slice(2, 202).map(String)).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    expect(received[202]!.length).toBe(0);
  });

  it('reports the status the server ends the call with', async () => {
    const err = await run([Buffer.from('refuse')]);
    expect(err?.message).toMatch(/ended the call with grpc-status 7: not you, 100%/);
  });

  it('reports a connection it cannot make, naming the address', async () => {
    const probe = new grpc.Server();
    const free = await new Promise<number>((res, rej) => probe.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    probe.forceShutdown();
    const err = await run([Buffer.from('x')], `127.0.0.1:${free}`);
    expect(err?.message).toMatch(new RegExp(`connection to 127\\.0\\.0\\.1:${free}`));
  });

  it('refuses an address that is not host:port', () => {
    expect(() => new H2ClientStream({ address: 'nowhere', path: M.path, onClose: () => undefined })).toThrow(/not host:port/);
  });
});

describe('H2ClientStream: a server that stops granting window', () => {
  it('gives the call up past maxPendingBytes waiting, saying so, instead of queueing for ever', async () => {
    // A server that reads everything but never sends SETTINGS or WINDOW_UPDATE: the default
    // windows (65,535 octets) are all the client may send.
    let got = 0;
    const srv = net.createServer((c) => { c.on('data', (d) => { got += d.length; }); c.on('error', () => undefined); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const p = (srv.address() as net.AddressInfo).port;
    try {
      let closed: Error | undefined;
      let closes = 0;
      const max = 8 << 20;
      const s = new H2ClientStream({ address: `127.0.0.1:${p}`, path: M.path, maxPendingBytes: max, onClose: (e) => { closes++; closed = e; } });
      const chunk = Buffer.alloc(1 << 20, 7);
      let n = 0;
      while (!closed && n < 200) { s.write(chunk); n++; }
      expect(closed?.message).toMatch(/the server took no more data \(window 0 \/ 0\) while \d+ octets waited/);
      expect(n).toBe(Math.floor(max / (chunk.length + 5)) + 2);
      s.write(chunk); // after the end: ignored
      expect(closes).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toBeLessThan(200_000); // the preface, SETTINGS, HEADERS and one window of data
    } finally {
      srv.close();
    }
  });
});
