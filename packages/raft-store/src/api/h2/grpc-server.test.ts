// GrpcH2Server against grpc-js's client (node:http2, nghttp2: Huffman, dynamic table, its own
// flow control) and against raw bytes that break the rules.
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { encodeHeaders } from './hpack';
import { GrpcH2Server, H2_ERRORS } from './grpc-server';
import type { MethodDef, StreamCall } from './grpc-server';

const ident = (b: Buffer): Buffer => b;
const def = (path: string, stream: boolean): MethodDef & grpc.MethodDefinition<Buffer, Buffer> => ({
  path, requestStream: stream, responseStream: stream,
  requestSerialize: ident, requestDeserialize: ident, responseSerialize: ident, responseDeserialize: ident,
});
const ECHO = def('/test.T/Echo', false);
const NEVER = def('/test.T/Never', false);
const CHAT = def('/test.T/Chat', true);
const FLOOD = def('/test.T/Flood', true);
const SINK = { ...def('/test.T/Sink', true), responseStream: false };
const STRICT = { ...def('/test.T/Strict', false), requestDeserialize: (b: Buffer): Buffer => { if (b.toString() === 'bad') throw new Error('not a request'); return b; } };

let server: GrpcH2Server;
let port = 0;
let client: grpc.Client;
const cancelled: string[] = [];
let neverCalls = 0;
let sinkBytes = 0;
let sinkCall: StreamCall<Buffer> | undefined;

beforeAll(async () => {
  server = new GrpcH2Server({
    maxReceiveMessageLength: 1 << 20,
    toStatus: (e) => {
      const md = new grpc.Metadata();
      md.set('x-why', 'because');
      return { code: grpc.status.UNAVAILABLE, details: `refused: ${(e as Error).message}`, metadata: md };
    },
  });
  server.addService({ Echo: ECHO, Never: NEVER, Chat: CHAT, Strict: STRICT, Flood: FLOOD, Sink: SINK }, {
    Sink: (call: StreamCall<Buffer>) => {
      // Counts what arrives; pauses at the first message, for the test to resume.
      sinkBytes = 0;
      call.on('data', (m: Buffer) => {
        sinkBytes += m.length;
        if (!sinkCall) { sinkCall = call; call.pause(); }
      });
      call.on('end', () => { call.write(Buffer.from(String(sinkBytes))); call.end(); });
    },
    Flood: (call: StreamCall<Buffer>) => {
      // 20 MiB of responses at once, whatever the client reads
      call.on('cancelled', () => cancelled.push('flood'));
      for (let i = 0; i < 20; i++) call.write(Buffer.alloc(1 << 20, i));
    },
    Echo: async (req: Buffer, md: grpc.Metadata) => {
      const s = req.toString();
      if (s === 'fail') throw new Error('no, ünïcode 100%');
      if (s.startsWith('big:')) return Buffer.alloc(Number(s.slice(4)), 'y');
      return Buffer.from(`${s}|${String(md.get('x-test')[0] ?? '')}|${md.get('x-bin-bin')[0]?.toString('hex') ?? ''}`);
    },
    Never: () => { neverCalls++; return new Promise(() => undefined); },
    Strict: async (req: Buffer) => req,
    Chat: (call: StreamCall<Buffer>) => {
      let n = 0;
      call.on('data', (m: Buffer) => {
        n++;
        if (m.toString() === 'stop') { call.end({ code: grpc.status.ABORTED, details: 'stopped by request' }); return; }
        call.write(Buffer.from(`${n}:${m.toString()}`));
      });
      // 'hold' calls stay open after the client's end, until it cancels them.
      call.on('end', () => { if (call.metadata.get('x-name')[0] !== 'hold') call.end(); });
      call.on('cancelled', () => cancelled.push(String(call.metadata.get('x-name')[0] ?? 'raw')));
    },
  });
  port = await server.listen('127.0.0.1:0');
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client.close();
  server.forceShutdown();
});

