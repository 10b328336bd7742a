/**
 * One-way latency of a message written from a JS immediate (as raft-node's Ready loop writes
 * its messages) while the sender's event loop is busy, over a grpc-js client stream (node:http2,
 * as GrpcTransport) and over a plain TCP socket, side by side. A diagnostic for the member
 * transport (bench/README, session 15): node:http2 hands a session's socket write to a native
 * immediate, which runs before the JS immediates of a check phase, so a write made from a JS
 * immediate should leave only after the next poll phase.
 *
 *   node bench/dist/transport-hop.js [--noise 20] [--busy-us 50] [--messages 3000]
 *
 * The sender keeps `--noise` local echo connections going, each of whose callbacks spins
 * `--busy-us` µs (a loaded member's poll phase); every ~1 ms it writes one 300-byte message
 * carrying its send time (performance.timeOrigin + now) on each path; the receiver, a child
 * process, notes arrival times. Prints medians and tails of both, and a JSON line.
 */
import { fork } from 'node:child_process';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';

const ident = (b: Buffer): Buffer => b;
const M: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/bench.Hop/Stream', requestStream: true, responseStream: false,
  requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident,
};
const abs = (): number => performance.timeOrigin + performance.now();
const spin = (us: number): void => {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) { /* a callback's work */ }
};
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const q = (a: number[], p: number): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))] ?? NaN;

type Report = { grpc: number[]; tcp: number[] };

function receiver(): void {
  const lat: Report = { grpc: [], tcp: [] };
  const s = new grpc.Server();
  s.addService({ S: M }, {
    S: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      call.on('data', (m: Buffer) => lat.grpc.push(abs() - m.readDoubleLE(0)));
      call.on('end', () => cb(null, Buffer.alloc(0)));
      call.on('error', () => undefined);
    },
  });
  s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, gport) => {
    if (e) throw e;
    const srv = net.createServer((c) => {
      c.setNoDelay(true);
      let buf = Buffer.alloc(0);
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 300) {
          lat.tcp.push(abs() - buf.readDoubleLE(0));
          buf = buf.subarray(300);
        }
      });
      c.on('error', () => undefined);
    });
    srv.listen(0, '127.0.0.1', () => process.send!({ gport, tport: (srv.address() as net.AddressInfo).port }));
  });
  process.on('message', (m) => {
    if (m === 'report') process.send!({ report: lat }, () => process.exit(0));
  });
}

async function sender(): Promise<void> {
  const noiseN = arg('--noise', 20);
  const busyUs = arg('--busy-us', 50);
  const messages = arg('--messages', 3000);
  const child = fork(__filename, ['--receiver']);
  const { gport, tport } = await new Promise<{ gport: number; tport: number }>((res) => child.once('message', (m) => res(m as { gport: number; tport: number })));
  const echo = net.createServer((c) => {
    c.on('data', (d: Buffer) => { spin(busyUs); c.write(d); });
    c.on('error', () => undefined);
  });
  await new Promise<void>((res) => echo.listen(0, '127.0.0.1', () => res()));
  const noise: net.Socket[] = [];
  for (let i = 0; i < noiseN; i++) {
    const c = net.connect((echo.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('data', (d: Buffer) => { spin(busyUs); c.write(d); });
    c.on('connect', () => c.write(Buffer.alloc(64)));
    c.on('error', () => undefined);
    noise.push(c);
  }
  const client = new grpc.Client(`127.0.0.1:${gport}`, grpc.credentials.createInsecure());
  const call = client.makeClientStreamRequest(M.path, ident, ident, () => undefined);
  call.on('error', () => undefined);
  const tcp = net.connect(tport, '127.0.0.1');
  tcp.setNoDelay(true);
  tcp.on('error', () => undefined);
  await new Promise<void>((res) => tcp.once('connect', () => res()));
  for (let n = 0; n < messages; n++) {
    await new Promise<void>((res) => setTimeout(() => setImmediate(() => {
      // Written from a JS immediate, as the Ready loop writes: the grpc-js path first, so the
      // plain socket is never the one that waits behind it.
      const a = Buffer.alloc(300);
      a.writeDoubleLE(abs(), 0);
      call.write(a);
      const b = Buffer.alloc(300);
      b.writeDoubleLE(abs(), 0);
      tcp.write(b);
      res();
    }), 1));
  }
  await new Promise((r) => setTimeout(r, 300));
  const lat = await new Promise<Report>((res) => {
    child.once('message', (m) => res((m as { report: Report }).report));
    child.send('report');
  });
  call.end();
  client.close();
  tcp.destroy();
  for (const c of noise) c.destroy();
  echo.close();
  const fmt = (a: number[]): string => `n ${a.length} p50 ${q(a, 0.5).toFixed(3)} p90 ${q(a, 0.9).toFixed(3)} p99 ${q(a, 0.99).toFixed(3)} ms`;
  console.log(`one-way latency, sender's poll phase busy (${noiseN} echo connections, ${busyUs} µs per callback), written from a JS immediate:`);
  console.log(`  grpc-js client stream (node:http2): ${fmt(lat.grpc)}`);
  console.log(`  plain TCP socket:                   ${fmt(lat.tcp)}`);
  console.log(JSON.stringify({ bench: 'transport-hop', noise: noiseN, busyUs, grpc: { p50: q(lat.grpc, 0.5), p99: q(lat.grpc, 0.99) }, tcp: { p50: q(lat.tcp, 0.5), p99: q(lat.tcp, 0.99) } }));
}

if (process.argv.includes('--receiver')) receiver();
else void sender().catch((e: unknown) => { console.error(e); process.exit(1); });
