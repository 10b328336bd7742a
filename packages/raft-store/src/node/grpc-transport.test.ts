import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { RaftMessage__Output } from '@berth/proto';
import type { Message } from '../core/messages';
import type { MemberRecord } from '../kv/types';
import { GrpcH2Server } from '../api/h2/grpc-server';
import { EventEmitter } from 'node:events';
import { fromWire, GrpcTransport, iterateCall, toWire } from './grpc-transport';
import type { StreamCall } from '../api/h2/grpc-server';
import { RaftNode } from './raft-node';
import { freePort } from '../testing';

const b = (s: string): Buffer => Buffer.from(s);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-test-grpc-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('wire mapping', () => {
  it('round-trips every field the core uses', () => {
    const m: Message = {
      type: 'MsgSnap', from: 1, to: 2, term: 7, logTerm: 6, index: 100, commit: 99, reject: false, rejectHint: 0, context: 'ctx-1',
      entries: [
        { index: 1, term: 1, type: 'conf-change', data: new Uint8Array(), confChange: { type: 'promote-learner', nodeId: 4 } },
        { index: 2, term: 1, type: 'normal', data: Buffer.from('payload'), clientId: 'c', seq: 0 },
      ],
      snapshot: { metadata: { index: 90, term: 5, confState: { voters: [1, 2, 3], learners: [4] } }, data: new Uint8Array() },
    };
    const w = toWire('cl', m);
    // Through protobuf for real, with the serializers grpc-js uses on the wire.
    const method = loadBerthV1().RaftTransport.service.Stream;
    const bytes = method.requestSerialize({ messages: [w] });
    const decoded = method.requestDeserialize(bytes) as { messages: RaftMessage__Output[] };
    const back = fromWire(decoded.messages[0]!);
    expect(back.type).toBe('MsgSnap');
    expect(back.entries[0]!.confChange).toEqual({ type: 'promote-learner', nodeId: 4 });
    expect([back.entries[1]!.clientId, back.entries[1]!.seq]).toEqual(['c', 0]);
    expect(back.snapshot!.metadata).toEqual(m.snapshot!.metadata);
    expect(back.context).toBe('ctx-1');
  });
});

/** The member port's two servers: grpc-js (berthd's) and GrpcH2Server (a raft-store member's). */
type Kind = 'grpc-js' | 'h2';
const KINDS: Kind[] = ['grpc-js', 'h2'];

interface Srv {
  server: grpc.Server | GrpcH2Server;
  bind(port: number): Promise<number>;
  shutdown(): void;
}

function makeServer(kind: Kind): Srv {
  if (kind === 'h2') {
    const server = new GrpcH2Server({ maxReceiveMessageLength: 64 << 20 });
    return { server, bind: (port) => server.listen(`127.0.0.1:${port}`), shutdown: () => server.forceShutdown() };
  }
  const server = new grpc.Server();
  return {
    server,
    bind: (port) => new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p)))),
    shutdown: () => server.forceShutdown(),
  };
}

interface Member {
  id: number;
  port: number;
  srv: Srv;
  node: RaftNode;
}

async function startMember(kind: Kind, id: number, port: number, members: MemberRecord[], clusterId = 'grpc-test', extra: { snapshotEntries?: number; keepEntries?: number } = {}): Promise<Member> {
  const srv = makeServer(kind);
  const transport = new GrpcTransport({ id, clusterId, server: srv.server, credentials: grpc.credentials.createInsecure() });
  const bound = await srv.bind(port);
  const node = await RaftNode.start({ id, clusterId, dataDir: path.join(root, `${clusterId}-${kind}`, `m${id}`), transport, bootstrap: members, tickMs: 20, ...extra });
  return { id, port: bound, srv, node };
}

async function stopMember(m: Member): Promise<void> {
  await m.node.stop();
  m.srv.shutdown();
}

async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  return ports;
}

