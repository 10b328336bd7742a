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
import * as grpc from '@grpc/grpc-js';
import { arg, askReport, busyLoop, describe, grpcJsReceiver, quantile as q, serveReport, stamped, streamMethod, tcpReceiver, tcpSender } from './hop-common';

const M = streamMethod('/bench.Hop/Stream');
const ident = (b: Buffer): Buffer => b;

type Report = { grpc: number[]; tcp: number[] };

async function receiver(): Promise<void> {
  const lat: Report = { grpc: [], tcp: [] };
  const gport = await grpcJsReceiver(M, (ms) => lat.grpc.push(ms));
  const tport = await tcpReceiver((ms) => lat.tcp.push(ms));
  process.send!({ gport, tport });
  serveReport(lat);
}

async function sender(): Promise<void> {
  const noiseN = arg('--noise', 20);
  const busyUs = arg('--busy-us', 50);
  const messages = arg('--messages', 3000);
  const child = fork(__filename, ['--receiver']);
  const { gport, tport } = await new Promise<{ gport: number; tport: number }>((res) => child.once('message', (m) => res(m as { gport: number; tport: number })));
  const stopNoise = await busyLoop(noiseN, busyUs); // the busy loop is the sender's
  const client = new grpc.Client(`127.0.0.1:${gport}`, grpc.credentials.createInsecure());
  const call = client.makeClientStreamRequest(M.path, ident, ident, () => undefined);
  call.on('error', () => undefined);
  const tcp = await tcpSender(tport);
  for (let n = 0; n < messages; n++) {
    await new Promise<void>((res) => setTimeout(() => setImmediate(() => {
      // Written from a JS immediate, as the Ready loop writes: the grpc-js path first, so the
      // plain socket is never the one that waits behind it.
      call.write(stamped());
      tcp.write(stamped());
      res();
    }), 1));
  }
  await new Promise((r) => setTimeout(r, 300));
  const lat = await askReport<Report>(child);
  call.end();
  client.close();
  tcp.destroy();
  stopNoise();
  console.log(`one-way latency, sender's poll phase busy (${noiseN} echo connections, ${busyUs} µs per callback), written from a JS immediate:`);
  console.log(`  grpc-js client stream (node:http2): ${describe(lat.grpc)}`);
  console.log(`  plain TCP socket:                   ${describe(lat.tcp)}`);
  console.log(JSON.stringify({ bench: 'transport-hop', noise: noiseN, busyUs, grpc: { p50: q(lat.grpc, 0.5), p99: q(lat.grpc, 0.99) }, tcp: { p50: q(lat.tcp, 0.5), p99: q(lat.tcp, 0.99) } }));
}

if (process.argv.includes('--receiver')) void receiver();
else void sender().catch((e: unknown) => { console.error(e); process.exit(1); });
