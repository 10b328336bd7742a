/**
 * A small gRPC client for unary calls, over the local daemon's unix socket or a remote's mutual
 * TLS, for the CLI's start-up time: node:http2 and berth.v1's JSON descriptor (proto/generate.js) read by ./codec, instead of
 * @grpc/grpc-js and @grpc/proto-loader parsing the .proto files, or protobufjs building its
 * reflected root (together most of a 300 ms start). Messages are encoded and decoded as
 * proto-loader does with LOADER_OPTIONS (see codec.ts), so callers get the same objects as from
 * grpc-js. Streaming calls (exec, image import/export, events) still go through grpc-js (see client.ts).
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { DescriptorCodecs } from './codec';
import type { MessageCodec } from './codec';

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

let codecs: DescriptorCodecs | undefined;

/** The request and response codecs of `Service/Method` (unary methods only). */
function method(service: string, name: string): { req: MessageCodec; res: MessageCodec } {
  if (!codecs) {
    const { BERTH_V1_DESCRIPTOR_JSON } = require('@berth/proto/dist/gen/descriptor') as { BERTH_V1_DESCRIPTOR_JSON: string };
    codecs = new DescriptorCodecs(JSON.parse(BERTH_V1_DESCRIPTOR_JSON) as ConstructorParameters<typeof DescriptorCodecs>[0], 'berth.v1');
  }
  return codecs.unary(service, name);
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

/** Where a Wire connects: a unix socket (the local daemon), or a member's API over mutual TLS. */
export type WireTarget = { socket: string } | { address: string; caPem: string; certPem: string; keyPem: string };

/**
 * One HTTP/2 connection to a daemon, opened on the first call. Over TLS it checks what grpc-js
 * checks: the server's certificate chains to the pinned CA and names the dialled host (an IP
 * address in its IP SANs), and presents this client's certificate.
 */
export class Wire {
  private session: http2.ClientHttp2Session | undefined;

  constructor(readonly target: WireTarget) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const t = this.target;
    let s: http2.ClientHttp2Session;
    if ('socket' in t) {
      s = http2.connect('http://localhost', { createConnection: () => net.connect(t.socket) });
    } else {
      const host = t.address.slice(0, t.address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
      s = http2.connect(`https://${t.address}`, { ca: t.caPem, cert: t.certPem, key: t.keyPem, ...(net.isIP(host) ? {} : { servername: host }) });
    }
    s.on('error', () => { /* reported by the streams that fail */ });
    this.session = s;
    return s;
  }

  /** A unary call of `berth.v1.<service>/<method>`; rejects with a WireError. */
  call<Res>(service: string, name: string, request: object, deadline: number): Promise<Res> {
    let types: { req: MessageCodec; res: MessageCodec };
    let body: Buffer;
    try {
      types = method(service, name);
      const msg = types.req.encode(request);
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
          const obj = types.res.decode(data.subarray(5, 5 + len)) as Res;
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