type Result = { err: grpc.ServiceError | null; res?: Buffer };
const unary = (c: grpc.Client, m: grpc.MethodDefinition<Buffer, Buffer>, msg: Buffer | string, md = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<Result> =>
  new Promise((resolve) => c.makeUnaryRequest(m.path, ident, ident, Buffer.from(msg), md, opts, (err, res) => resolve(res ? { err, res } : { err })));

describe('GrpcH2Server: unary calls', () => {
  it('answers with the handler\'s response and passes the request metadata, text and binary', async () => {
    const md = new grpc.Metadata();
    md.set('x-test', 'yes');
    md.set('x-bin-bin', Buffer.from([1, 2, 255]));
    const r = await unary(client, ECHO, 'hello', md);
    expect(r.err).toBeNull();
    expect(r.res!.toString()).toBe('hello|yes|0102ff');
    expect((await unary(client, ECHO, '')).res!.toString()).toBe('||');
  });

  it('sends a response larger than the client\'s windows, waiting for its WINDOW_UPDATEs', async () => {
    const r = await unary(client, ECHO, `big:${900_000}`);
    expect(r.err).toBeNull();
    expect(r.res!.length).toBe(900_000);
    expect(r.res!.every((b) => b === 0x79)).toBe(true);
  });

  it('takes a request of many frames and refuses one over maxReceiveMessageLength with RESOURCE_EXHAUSTED', async () => {
    const big = 'x'.repeat(700_000);
    expect((await unary(client, ECHO, big)).res!.toString()).toBe(`${big}||`);
    const r = await unary(client, ECHO, 'x'.repeat((1 << 20) + 1));
    expect(r.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(r.err?.details).toMatch(/1048577 octets for \/test\.T\/Echo, larger than the 1048576 allowed/);
    expect((await unary(client, ECHO, 'after')).res!.toString()).toBe('after||'); // the connection goes on
  });

  it('answers a rejection with the status, percent-encoded message and metadata from toStatus', async () => {
    const r = await unary(client, ECHO, 'fail');
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.err?.details).toBe('refused: no, ünïcode 100%');
    expect(r.err?.metadata.get('x-why')).toEqual(['because']);
  });

  it('names what it cannot serve: an unknown method, a request that does not decode', async () => {
    const r = await unary(client, def('/test.T/Nope', false), 'x');
    expect(r.err?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(r.err?.details).toMatch(/unknown method \/test\.T\/Nope/);
    const bad = await unary(client, STRICT, 'bad');
    expect(bad.err?.code).toBe(grpc.status.INTERNAL);
    expect(bad.err?.details).toMatch(/cannot decode the request for \/test\.T\/Strict: not a request/);
  });

  it('serves gzip-compressed requests', async () => {
    const c2 = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const r = await unary(c2, ECHO, 'z'.repeat(5000));
    c2.close();
    expect(r.err).toBeNull();
    expect(r.res!.toString()).toBe(`${'z'.repeat(5000)}||`);
  });

  it('answers DEADLINE_EXCEEDED itself when the client\'s grpc-timeout passes', async () => {
    // A raw request with grpc-timeout 100m and no client-side deadline: the answer must come from the server.
    const sock = await rawConnect();
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', NEVER.path], [':authority', 'x'], ['content-type', 'application/grpc'], ['grpc-timeout', '100m']]);
    sock.write(Buffer.concat([rawFrame(1, 0x4, 1, block), rawFrame(0, 0x1, 1, Buffer.from([0, 0, 0, 0, 1, 7]))]));
    const frames = await readFramesUntil(sock, (fs) => fs.some((f) => f.type === 1 && (f.flags & 1) && f.id === 1), 3000);
    sock.destroy();
    const trailer = frames.find((f) => f.type === 1 && f.id === 1)!;
    expect(trailer.payload.toString('latin1')).toMatch(/deadline of 100m exceeded/);
    expect(neverCalls).toBeGreaterThan(0);
  });

  it('serves 2,000 calls in flight on one connection', async () => {
    const rs = await Promise.all(Array.from({ length: 2000 }, (_, i) => unary(client, ECHO, `n${i}`)));
    rs.forEach((r, i) => expect(r.res?.toString()).toBe(`n${i}||`));
  });
});

describe('GrpcH2Server: streaming calls', () => {
  const chat = (name: string): grpc.ClientDuplexStream<Buffer, Buffer> => {
    const md = new grpc.Metadata();
    md.set('x-name', name);
    return client.makeBidiStreamRequest(CHAT.path, ident, ident, md);
  };

  it('delivers messages both ways in order and ends with OK when the client ends', async () => {
    const call = chat('a');
    const got: string[] = [];
    const done = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('data', (m: Buffer) => got.push(m.toString()));
    for (let i = 0; i < 50; i++) call.write(Buffer.from(`m${i}`));
    call.end();
    const st = await done;
    expect(st.code).toBe(grpc.status.OK);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `${i + 1}:m${i}`));
  });

  it('holds back a paused call\'s stream window: the client stops at about one window until the handler resumes', async () => {
    const chunk = Buffer.alloc(64 << 10, 7);
    const total = 64 * chunk.length; // 4 MiB, four stream windows
    const reply = new Promise<Result>((resolve) => {
      const call = client.makeClientStreamRequest(SINK.path, ident, ident, new grpc.Metadata(), {}, (err, res) => resolve(res ? { err, res } : { err }));
      for (let i = 0; i < 64; i++) call.write(chunk);
      call.end();
    });
    const until = Date.now() + 3000;
    while (!sinkCall && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(sinkCall).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = sinkBytes;
    expect(whilePaused).toBeLessThanOrEqual((1 << 20) + chunk.length); // one window (and the message in progress)
    expect(whilePaused).toBeLessThan(total);
    sinkCall!.resume();
    const r = await reply;
    expect(r.err).toBeNull();
    expect(Number(r.res!.toString())).toBe(total);
  });

  it('ends a call with the handler\'s status', async () => {
    const call = chat('b');
    const done = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    call.write(Buffer.from('one'));
    call.write(Buffer.from('stop'));
    const st = await done;
    expect(st.code).toBe(grpc.status.ABORTED);
    expect(st.details).toBe('stopped by request');
  });

  it('tells the handler when the client cancels', async () => {
    const call = chat('hold');
    call.on('error', () => undefined);
    await new Promise<void>((resolve) => { call.once('data', () => resolve()); call.write(Buffer.from('hi')); });
    call.cancel();
    const deadline = Date.now() + 3000;
    while (!cancelled.includes('hold') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toEqual(['hold']);
  });
});

// ---------------------------------------------------------------- raw HTTP/2

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function rawFrame(type: number, flags: number, id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type; h[4] = flags; h.writeUInt32BE(id, 5);
  return Buffer.concat([h, payload]);
}

interface Frame { type: number; flags: number; id: number; payload: Buffer }

async function rawConnect(preface = true): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => { s.once('connect', () => resolve()); s.once('error', reject); });
  if (preface) s.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, Buffer.alloc(0))]));
  return s;
}