async function leaderOf(ms: Member[], timeoutMs = 10_000): Promise<Member> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = ms.filter((m) => m.node.isLeader);
    if (l.length === 1) return l[0]!;
    if (Date.now() > deadline) throw new Error('no leader');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(KINDS)('RaftNode over gRPC on loopback (member port: %s)', (kind) => {
  it('replicates, fails over, and catches a returning member up with a streamed snapshot', async () => {
    const ports = await freePorts(3);
    const members = ports.map((port, i) => ({ id: i + 1, address: `127.0.0.1:${port}` }));
    const ms: Member[] = [];
    try {
      for (const rec of members) ms.push(await startMember(kind, rec.id, ports[rec.id - 1]!, members, 'grpc-test', { snapshotEntries: 100, keepEntries: 10 }));
      let leader = await leaderOf(ms);
      for (let i = 0; i < 20; i++) await leader.node.propose({ put: { key: b(`k${i}`), value: b(`v${i}`) } });
      // A follower goes away; the other two commit enough to compact the log past it.
      const gone = ms.find((m) => m !== leader)!;
      await stopMember(gone);
      ms.splice(ms.indexOf(gone), 1);
      for (let i = 20; i < 300; i++) await leader.node.propose({ put: { key: b(`k${i}`), value: b(`v${i}`) } });
      await new Promise((r) => setTimeout(r, 200));
      expect(leader.node.status().firstIndex).toBeGreaterThan(50);
      const back = await startMember(kind, gone.id, gone.port, members, 'grpc-test', { snapshotEntries: 100, keepEntries: 10 });
      ms.push(back);
      await back.node.waitApplied(leader.node.status().commitIndex, 10_000);
      expect(back.node.status().metrics.snapshotsInstalled).toBeGreaterThanOrEqual(1);
      expect((await back.node.serializableRead({ key: b('k'), rangeEnd: b('l') })).count).toBe(300);
      // The leader stops; the other two elect a new one and keep every write.
      await stopMember(leader);
      ms.splice(ms.indexOf(leader), 1);
      leader = await leaderOf(ms);
      await leader.node.propose({ put: { key: b('z'), value: b('1') } });
      expect((await leader.node.read({ key: b('k'), rangeEnd: b('l') })).count).toBe(300);
    } finally {
      for (const m of ms) await stopMember(m);
    }
  });

  it('drops messages that carry another cluster\'s id', async () => {
    const ports = await freePorts(2);
    const a = await startMember(kind, 1, ports[0]!, [{ id: 1, address: `127.0.0.1:${ports[0]}` }, { id: 2, address: `127.0.0.1:${ports[1]}` }], 'cluster-a');
    const b2 = await startMember(kind, 2, ports[1]!, [{ id: 1, address: `127.0.0.1:${ports[0]}` }, { id: 2, address: `127.0.0.1:${ports[1]}` }], 'cluster-b');
    try {
      await new Promise((r) => setTimeout(r, 1500));
      // Neither can win an election: the other drops its votes.
      expect(a.node.isLeader || b2.node.isLeader).toBe(false);
      expect((a.node.transport as GrpcTransport).foreignMessages).toBeGreaterThan(0);
    } finally {
      await stopMember(a);
      await stopMember(b2);
    }
  });
});

