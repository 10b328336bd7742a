/**
 * A small gRPC client for unary calls over the local daemon's unix socket, for the CLI's start-up
 * time: node:http2 and protobufjs/light with berth.v1's precompiled JSON descriptor
 * (proto/generate.js), instead of @grpc/grpc-js and @grpc/proto-loader parsing the .proto files
 * (together about 200 ms of a 300 ms start). Messages are encoded and decoded exactly as
 * proto-loader does with LOADER_OPTIONS (fromObject/encode; decode/toObject with longs: Number,
 * enums: String, defaults, oneofs), so callers get the same objects as from grpc-js.
 * Streaming calls and TLS remotes still go through grpc-js (see client.ts).
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type * as Protobuf from 'protobufjs';

/** gRPC status codes (the numbers of grpc-js's `status` enum). */
export const Status = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

/** The shape of grpc-js's ServiceError that client.ts reads (code, details, metadata.get). */
export interface WireError extends Error {
  code: number;
  details: string;
  metadata: { get: (key: string) => Array<string | Buffer> };
}

const TO_OBJECT: Protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

let root: Protobuf.Root | undefined;
function berthV1(): Protobuf.Namespace {
  if (!root) {
    const pb = require('protobufjs/light') as typeof Protobuf;
    const { BERTH_V1_DESCRIPTOR_JSON } = require('@berth/proto/dist/gen/descriptor') as { BERTH_V1_DESCRIPTOR_JSON: string };
    root = pb.Root.fromJSON(JSON.parse(BERTH_V1_DESCRIPTOR_JSON) as Protobuf.INamespace);
  }
  return root.lookup('berth.v1') as Protobuf.Namespace;
}

/** The request and response types of `Service/Method` (unary methods only). */
function method(service: string, name: string): { req: Protobuf.Type; res: Protobuf.Type } {
  const svc = berthV1().lookup(service);
  const m = svc && (svc as Protobuf.Service).methods?.[name];
  if (!m) throw new Error(`no method ${service}/${name}`);
  if (m.requestStream || m.responseStream) throw new Error(`${service}/${name} streams: not a unary call`);
  m.resolve();
  return { req: m.resolvedRequestType!, res: m.resolvedResponseType! };
}

function wireError(code: number, details: string, headers: http2.IncomingHttpHeaders = {}): WireError {
  const e = new Error(`${code} ${Object.keys(Status).find((k) => Status[k as keyof typeof Status] === code) ?? ''}: ${details}`) as WireError;
  e.code = code;
  e.details = details;
  e.metadata = {
    get: (key: string) => {
      const v = headers[key.toLowerCase()];
      return v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
    },
  };
  return e;
}

/** grpc-message is percent-encoded (gRPC over HTTP/2). */
function decodeGrpcMessage(v: unknown): string {
  if (typeof v !== 'string') return '';
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** One HTTP/2 connection to a unix socket, opened on the first call. */
export class UnixWire {
  private session: http2.ClientHttp2Session | undefined;

  constructor(readonly socket: string) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2.connect('http://localhost', { createConnection: () => net.connect(this.socket) });
    s.on('error', () => { /* reported by the streams that fail */ });
    this.session = s;
    return s;
  }

  /** A unary call of `berth.v1.<service>/<method>`; rejects with a WireError. */
  call<Res>(service: string, name: string, request: object, deadline: number): Promise<Res> {
    let types: { req: Protobuf.Type; res: Protobuf.Type };
    let body: Buffer;
    try {
      types = method(service, name);
      const msg = types.req.encode(types.req.fromObject(request as Record<string, unknown>)).finish();
      body = Buffer.allocUnsafe(5 + msg.length);
      body.writeUInt8(0, 0);
      body.writeUInt32BE(msg.length, 1);
      body.set(msg, 5);
    } catch (e) {
      return Promise.reject(wireError(Status.INTERNAL, `cannot encode the request: ${(e as Error).message}`));
    }
    return new Promise<Res>((resolve, reject) => {
      const left = Math.max(1, deadline - Date.now());
      let session: http2.ClientHttp2Session;
      try {
        session = this.connect();
      } catch (e) {
        reject(wireError(Status.UNAVAILABLE, `No connection established. Last error: ${(e as Error).message}`));
        return;
      }
      let settled = false;
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        done(() => reject(wireError(Status.DEADLINE_EXCEEDED, 'Deadline exceeded')));
        req.close(http2.constants.NGHTTP2_CANCEL);
      }, left);
      let responded = false;
      const onSessionError = (e: Error): void => done(() => reject(wireError(Status.UNAVAILABLE, `No connection established. Last error: ${e.message}`)));
      session.once('error', onSessionError);
      const req = session.request({
        ':method': 'POST', ':path': `/berth.v1.${service}/${name}`, 'content-type': 'application/grpc', te: 'trailers',
        'grpc-timeout': `${left}m`, 'user-agent': 'berth-cli',
      });
      const chunks: Buffer[] = [];
      let headers: http2.IncomingHttpHeaders = {};
      req.on('response', (h) => { responded = true; headers = h; });
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('trailers', (t) => { headers = { ...headers, ...t }; });
      req.on('error', (e: Error) => {
        // A failed connect cancels the pending stream; say what failed (e.g. connect ENOENT PATH).
        const why = e.cause instanceof Error ? e.cause.message : e.message;
        done(() => reject(wireError(Status.UNAVAILABLE, responded ? why : `No connection established. Last error: ${why}`)));
      });
      req.on('close', () => {
        session.off('error', onSessionError);
        if (settled) return;
        const code = headers['grpc-status'] === undefined ? (responded ? Status.UNKNOWN : Status.UNAVAILABLE) : Number(headers['grpc-status']);
        if (code !== Status.OK) {
          const details = decodeGrpcMessage(headers['grpc-message']) || (responded ? `no grpc-status (HTTP ${headers[':status'] ?? '?'})` : 'the connection closed');
          done(() => reject(wireError(code, details, headers)));
          return;
        }
        try {
          const data = Buffer.concat(chunks);
          if (data.length < 5) throw new Error('no message in the answer');
          if (data.readUInt8(0) !== 0) throw new Error('compressed answers are not supported');
          const len = data.readUInt32BE(1);
          const obj = types.res.toObject(types.res.decode(data.subarray(5, 5 + len)), TO_OBJECT) as Res;
          done(() => resolve(obj));
        } catch (e) {
          done(() => reject(wireError(Status.INTERNAL, `cannot decode the answer: ${(e as Error).message}`)));
        }
      });
      req.end(body);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
