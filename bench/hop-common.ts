/**
 * What transport-hop.ts (the sending half of a member-transport hop) and transport-recv.ts
 * (the receiving half) share: stamped messages, a loop kept busy with echo connections, the
 * grpc-js and plain-socket receivers, the child-process report and the printing.
 */
import type { ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';

const ident = (b: Buffer): Buffer => b;

/** A client-streaming method on raw bytes. */
export function streamMethod(path: string): grpc.MethodDefinition<Buffer, Buffer> {
  return { path, requestStream: true, responseStream: false, requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident };
}

export const MESSAGE_BYTES = 300;
const abs = (): number => performance.timeOrigin + performance.now();

/** A message carrying its send time (absolute, so another process can read it). */
export function stamped(): Buffer {
  const b = Buffer.alloc(MESSAGE_BYTES);
  b.writeDoubleLE(abs(), 0);
  return b;
}

/** ms since a stamped message was made. */
export const latencyOf = (m: Buffer, offset = 0): number => abs() - m.readDoubleLE(offset);

export function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

export const quantile = (a: readonly number[], p: number): number => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))] ?? NaN;

export const describe = (a: readonly number[]): string =>
  `n ${a.length} p50 ${quantile(a, 0.5).toFixed(3)} p90 ${quantile(a, 0.9).toFixed(3)} p99 ${quantile(a, 0.99).toFixed(3)} ms`;

/** Keeps this process's poll phase busy: `noise` local echo connections, each callback spinning `busyUs` µs. Returns the stop. */
export async function busyLoop(noise: number, busyUs: number): Promise<() => void> {
  const spin = (): void => {
    const until = performance.now() + busyUs / 1000;
    while (performance.now() < until) { /* a callback's work */ }
  };
  const echo = net.createServer((c) => {
    c.on('data', (d: Buffer) => { spin(); c.write(d); });
    c.on('error', () => undefined);
  });
  await new Promise<void>((res) => echo.listen(0, '127.0.0.1', () => res()));
  const conns: net.Socket[] = [];
  for (let i = 0; i < noise; i++) {
    const c = net.connect((echo.address() as net.AddressInfo).port, '127.0.0.1');
    c.on('data', (d: Buffer) => { spin(); c.write(d); });
    c.on('connect', () => c.write(Buffer.alloc(64)));
    c.on('error', () => undefined);
    conns.push(c);
  }
  return () => {
    for (const c of conns) c.destroy();
    echo.close();
  };
}

/** A grpc-js server whose client-streaming `method` notes each message's latency. Resolves to its port. */
export function grpcJsReceiver(method: grpc.MethodDefinition<Buffer, Buffer>, onLatency: (ms: number) => void): Promise<number> {
  const s = new grpc.Server();
  s.addService({ S: method }, {
    S: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      call.on('data', (m: Buffer) => onLatency(latencyOf(m)));
      call.on('end', () => cb(null, Buffer.alloc(0)));
      call.on('error', () => undefined);
    },
  });
  return new Promise((res, rej) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
}

/** A plain-socket server reading stamped messages back to back. Resolves to its port. */
export async function tcpReceiver(onLatency: (ms: number) => void): Promise<number> {
  const srv = net.createServer((c) => {
    c.setNoDelay(true);
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= MESSAGE_BYTES) {
        onLatency(latencyOf(buf));
        buf = buf.subarray(MESSAGE_BYTES);
      }
    });
    c.on('error', () => undefined);
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  return (srv.address() as net.AddressInfo).port;
}

/** A plain-socket client, connected. */
export async function tcpSender(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.setNoDelay(true);
  s.on('error', () => undefined);
  await new Promise<void>((res) => s.once('connect', () => res()));
  return s;
}

/** The receiving child: answers 'report' with `report` and exits. */
export function serveReport(report: unknown): void {
  process.on('message', (m) => {
    if (m === 'report') process.send!({ report }, () => process.exit(0));
  });
}

/** Asks the receiving child for its report. */
export function askReport<T>(child: ChildProcess): Promise<T> {
  return new Promise((res) => {
    child.once('message', (m) => res((m as { report: T }).report));
    child.send('report');
  });
}