describe.each(KINDS)('a peer\'s stream to us (member port: %s)', (kind) => {
  it('is not reported when it ends normally (the sender closed it or moved its peer)', async () => {
    const [portB] = await freePorts(1);
    const srv = makeServer(kind);
    const t = new GrpcTransport({ id: 2, clusterId: 'end-test', server: srv.server, credentials: grpc.credentials.createInsecure() });
    const events: string[] = [];
    t.listen({ message: (m) => events.push(`message from ${m.from}`), unreachable: (to) => events.push(`unreachable ${to}`), snapshot: () => Promise.resolve(), forward: () => Promise.resolve(Buffer.alloc(0)) });
    await srv.bind(portB!);
    const sender = new GrpcTransport({ id: 1, clusterId: 'end-test', server: new grpc.Server(), credentials: grpc.credentials.createInsecure() });
    sender.listen({ message: () => undefined, unreachable: () => undefined, snapshot: () => Promise.resolve(), forward: () => Promise.resolve(Buffer.alloc(0)) });
    const hb: Message = { type: 'MsgHeartbeat', from: 1, to: 2, term: 3, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
    try {
      for (const end of [(): void => sender.setPeer(2, `localhost:${portB}`), (): Promise<void> => sender.close()]) {
        if (events.length === 0) sender.setPeer(2, `127.0.0.1:${portB}`);
        const before = events.length;
        const until = Date.now() + 10_000;
        while (events.length === before && Date.now() < until) {
          sender.send([hb]);
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(events[events.length - 1]).toBe('message from 1');
        await end();
        await new Promise((r) => setTimeout(r, 300));
        expect(events.filter((e) => e.startsWith('unreachable'))).toEqual([]);
      }
    } finally {
      await sender.close();
      await t.close();
      srv.shutdown();
    }
  });
});

describe.each(KINDS)('a peer whose process dies (member port: %s)', (kind) => {
  it('is reported unreachable when its stream to us breaks, after the last message it carried (kill -9 of a real process)', async () => {
    const [portA, portB] = await freePorts(2);
    const srv = makeServer(kind);
    const t = new GrpcTransport({ id: 2, clusterId: 'kill-test', server: srv.server, credentials: grpc.credentials.createInsecure() });
    const events: string[] = [];
    t.listen({ message: (m) => { if (events[events.length - 1] !== `message from ${m.from}`) events.push(`message from ${m.from}`); }, unreachable: (to) => events.push(`unreachable ${to}`), snapshot: () => Promise.resolve(), forward: () => Promise.resolve(Buffer.alloc(0)) });
    await srv.bind(portB!);
    // Member 1 in a child process: sends a heartbeat to member 2 every 10 ms. Member 2 sends
    // nothing back, so only the broken incoming stream can tell it.
    const script = `
      const grpc = require(${JSON.stringify(require.resolve('@grpc/grpc-js'))});
      const { GrpcTransport } = require(${JSON.stringify(path.join(__dirname, 'grpc-transport.js'))});
      const server = new grpc.Server();
      const t = new GrpcTransport({ id: 1, clusterId: 'kill-test', server, credentials: grpc.credentials.createInsecure() });
      t.listen({ message() {}, unreachable() {} });
      server.bindAsync('127.0.0.1:${portA}', grpc.ServerCredentials.createInsecure(), () => {
        t.setPeer(2, '127.0.0.1:${portB}');
        setInterval(() => t.send([{ type: 'MsgHeartbeat', from: 1, to: 2, term: 3, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 }]), 10);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      const until = Date.now() + 10_000;
      while (!events.includes('message from 1') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(events).toContain('message from 1');
      child.kill('SIGKILL');
      const killedAt = Date.now();
      while (!events.includes('unreachable 1') && Date.now() < killedAt + 2_000) await new Promise((r) => setTimeout(r, 5));
      expect(events[events.length - 1]).toBe('unreachable 1');
      expect(Date.now() - killedAt).toBeLessThan(1_000);
    } finally {
      child.kill('SIGKILL');
      await t.close();
      srv.shutdown();
    }
  });
});

describe('a snapshot sent to a member port framed by hand (GrpcH2Server)', () => {
  it('iterateCall pauses the call while highWater messages wait, and resumes it as they are taken', async () => {
    const call = Object.assign(new EventEmitter(), { metadata: new grpc.Metadata(), cancelled: false, paused: false, write: () => undefined, end: () => undefined });
    Object.assign(call, { pause: () => { call.paused = true; }, resume: () => { call.paused = false; } });
    const it = iterateCall<number>(call as unknown as StreamCall<unknown>, 3);
    for (let i = 0; i < 5; i++) call.emit('data', i);
    expect(call.paused).toBe(true);
    expect((await it.next()).value).toBe(0);
    expect((await it.next()).value).toBe(1);
    expect(call.paused).toBe(true); // 3 still waiting: highWater
    expect((await it.next()).value).toBe(2);
    expect(call.paused).toBe(false); // 2 waiting
    expect((await it.next()).value).toBe(3);
    expect((await it.next()).value).toBe(4);
    const later = it.next(); // nothing waiting: resolves when the stream ends
    call.emit('end');
    expect((await later).done).toBe(true);
    const cancelled = Object.assign(new EventEmitter(), { pause: () => undefined, resume: () => undefined });
    const it2 = iterateCall<number>(cancelled as unknown as StreamCall<unknown>);
    const pending = it2.next();
    cancelled.emit('cancelled');
    await expect(pending).rejects.toThrow('cancelled');
  });

  it('arrives whole and checked when the receiver installs it slower than the network sends it', async () => {
    const [portA, portB] = await freePorts(2);
    const recv = makeServer('h2');
    const t = new GrpcTransport({ id: 2, clusterId: 'snap-test', server: recv.server, credentials: grpc.credentials.createInsecure() });
    let received = 0;
    const hash = require('node:crypto').createHash('sha256');
    t.listen({
      message: () => undefined, unreachable: () => undefined, forward: () => Promise.resolve(Buffer.alloc(0)),
      snapshot: async (_m, data) => {
        for await (const chunk of data) {
          received += chunk.length;
          hash.update(chunk);
          await new Promise((r) => setTimeout(r, 2)); // a slow install
        }
      },
    });
    await recv.bind(portB!);
    const send = makeServer('h2');
    const sender = new GrpcTransport({ id: 1, clusterId: 'snap-test', server: send.server, credentials: grpc.credentials.createInsecure(), snapshotChunkBytes: 64 << 10 });
    sender.listen({ message: () => undefined, unreachable: () => undefined, snapshot: () => Promise.resolve(), forward: () => Promise.resolve(Buffer.alloc(0)) });
    await send.bind(portA!);
    sender.setPeer(2, `127.0.0.1:${portB}`);
    const blob = require('node:crypto').randomBytes(6 << 20) as Buffer;
    async function* data(): AsyncIterable<Buffer> {
      for (let o = 0; o < blob.length; o += 1 << 20) yield blob.subarray(o, o + (1 << 20));
    }
    const m: Message = { type: 'MsgSnap', from: 1, to: 2, term: 2, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, snapshot: { metadata: { index: 10, term: 2, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array() } };
    try {
      await sender.sendSnapshot(m, data());
      expect(received).toBe(blob.length);
      expect(hash.digest('hex')).toBe(require('node:crypto').createHash('sha256').update(blob).digest('hex'));
    } finally {
      await sender.close();
      await t.close();
      send.shutdown();
      recv.shutdown();
    }
  });
});