function readFramesUntil(s: net.Socket, done: (fs: Frame[]) => boolean, ms: number): Promise<Frame[]> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const frames: Frame[] = [];
    const finish = (): void => { clearTimeout(t); s.removeAllListeners('data'); resolve(frames); };
    const t = setTimeout(finish, ms);
    s.on('close', finish);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const len = buf.readUIntBE(0, 3);
        frames.push({ type: buf[3]!, flags: buf[4]!, id: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) });
        buf = buf.subarray(9 + len);
      }
      if (done(frames)) finish();
    });
  });
}

async function goawayFor(bytes: Buffer, preface = true): Promise<{ code: number; debug: string; closed: boolean }> {
  const s = await rawConnect(preface);
  let closed = false;
  s.on('close', () => { closed = true; });
  s.on('error', () => undefined);
  s.write(bytes);
  const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 7), 3000);
  await new Promise((r) => setTimeout(r, 50));
  const g = frames.find((f) => f.type === 7);
  s.destroy();
  return g ? { code: g.payload.readUInt32BE(4), debug: g.payload.subarray(8).toString(), closed } : { code: -1, debug: '', closed };
}

describe('GrpcH2Server: connections that break HTTP/2', () => {
  it('answers a client that does not speak HTTP/2 with GOAWAY naming the preface', async () => {
    const g = await goawayFor(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false);
    expect(g.code).toBe(H2_ERRORS.PROTOCOL_ERROR);
    expect(g.debug).toMatch(/client preface/);
    expect(g.closed).toBe(true);
  });

  it('answers a header block it cannot decode with COMPRESSION_ERROR', async () => {
    const g = await goawayFor(rawFrame(1, 0x5, 1, Buffer.from([0x80])));
    expect(g.code).toBe(H2_ERRORS.COMPRESSION_ERROR);
    expect(g.debug).toMatch(/HPACK: index 0/);
  });

  it('answers an oversized frame with FRAME_SIZE_ERROR and frames on the wrong stream with PROTOCOL_ERROR', async () => {
    expect((await goawayFor(rawFrame(0, 0, 1, Buffer.alloc(20_000)))).code).toBe(H2_ERRORS.FRAME_SIZE_ERROR);
    const g = await goawayFor(rawFrame(0, 0, 7, Buffer.from('x')));
    expect(g.code).toBe(H2_ERRORS.PROTOCOL_ERROR);
    expect(g.debug).toMatch(/DATA on idle stream 7/);
    expect((await goawayFor(rawFrame(1, 0x4, 2, encodeHeaders([[':method', 'POST']])))).debug).toMatch(/even id/);
    expect((await goawayFor(rawFrame(6, 0, 0, Buffer.alloc(3)))).code).toBe(H2_ERRORS.FRAME_SIZE_ERROR);
  });

  it('answers a flood of empty CONTINUATION frames with ENHANCE_YOUR_CALM', async () => {
    const block = encodeHeaders([[':method', 'POST'], [':path', ECHO.path]]);
    const conts = Array.from({ length: 100 }, () => rawFrame(9, 0, 1, Buffer.alloc(0)));
    const g = await goawayFor(Buffer.concat([rawFrame(1, 0, 1, block), ...conts]));
    expect(g.code).toBe(0xb);
    expect(g.debug).toMatch(/more than 64 CONTINUATION frames/);
  });

  it('ends a streaming call whose client sends a message it cannot take, and tells the handler', async () => {
    const s = await rawConnect();
    const before = cancelled.filter((c) => c === 'raw').length;
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', CHAT.path], [':authority', 'x'], ['content-type', 'application/grpc']]);
    s.write(Buffer.concat([rawFrame(1, 0x4, 1, block), rawFrame(0, 0, 1, Buffer.from([7, 0, 0, 0, 1, 1]))])); // flag octet 7
    const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 1 && (f.flags & 1)), 3000);
    s.destroy();
    expect(frames.find((f) => f.type === 1 && (f.flags & 1))!.payload.toString('latin1')).toMatch(/with flags 7/);
    expect(cancelled.filter((c) => c === 'raw').length).toBe(before + 1);
  });

  it('resets a call whose client stops taking its responses (window 0), and tells the handler', async () => {
    const s = await rawConnect(false);
    const noWindow = Buffer.alloc(6);
    noWindow.writeUInt16BE(0x4, 0); // SETTINGS_INITIAL_WINDOW_SIZE 0
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', FLOOD.path], [':authority', 'x'], ['content-type', 'application/grpc']]);
    s.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, noWindow), rawFrame(1, 0x4, 1, block)]));
    const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 3 && f.id === 1), 5000);
    s.destroy();
    expect(frames.find((f) => f.type === 3 && f.id === 1)!.payload.readUInt32BE(0)).toBe(0xb);
    expect(frames.filter((f) => f.type === 0).length).toBe(0);
    expect(cancelled).toContain('flood');
  });

  it('counts unary handlers still running against the stream limit, reset or not ("rapid reset")', async () => {
    const small = new GrpcH2Server({ maxConcurrentStreams: 5 });
    small.addService({ Never: NEVER }, { Never: () => new Promise(() => undefined) });
    const p = await small.listen('127.0.0.1:0');
    const s = net.connect(p, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', NEVER.path], [':authority', 'x'], ['content-type', 'application/grpc']]);
    const call = (id: number): Buffer => Buffer.concat([rawFrame(1, 0x4, id, block), rawFrame(0, 0x1, id, Buffer.from([0, 0, 0, 0, 0])), rawFrame(3, 0, id, Buffer.from([0, 0, 0, 8]))]);
    s.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, Buffer.alloc(0)), ...[1, 3, 5, 7, 9, 11].map(call)]));
    const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 3 && f.id === 11), 3000);
    s.destroy();
    small.forceShutdown();
    expect(frames.find((f) => f.type === 3 && f.id === 11)!.payload.readUInt32BE(0)).toBe(H2_ERRORS.REFUSED_STREAM);
  });

  it('ignores a grpc-timeout too long for a timer (grpc-go\'s 30 days) instead of failing at once', async () => {
    const s = await rawConnect();
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', ECHO.path], [':authority', 'x'], ['content-type', 'application/grpc'], ['grpc-timeout', '2592000S']]);
    s.write(Buffer.concat([rawFrame(1, 0x4, 1, block), rawFrame(0, 0x1, 1, Buffer.from([0, 0, 0, 0, 2, 0x68, 0x69]))]));
    const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 1 && (f.flags & 1)), 3000);
    s.destroy();
    expect(frames.find((f) => f.type === 0)!.payload.subarray(5).toString()).toBe('hi||');
  });

  it('answers a request that is not gRPC with an HTTP status, and keeps serving', async () => {
    const s = await rawConnect();
    s.write(rawFrame(1, 0x5, 1, encodeHeaders([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'x']])));
    const frames = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 1 && f.id === 1), 3000);
    s.destroy();
    // (the connection's first header block starts with a table size update to 0)
    expect(frames.find((f) => f.type === 1 && f.id === 1)!.payload).toEqual(Buffer.concat([Buffer.from([0x20]), encodeHeaders([[':status', '405']])]));
    expect((await unary(client, ECHO, 'still')).res!.toString()).toBe('still||');
  });
});

