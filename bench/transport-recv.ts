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
import { H2ClientStream } from '@berth/raft-store/dist/api/h2/client-stream';
import { GrpcH2Server } from '@berth/raft-store/dist/api/h2/grpc-server';
import type { StreamCall } from '@berth/raft-store/dist/api/h2/grpc-server';
import { arg, askReport, busyLoop, describe, grpcJsReceiver, latencyOf, quantile as q, serveReport, stamped, streamMethod, tcpReceiver, tcpSender } from './hop-common';

const M = streamMethod('/bench.Recv/Stream');

type Report = Record<'grpcjs' | 'h2' | 'tcp', number[]>;

async function receiver(): Promise<void> {
  const lat: Report = { grpcjs: [], h2: [], tcp: [] };
  await busyLoop(arg('--noise', 20), arg('--busy-us', 50)); // the busy loop is the receiver's
  const gport = await grpcJsReceiver(M, (ms) => lat.grpcjs.push(ms));
  const h = new GrpcH2Server();
  h.addService({ S: M }, {
    S: (call: StreamCall<Buffer>) => {
      call.on('data', (m: Buffer) => lat.h2.push(latencyOf(m)));
      call.on('end', () => {
        call.write(Buffer.alloc(0));
        call.end();
      });
    },
  });
  const hport = await h.listen('127.0.0.1:0');
  const tport = await tcpReceiver((ms) => lat.tcp.push(ms));
  process.send!({ gport, hport, tport });
  serveReport(lat);
}

async function sender(): Promise<void> {
  const messages = arg('--messages', 3000);
  const child = fork(__filename, ['--receiver', ...process.argv.slice(2)]);
  const { gport, hport, tport } = await new Promise<{ gport: number; hport: number; tport: number }>((res) => child.once('message', (m) => res(m as { gport: number; hport: number; tport: number })));
  const toG = new H2ClientStream({ address: `127.0.0.1:${gport}`, path: M.path, onClose: () => undefined });
  const toH = new H2ClientStream({ address: `127.0.0.1:${hport}`, path: M.path, onClose: () => undefined });
  const tcp = await tcpSender(tport);
  await new Promise((r) => setTimeout(r, 200));
  // Rotated, so that no path always goes first.
  const sends = [(): void => toG.write(stamped()), (): void => toH.write(stamped()), (): void => { tcp.write(stamped()); }];
  for (let n = 0; n < messages; n++) {
    await new Promise((r) => setTimeout(r, 1));
    for (let k = 0; k < 3; k++) sends[(n + k) % 3]!();
  }
  await new Promise((r) => setTimeout(r, 300));
  const lat = await askReport<Report>(child);
  toG.destroy();
  toH.destroy();
  tcp.destroy();
  console.log(`one-way latency, receiver's poll phase busy (${arg('--noise', 20)} echo connections, ${arg('--busy-us', 50)} µs per callback), sent at once:`);
  console.log(`  received by a grpc-js server stream: ${describe(lat.grpcjs)}`);
  console.log(`  received by GrpcH2Server (api/h2):   ${describe(lat.h2)}`);
  console.log(`  received by a plain socket:          ${describe(lat.tcp)}`);
  console.log(JSON.stringify({ bench: 'transport-recv', grpcjs: { p50: q(lat.grpcjs, 0.5), p99: q(lat.grpcjs, 0.99) }, h2: { p50: q(lat.h2, 0.5), p99: q(lat.h2, 0.99) }, tcp: { p50: q(lat.tcp, 0.5), p99: q(lat.tcp, 0.99) } }));
}

if (process.argv.includes('--receiver')) void receiver();
else void sender().catch((e: unknown) => { console.error(e); process.exit(1); });
