/**
 * The receiving half of a member-transport hop: one-way latency of messages sent at once
 * (H2ClientStream, or a plain socket) to a receiver whose event loop is busy, received by a
 * grpc-js server stream (as GrpcTransport's Stream on the member port today), by raft-store's
 * GrpcH2Server (api/h2), and by a plain socket. Companion of transport-hop.ts (the sending
 * half); a diagnostic for the member transport's next step (bench/README, session 15).
 *
 *   node bench/dist/transport-recv.js [--noise 20] [--busy-us 50] [--messages 3000]
 */
import { fork } from 'node:child_process';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { H2ClientStream } from '@berth/raft-store/dist/api/h2/client-stream';
import { GrpcH2Server } from '@berth/raft-store/dist/api/h2/grpc-server';
import type { StreamCall } from '@berth/raft-store/dist/api/h2/grpc-server';

const ident = (b: Buffer): Buffer => b;
const M = {
  path: '/bench.Recv/Stream', requestStream: true, responseStream: false,
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

type Report = Record<'grpcjs' | 'h2' | 'tcp', number[]>;

async function receiver(): Promise<void> {
  const noiseN = arg('--noise', 20);
  const busyUs = arg('--busy-us', 50);
  const lat: Report = { grpcjs: [], h2: [], tcp: [] };
  // The busy loop is here: echo connections whose callbacks spin.
  const echo = net.createServer((c) => {
    c.on('data', (d: Buffer) => { spin(busyUs); c.write(d); });
    c.on('error', () => undefined);
  });
  await new Promise<void>((res) => echo.listen(0, '127.0.0.1', () => res()));
  for (let i = 0; i < noiseN; i++) {
    const c = net.connect((echo.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('data', (d: Buffer) => { spin(busyUs); c.write(d); });
    c.on('connect', () => c.write(Buffer.alloc(64)));
    c.on('error', () => undefined);
  }
  const g = new grpc.Server();
  g.addService({ S: M }, {
    S: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      call.on('data', (m: Buffer) => lat.grpcjs.push(abs() - m.readDoubleLE(0)));
      call.on('end', () => cb(null, Buffer.alloc(0)));
      call.on('error', () => undefined);
    },
  });
  const gport = await new Promise<number>((res, rej) => g.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const h = new GrpcH2Server();
  h.addService({ S: M }, {
    S: (call: StreamCall<Buffer>) => {
      call.on('data', (m: Buffer) => lat.h2.push(abs() - m.readDoubleLE(0)));
      call.on('end', () => call.write(Buffer.alloc(0)));
      call.on('end', () => call.end());
    },
  });
  const hport = await h.listen('127.0.0.1:0');
  const t = net.createServer((c) => {
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
  await new Promise<void>((res) => t.listen(0, '127.0.0.1', () => res()));
  process.send!({ gport, hport, tport: (t.address() as net.AddressInfo).port });
  process.on('message', (m) => {
    if (m === 'report') process.send!({ report: lat }, () => process.exit(0));
  });
}

async function sender(): Promise<void> {
  const messages = arg('--messages', 3000);
  const child = fork(__filename, ['--receiver', ...process.argv.slice(2)]);
  const { gport, hport, tport } = await new Promise<{ gport: number; hport: number; tport: number }>((res) => child.once('message', (m) => res(m as { gport: number; hport: number; tport: number })));
  const toG = new H2ClientStream({ address: `127.0.0.1:${gport}`, path: M.path, onClose: () => undefined });
  const toH = new H2ClientStream({ address: `127.0.0.1:${hport}`, path: M.path, onClose: () => undefined });
  const tcp = net.connect(tport, '127.0.0.1');
  tcp.setNoDelay(true);
  tcp.on('error', () => undefined);
  await new Promise<void>((res) => tcp.once('connect', () => res()));
  await new Promise((r) => setTimeout(r, 200));
  // Rotated, so that no path always goes first.
  const sends = [
    (): void => { const b = Buffer.alloc(300); b.writeDoubleLE(abs(), 0); toG.write(b); },
    (): void => { const b = Buffer.alloc(300); b.writeDoubleLE(abs(), 0); toH.write(b); },
    (): void => { const b = Buffer.alloc(300); b.writeDoubleLE(abs(), 0); tcp.write(b); },
  ];
  for (let n = 0; n < messages; n++) {
    await new Promise((r) => setTimeout(r, 1));
    for (let k = 0; k < 3; k++) sends[(n + k) % 3]!();
  }
  await new Promise((r) => setTimeout(r, 300));
  const lat = await new Promise<Report>((res) => {
    child.once('message', (m) => res((m as { report: Report }).report));
    child.send('report');
  });
  toG.destroy();
  toH.destroy();
  tcp.destroy();
  const fmt = (a: number[]): string => `n ${a.length} p50 ${q(a, 0.5).toFixed(3)} p90 ${q(a, 0.9).toFixed(3)} p99 ${q(a, 0.99).toFixed(3)} ms`;
  console.log(`one-way latency, receiver's poll phase busy (${arg('--noise', 20)} echo connections, ${arg('--busy-us', 50)} µs per callback), sent at once:`);
  console.log(`  received by a grpc-js server stream: ${fmt(lat.grpcjs)}`);
  console.log(`  received by GrpcH2Server (api/h2):   ${fmt(lat.h2)}`);
  console.log(`  received by a plain socket:          ${fmt(lat.tcp)}`);
  console.log(JSON.stringify({ bench: 'transport-recv', grpcjs: { p50: q(lat.grpcjs, 0.5), p99: q(lat.grpcjs, 0.99) }, h2: { p50: q(lat.h2, 0.5), p99: q(lat.h2, 0.99) }, tcp: { p50: q(lat.tcp, 0.5), p99: q(lat.tcp, 0.99) } }));
}

if (process.argv.includes('--receiver')) void receiver();
else void sender().catch((e: unknown) => { console.error(e); process.exit(1); });