describe('GrpcH2Server: fuzzed connections', () => {
  it('survives 300 mutated request streams (flipped, cut, repeated bytes): no crash, each connection closed or answered, and it still serves', async () => {
    // A deterministic PRNG (mulberry32): a failure replays.
    let seed = 0x5eed15;
    const rnd = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', ECHO.path], [':authority', 'x'], ['content-type', 'application/grpc'], ['x-test', 'fuzz']]);
    const valid = Buffer.concat([PREFACE, rawFrame(4, 0, 0, Buffer.alloc(0)), rawFrame(1, 0x4, 1, block), rawFrame(0, 0x1, 1, Buffer.from([0, 0, 0, 0, 3, 0x61, 0x62, 0x63])),
      rawFrame(1, 0x4, 3, block), rawFrame(0, 0, 3, Buffer.from([0, 0, 0, 0, 2, 0x61])), rawFrame(0, 0x1, 3, Buffer.from([0x62]))]);
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(valid);
      const kind = i % 4;
      let bytes: Buffer;
      if (kind === 0) { // flip a few bytes after the preface
        for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) b[24 + Math.floor(rnd() * (b.length - 24))] = Math.floor(rnd() * 256);
        bytes = b;
      } else if (kind === 1) { // cut anywhere
        bytes = b.subarray(0, Math.floor(rnd() * b.length));
      } else if (kind === 2) { // a random slice repeated
        const from = 24 + Math.floor(rnd() * (b.length - 24));
        const len = Math.floor(rnd() * 40);
        bytes = Buffer.concat([b.subarray(0, from), b.subarray(from, from + len), b.subarray(from, from + len), b.subarray(from)]);
      } else { // random bytes after the preface
        bytes = Buffer.concat([PREFACE, Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)))]);
      }
      const s = await rawConnect(false);
      s.on('error', () => undefined);
      s.write(bytes);
      // Whatever it answers (GOAWAY, a status, a reset, nothing yet), the connection is dropped by the client.
      await readFramesUntil(s, (fs) => fs.some((f) => f.type === 7 || (f.type === 1 && (f.flags & 1) && f.id === 3)), 30);
      s.destroy();
    }
    expect((await unary(client, ECHO, 'after fuzz')).res!.toString()).toBe('after fuzz||');
  });
});

