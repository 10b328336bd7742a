import * as path from 'node:path';
import * as fs from 'node:fs';
import type * as GrpcJs from '@grpc/grpc-js';
import type { TrustServiceClient, ClusterServiceClient, EventServiceClient, OperationServiceClient, Operation__Output, ExecOutput__Output, CopyImageProgress__Output, CopyImageRequest, ExportImageChunk__Output, Image__Output, ImageServiceClient, InstanceServiceClient, ServerInfo__Output, ServerServiceClient } from '@berth/proto';
import { Status, Wire } from './wire';

// @grpc/grpc-js and @berth/proto (which parses the .proto files) are loaded on first use only:
// unary calls on the unix socket go through ./wire, and most commands never need them.
const grpcJs = (): typeof GrpcJs => require('@grpc/grpc-js') as typeof GrpcJs;
const loadBerthV1 = (): ReturnType<typeof import('@berth/proto')['loadBerthV1']> => (require('@berth/proto') as typeof import('@berth/proto')).loadBerthV1();

/** The data folder of the local daemon: BERTH_DIR, or berthd's default, as lxc uses LXD_DIR. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['BERTH_DIR'] ?? '/var/lib/berth';
}

/** Thrown when the daemon cannot be reached; says where the CLI looked. */
export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
  readonly code = 'UNAVAILABLE';
  constructor(readonly socket: string, cause: unknown, remote?: string) {
    super(remote === undefined
      ? `cannot reach berthd at unix://${socket} (is it running? set BERTH_DIR to its data folder): ${describeCause(cause)}`
      : `cannot reach berth remote '${remote}' at ${socket}: ${describeCause(cause)} (is berthd running there and is this its API address? see \`berth remote list\`; \`berth --remote local ...\` uses this host's daemon)`, { cause });
  }
}

/** A berthd reached over TCP: its API address, the pinned cluster CA, this client's certificate. */
export interface TlsRemote {
  name: string;
  address: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A client of one berthd, over its local unix socket. */
/** An error the daemon answered with: its gRPC code, message and the field it names. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly code: number, message: string, readonly field?: string) {
    super(message);
  }
}

type ServiceName = 'server' | 'instances' | 'images' | 'cluster' | 'operations' | 'trust';
const SERVICE: Record<ServiceName, string> = {
  server: 'ServerService', instances: 'InstanceService', images: 'ImageService', cluster: 'ClusterService', operations: 'OperationService', trust: 'TrustService',
};

export class BerthClient {
  /** Set when this client talks to a remote over TLS (`socket` is then its address). */
  readonly remote: TlsRemote | undefined;
  readonly socket: string;
  /** Unary calls (./wire): on the unix socket, or over TLS to a remote. */
  private readonly wire: Wire;
  private clients: {
    server: ServerServiceClient; instances: InstanceServiceClient; images: ImageServiceClient; cluster: ClusterServiceClient;
    operations: OperationServiceClient; events: EventServiceClient; trust: TrustServiceClient;
  } | undefined;

  /** A client of the local daemon's unix socket (a path), or of a remote over TLS. */
  constructor(target: string | TlsRemote = path.join(localDataDir(), 'unix.socket')) {
    if (typeof target !== 'string') {
      this.remote = target;
      this.socket = target.address;
      this.wire = new Wire(target);
      return;
    }
    this.socket = target;
    this.remote = undefined;
    this.wire = new Wire({ socket: target });
  }

