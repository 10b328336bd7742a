/**
 * A lean server path for a few hot unary gRPC methods (etcd's KV.Put and KV.Range), taken
 * from the HTTP/2 stream directly instead of through grpc-js's call machinery.
 *
 * Why: with 64 clients putting, grpc-js's per-call objects (interceptor chain, stream
 * decoder, Readable/Writable plumbing, metadata maps, the status and trailer dance) were
 * about a tenth of every member's CPU, on the busiest path there is: every client write
 * and linearizable read is one unary call.
 *
 * How: grpc-js binds `this._streamHandler` to its HTTP/2 servers' 'stream' event when it
 * binds a port. installFastUnary() wraps that handler on the instance (before bindAsync):
 * a stream for one of the given methods, on a server without interceptors, with a gRPC
 * content type and no request compression, is served here; every other stream goes to
 * grpc-js as before. If grpc-js ever drops `_streamHandler`, nothing is installed and every
 * call takes the ordinary path.
 *
 * The bytes on the wire are what grpc-js sends: response headers (`:status` 200,
 * `content-type: application/grpc+proto`, grpc-accept-encoding/grpc-encoding identity), one
 * length-prefixed message, trailers `grpc-status: 0`; a failure is a trailers-only response
 * with `grpc-status`, `grpc-message` (encodeURI, as grpc-js) and the status metadata. Not
 * done here (grpc-js would): a `grpc-timeout` deadline on the server side (the client
 * enforces its own deadline and cancels the stream; the handlers have their own request
 * timeout), channelz and idle-connection bookkeeping per stream (both unused by berth).
 */
import type * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { toStatus } from './status';
import type { StatusError } from './status';

export interface FastMethod {
  decode(buf: Buffer): unknown;
  encode(res: unknown): Buffer;
  /** The method's logic; md carries only the request's custom (non-pseudo, non-grpc) headers. */
  handle(req: unknown, md: grpc.Metadata): Promise<unknown>;
}

/** grpc-js's default limit on a received message. */
const MAX_RECEIVE = 4 << 20;

const OK_HEADERS = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};
const OK_TRAILERS = { 'grpc-status': '0', 'grpc-message': 'OK' };
const RESPOND_OPTS = { waitForTrailers: true };

/** Headers that are HTTP/2 or gRPC framing, not application metadata. */
const RESERVED = new Set(['content-type', 'te', 'user-agent', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'authorization']);

type StreamHandler = (this: unknown, extra: unknown[], stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void;

/**
 * Serves `methods` (by path, e.g. '/etcdserverpb.KV/Put') on `server` without grpc-js's call
 * objects. Call before bindAsync. Returns whether the fast path is installed.
 */
export function installFastUnary(server: grpc.Server, methods: Record<string, FastMethod>): boolean {
  const s = server as unknown as { _streamHandler?: StreamHandler; interceptors?: unknown[] };
  const original = s._streamHandler;
  if (typeof original !== 'function') return false;
  s._streamHandler = function (this: unknown, extra, stream, headers) {
    const m = methods[headers[':path'] as string];
    if (m && extra.length === 0 && !(s.interceptors && s.interceptors.length > 0) && headers[':method'] === 'POST' &&
      (headers['content-type'] ?? '').startsWith('application/grpc') &&
      (headers['grpc-encoding'] === undefined || headers['grpc-encoding'] === 'identity')) {
      serve(m, stream, headers);
      return;
    }
    original.call(this, extra, stream, headers);
  };
  return true;
}

function serve(m: FastMethod, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.on('error', () => { /* a reset by the client; 'close' follows, nothing to answer */ });
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let failed = false;
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    size += chunk.length;
    if (size > MAX_RECEIVE + 5) {
      failed = true;
      fail(stream, { code: grpc.status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${size - 5} vs. ${MAX_RECEIVE})` });
      return;
    }
    if (!first) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  stream.on('end', () => {
    if (failed) return;
    const buf = more ? Buffer.concat(more) : first;
    if (!buf || buf.length < 5) {
      fail(stream, { code: grpc.status.UNIMPLEMENTED, details: 'received no request message for a unary call' });
      return;
    }
    const len = buf.readUInt32BE(1);
    if (buf[0] !== 0) {
      fail(stream, { code: grpc.status.INTERNAL, details: 'received a compressed message without grpc-encoding' });
      return;
    }
    if (buf.length !== 5 + len) {
      fail(stream, { code: grpc.status.UNIMPLEMENTED, details: buf.length > 5 + len ? 'received a second request message for a unary call' : 'request message cut short' });
      return;
    }
    let req: unknown;
    try {
      req = m.decode(buf.subarray(5));
    } catch (e) {
      fail(stream, { code: grpc.status.INTERNAL, details: `Error deserializing request: ${(e as Error).message}` });
      return;
    }
    m.handle(req, metadataOf(headers)).then((res) => {
      if (stream.destroyed || stream.closed) return;
      let body: Buffer;
      try {
        body = m.encode(res);
      } catch (e) {
        fail(stream, { code: grpc.status.INTERNAL, details: `Error serializing response: ${(e as Error).message}` });
        return;
      }
      const frame = Buffer.allocUnsafe(5 + body.length);
      frame[0] = 0;
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      stream.respond(OK_HEADERS, RESPOND_OPTS);
      stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
      stream.end(frame);
    }, (e: unknown) => fail(stream, toStatus(e)));
  });
}

/** The request's application metadata (what a grpc-js handler would see in call.metadata). */
function metadataOf(headers: http2.IncomingHttpHeaders): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const k in headers) {
    if (k.charCodeAt(0) === 58 /* ':' */ || RESERVED.has(k)) continue;
    const v = headers[k];
    if (v === undefined || k.endsWith('-bin')) continue; // binary metadata: not used by these methods
    if (Array.isArray(v)) for (const x of v) md.add(k, x);
    else md.set(k, v);
  }
  return md;
}

/** A trailers-only answer, as grpc-js sends one. */
function fail(stream: http2.ServerHttp2Stream, st: StatusError): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const out: http2.OutgoingHttpHeaders = {
    ':status': 200, 'content-type': 'application/grpc+proto',
    'grpc-status': String(st.code), 'grpc-message': encodeURI(st.details),
  };
  if (st.metadata) Object.assign(out, st.metadata.toHttp2Headers());
  stream.respond(out, { endStream: true });
}