describe('GrpcH2Server: graceful shutdown', () => {
  const SLOW = def('/test.T/Slow', false);
  const grpcBlock = (path: string): Buffer => encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', path], [':authority', 'x'], ['content-type', 'application/grpc']]);
  const rawCall = (id: number, path: string): Buffer => Buffer.concat([rawFrame(1, 0x4, id, grpcBlock(path)), rawFrame(0, 0x1, id, Buffer.from([0, 0, 0, 0, 1, 0x61]))]);

  async function start(): Promise<{ srv: GrpcH2Server; p: number; ended: string[]; release: () => void }> {
    const ended: string[] = [];
    let release: () => void = () => undefined;
    const srv = new GrpcH2Server({});
    srv.addService({ Slow: SLOW, Never: NEVER, Chat: CHAT }, {
      // Answers when the test says so.
      Slow: (req: Buffer) => new Promise<Buffer>((resolve) => { release = () => resolve(Buffer.concat([Buffer.from('done:'), req])); }),
      Never: () => new Promise(() => undefined),
      Chat: (call: StreamCall<Buffer>) => { call.on('cancelled', () => ended.push('chat cancelled')); },
    });
    const p = await srv.listen('127.0.0.1:0');
    return { srv, p, ended, release: () => release() };
  }

  it('answers the calls running, refuses new ones (REFUSED_STREAM), ends streams with UNAVAILABLE, then closes', async () => {
    const { srv, p, ended, release } = await start();
    const s = net.connect(p, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.on('error', () => undefined);
    let closed = false;
    s.on('close', () => { closed = true; });
    const chatOpen = Buffer.concat([rawFrame(1, 0x4, 3, grpcBlock(CHAT.path))]);
    s.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, Buffer.alloc(0)), rawCall(1, SLOW.path), chatOpen]));
    await new Promise((r) => setTimeout(r, 100));
    let resolved = false;
    const stopping = srv.shutdown(10_000).then(() => { resolved = true; });
    // The GOAWAY names stream 3, the last this side took; a call after it is refused.
    const first = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 7) && fs.some((f) => f.type === 1 && f.id === 3 && (f.flags & 1)), 3000);
    const g = first.find((f) => f.type === 7)!;
    expect(g.payload.readUInt32BE(0)).toBe(3);
    expect(g.payload.readUInt32BE(4)).toBe(H2_ERRORS.NO_ERROR);
    expect(g.payload.subarray(8).toString()).toBe('the server is stopping');
    expect(first.find((f) => f.type === 1 && f.id === 3)!.payload.toString('latin1')).toMatch(/the server is stopping/); // grpc-status 14 in the trailers
    expect(ended).toEqual(['chat cancelled']);
    s.write(rawCall(5, SLOW.path));
    const refused = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 3 && f.id === 5), 3000);
    expect(refused.find((f) => f.type === 3 && f.id === 5)!.payload.readUInt32BE(0)).toBe(H2_ERRORS.REFUSED_STREAM);
    // The running call still gets its answer, then the connection ends and shutdown resolves.
    expect(closed).toBe(false);
    expect(resolved).toBe(false);
    release();
    const rest = await readFramesUntil(s, (fs) => fs.some((f) => f.type === 1 && f.id === 1 && (f.flags & 1)), 3000);
    expect(Buffer.concat(rest.filter((f) => f.type === 0 && f.id === 1).map((f) => f.payload)).subarray(5).toString()).toBe('done:a');
    await stopping;
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    s.destroy();
    // And nothing listens any more.
    await expect(new Promise((resolve, reject) => { const c = net.connect(p, '127.0.0.1'); c.once('connect', () => { c.destroy(); resolve('connected'); }); c.once('error', reject); })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('closes what is left after the grace period; a grpc-js client\'s call fails then, and new calls are not taken', async () => {
    const { srv, p } = await start();
    const c = new grpc.Client(`127.0.0.1:${p}`, grpc.credentials.createInsecure());
    const hanging = unary(c, NEVER, 'x');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await srv.shutdown(300);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect((await hanging).err?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await unary(c, SLOW, 'y', new grpc.Metadata(), { deadline: Date.now() + 1000 })).err?.code).toBe(grpc.status.UNAVAILABLE);
    c.close();
  });

  it('with nothing running, closes at once', async () => {
    const { srv, p } = await start();
    const c = new grpc.Client(`127.0.0.1:${p}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve) => c.waitForReady(Date.now() + 3000, () => resolve()));
    const t0 = Date.now();
    await srv.shutdown(10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
    c.close();
  });
});

describe('GrpcH2Server: keep-alive', () => {
  it('pings a silent connection and closes it when nothing comes back, cancelling its calls', async () => {
    const ended: string[] = [];
    const srv = new GrpcH2Server({ keepaliveIntervalMs: 200, keepaliveTimeoutMs: 200 });
    srv.addService({ Chat: CHAT }, { Chat: (call: StreamCall<Buffer>) => { call.on('cancelled', () => ended.push('cancelled')); } });
    const p = await srv.listen('127.0.0.1:0');
    try {
      // A client that opens a watch-like call, then never reads nor answers again (its host is gone).
      const s = net.connect(p, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.on('error', () => undefined);
      const block = encodeHeaders([[':method', 'POST'], [':scheme', 'http'], [':path', CHAT.path], [':authority', 'x'], ['content-type', 'application/grpc']]);
      s.write(Buffer.concat([PREFACE, rawFrame(4, 0, 0, Buffer.alloc(0)), rawFrame(1, 0x4, 1, block)]));
      const t0 = Date.now();
      const frames = await readFramesUntil(s, () => false, 3000); // until the server closes it
      const took = Date.now() - t0;
      expect(frames.some((f) => f.type === 6 && !(f.flags & 1) && f.payload.toString('latin1') === 'berthka!')).toBe(true);
      expect(took).toBeGreaterThanOrEqual(350);
      expect(took).toBeLessThan(2500);
      expect(s.destroyed || s.readableEnded).toBe(true);
      expect(ended).toEqual(['cancelled']);
      s.destroy();
    } finally {
      srv.forceShutdown();
    }
  });

  it('keeps a connection whose client answers the pings (grpc-js), idle or not', async () => {
    const srv = new GrpcH2Server({ keepaliveIntervalMs: 100, keepaliveTimeoutMs: 200 });
    srv.addService({ Echo: ECHO }, { Echo: async (req: Buffer) => req });
    const p = await srv.listen('127.0.0.1:0');
    const c = new grpc.Client(`127.0.0.1:${p}`, grpc.credentials.createInsecure());
    try {
      expect((await unary(c, ECHO, 'one')).res?.toString()).toBe('one');
      await new Promise((r) => setTimeout(r, 1000)); // ten intervals of silence, each pinged and answered
      expect(c.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
      expect((await unary(c, ECHO, 'two')).res?.toString()).toBe('two');
    } finally {
      c.close();
      srv.forceShutdown();
    }
  });
});