  /** The grpc-js clients (one channel), made on first use: the streaming calls. */
  private grpcClients(): NonNullable<BerthClient['clients']> {
    if (this.clients) return this.clients;
    const grpc = grpcJs();
    const v1 = loadBerthV1();
    const target = this.remote;
    if (target) {
      // Its own subchannel pool: a connection made before this client was trusted (a token
      // redemption) is not reused, since the server checked its certificate at the handshake.
      const creds = grpc.credentials.createSsl(Buffer.from(target.caPem), Buffer.from(target.keyPem), Buffer.from(target.certPem));
      const server = new v1.ServerService(target.address, creds, { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_send_message_length': 64 << 20 });
      const ch = { channelOverride: server.getChannel() };
      this.clients = {
        server,
        instances: new v1.InstanceService(target.address, creds, ch),
        images: new v1.ImageService(target.address, creds, ch),
        cluster: new v1.ClusterService(target.address, creds, ch),
        operations: new v1.OperationService(target.address, creds, ch),
        events: new v1.EventService(target.address, creds, ch),
        trust: new v1.TrustService(target.address, creds, ch),
      };
      return this.clients;
    }
    const addr = `unix://${this.socket}`;
    const insecure = grpc.credentials.createInsecure();
    const server = new v1.ServerService(addr, insecure);
    const ch = { channelOverride: server.getChannel() };
    this.clients = {
      server,
      trust: new v1.TrustService(addr, insecure, ch),
      instances: new v1.InstanceService(addr, insecure, ch),
      images: new v1.ImageService(addr, insecure, ch),
      cluster: new v1.ClusterService(addr, insecure, ch),
      operations: new v1.OperationService(addr, insecure, ch),
      events: new v1.EventService(addr, insecure, ch),
    };
    return this.clients;
  }

  get instances(): InstanceServiceClient { return this.grpcClients().instances; }
  get images(): ImageServiceClient { return this.grpcClients().images; }
  get cluster(): ClusterServiceClient { return this.grpcClients().cluster; }
  get operations(): OperationServiceClient { return this.grpcClients().operations; }
  get events(): EventServiceClient { return this.grpcClients().events; }
  get trust(): TrustServiceClient { return this.grpcClients().trust; }

  /** Calls a unary method by name; errors become ApiError (or DaemonUnreachableError). */
  rpc<Res>(method: string, req: object, timeoutMs = 120_000, service: ServiceName = 'instances', watch?: { onOperation: (op: Operation__Output) => void }): Promise<Res> {
    const deadline = Date.now() + timeoutMs;
    return this.wire.call<Res>(SERVICE[service], method, req, deadline)
      .catch((e: unknown) => { throw (e as { code?: unknown }).code !== undefined && (e as { metadata?: unknown }).metadata ? this.toError(e as GrpcJs.ServiceError) : e; })
      .then((res) => this.awaitOperation(res, deadline, watch?.onOperation));
  }

  /**
   * A cluster answers changes with a running operation: wait for its end (GetOperation, up to
   * 30 s per call) and answer with the finished operation, or its failure as an ApiError.
   */
  private async awaitOperation<Res>(res: Res, deadline: number, onOperation?: (op: Operation__Output) => void): Promise<Res> {
    const first = (res as { operation?: Operation__Output | null } | undefined)?.operation;
    if (!first || !['running', 'pending'].includes(first.status)) return res;
    let op: Operation__Output = first;
    let troubleSince = 0;
    while (op.status === 'running' || op.status === 'pending') {
      const left = deadline - Date.now();
      if (left <= 0) throw new ApiError(Status.DEADLINE_EXCEEDED, `operation ${op.id} (${op.description}) still running; see: berth operation show ${op.id}`);
      try {
        // Watched (progress shown from its metadata): read again every second.
        op = await this.rpc<Operation__Output>('GetOperation', { id: op.id, waitSeconds: onOperation ? 1 : Math.max(1, Math.min(30, Math.floor(left / 1000))) }, left + 5_000, 'operations');
        troubleSince = 0;
        if (op.status === 'running') onOperation?.(op);
      } catch (e) {
        // The operation lives in the cluster's store: a store that is electing a leader, or a
        // connection that broke, is asked again for up to 15 s before the wait gives up.
        const transient = e instanceof DaemonUnreachableError || (e instanceof ApiError && e.code === Status.UNAVAILABLE);
        troubleSince ||= Date.now();
        if (!transient || Date.now() - troubleSince > 15_000 || Date.now() >= deadline) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    if (op.status === 'failure') {
      const code = (Status as unknown as Record<string, number>)[op.errorCode] ?? Status.UNKNOWN;
      throw new ApiError(code, op.error);
    }
    if (op.status === 'cancelled') throw new ApiError(Status.CANCELLED, `operation ${op.id} (${op.description}) was cancelled`);
    return { ...(res as object), operation: op } as Res;
  }

  toError(err: GrpcJs.ServiceError): Error {
    const fromDaemon = err.metadata?.get('berth-server')[0] === '1';
    if ((err.code === Status.UNAVAILABLE || (this.remote && err.code === Status.DEADLINE_EXCEEDED)) && !fromDaemon) return new DaemonUnreachableError(this.socket, err, this.remote?.name);
    const field = err.metadata?.get('berth-field')[0];
    return new ApiError(err.code, err.details || err.message, typeof field === 'string' ? field : undefined);
  }

  /** Runs a command in an instance, piping this process's stdin/stdout/stderr; resolves with its exit code. */
  exec(instance: string, command: string[], io: { stdin: NodeJS.ReadableStream | null; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; tty?: { columns: number; rows: number; onResize: (fn: (columns: number, rows: number) => void) => void } }): Promise<number> {
    return new Promise((resolve, reject) => {
      const call = this.instances.Exec();
      let code: number | undefined;
      call.on('data', (o: ExecOutput__Output) => {
        if (o.frame === 'stdout' && o.stdout) io.stdout.write(o.stdout);
        else if (o.frame === 'stderr' && o.stderr) io.stderr.write(o.stderr);
        else if (o.frame === 'exitCode') code = o.exitCode;
      });
      call.on('error', (e: GrpcJs.ServiceError) => reject(this.toError(e)));
      call.on('end', () => (code === undefined ? reject(new Error('the exec stream ended without an exit code')) : resolve(code)));
      const tty = io.tty;
      call.write({ start: { instance, command, environment: {}, user: 0, group: 0, cwd: '', interactive: !!tty, width: tty?.columns ?? 0, height: tty?.rows ?? 0 } });
      tty?.onResize((width, height) => call.write({ resize: { width, height } }));
      if (io.stdin) {
        io.stdin.on('data', (d: Buffer) => call.write({ stdin: d }));
        io.stdin.on('end', () => call.write({ stdinEof: true }));
      } else {
        call.write({ stdinEof: true });
      }
    });
  }

  serverInfo(timeoutMs = 5000): Promise<ServerInfo__Output> {
    const unreachable = (e: { code?: unknown }): boolean => e.code === Status.UNAVAILABLE || e.code === Status.DEADLINE_EXCEEDED;
    return this.wire.call<ServerInfo__Output>('ServerService', 'GetServerInfo', {}, Date.now() + timeoutMs)
      .catch((err: GrpcJs.ServiceError) => { throw unreachable(err) ? new DaemonUnreachableError(this.socket, err, this.remote?.name) : this.toError(err); });
  }

  /** Streams a unified LXD image tarball to the daemon; resolves with the image it made. */
  importImage(file: string, aliases: string[], onBytes?: (sent: number, total: number) => void, pub = false): Promise<Image__Output> {
    return new Promise((resolve, reject) => {
      let total = 0;
      let sent = 0;
      try {
        total = fs.statSync(file).size;
      } catch {
        // the read stream below reports it
      }
      const call = this.images.ImportImage((err, res) => (err ? reject(this.toError(err)) : resolve(res!)));
      call.write({ header: { aliases, public: pub, format: 'unified', metadataSize: 0 } });
      const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
      input.on('data', (d) => {
        call.write({ data: d as Buffer });
        sent += d.length;
        onBytes?.(sent, total);
      });
      input.on('end', () => call.end());
      input.on('error', (e) => {
        call.cancel();
        reject(e);
      });
    });
  }

  /** Copies an image from an image server into the daemon (CopyImage), reporting bytes as it downloads. */
  copyImage(req: CopyImageRequest, onBytes?: (done: number, total: number) => void): Promise<{ image: Image__Output; downloaded: boolean }> {
    return new Promise((resolve, reject) => {
      const call = this.images.CopyImage(req);
      let last: CopyImageProgress__Output | undefined;
      call.on('data', (m: CopyImageProgress__Output) => {
        last = m;
        if (!m.image) onBytes?.(Number(m.doneBytes), Number(m.totalBytes));
      });
      call.on('error', (e: GrpcJs.ServiceError) => reject(this.toError(e)));
      call.on('end', () => (last?.image ? resolve({ image: last.image, downloaded: last.downloaded }) : reject(new Error('the daemon ended the copy without the image'))));
    });
  }

  /** Streams an image's original tarball from the daemon into a file. */
  exportImage(ref: string, file: string, onBytes?: (received: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const out = fs.createWriteStream(file, { flags: 'wx' });
      const call = this.images.ExportImage({ image: ref });
      let received = 0;
      call.on('data', (c: ExportImageChunk__Output) => {
        out.write(c.data);
        received += c.data.length;
        onBytes?.(received);
      });
      call.on('error', (e: GrpcJs.ServiceError) => {
        out.destroy();
        fs.rmSync(file, { force: true });
        reject(this.toError(e));
      });
      call.on('end', () => out.end(() => resolve()));
    });
  }

  close(): void {
    this.wire.close();
    if (this.clients) for (const c of Object.values(this.clients)) c.close();
    this.clients = undefined;
  }
}

function describeCause(cause: unknown): string {
  const details = (cause as { details?: unknown }).details;
  if (typeof details === 'string' && details) return details.replace(/\. Resolution note:.*$/, '');
  return cause instanceof Error ? cause.message : String(cause);
}
