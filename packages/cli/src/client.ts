import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import * as fs from 'node:fs';
import type { ClusterServiceClient, EventServiceClient, OperationServiceClient, Operation__Output, ExecOutput__Output, ExportImageChunk__Output, Image__Output, ImageServiceClient, InstanceServiceClient, ServerInfo__Output, ServerServiceClient } from '@berth/proto';

/** The data folder of the local daemon: BERTH_DIR, or berthd's default, as lxc uses LXD_DIR. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['BERTH_DIR'] ?? '/var/lib/berth';
}

/** Thrown when the daemon cannot be reached; says where the CLI looked. */
export class DaemonUnreachableError extends Error {
  override readonly name = 'DaemonUnreachableError';
  readonly code = 'UNAVAILABLE';
  constructor(readonly socket: string, cause: unknown) {
    super(`cannot reach berthd at unix://${socket} (is it running? set BERTH_DIR to its data folder): ${describeCause(cause)}`, { cause });
  }
}

/** A client of one berthd, over its local unix socket. */
/** An error the daemon answered with: its gRPC code, message and the field it names. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly code: grpc.status, message: string, readonly field?: string) {
    super(message);
  }
}

export class BerthClient {
  private readonly server: ServerServiceClient;
  readonly instances: InstanceServiceClient;
  readonly images: ImageServiceClient;
  readonly cluster: ClusterServiceClient;
  readonly operations: OperationServiceClient;
  readonly events: EventServiceClient;

  constructor(readonly socket: string = path.join(localDataDir(), 'unix.socket')) {
    const v1 = loadBerthV1();
    this.server = new v1.ServerService(`unix://${socket}`, grpc.credentials.createInsecure());
    this.instances = new v1.InstanceService(`unix://${socket}`, grpc.credentials.createInsecure(), { channelOverride: this.server.getChannel() });
    this.images = new v1.ImageService(`unix://${socket}`, grpc.credentials.createInsecure(), { channelOverride: this.server.getChannel() });
    this.cluster = new v1.ClusterService(`unix://${socket}`, grpc.credentials.createInsecure(), { channelOverride: this.server.getChannel() });
    this.operations = new v1.OperationService(`unix://${socket}`, grpc.credentials.createInsecure(), { channelOverride: this.server.getChannel() });
    this.events = new v1.EventService(`unix://${socket}`, grpc.credentials.createInsecure(), { channelOverride: this.server.getChannel() });
  }

  /** Calls an InstanceService method by name; errors become ApiError (or DaemonUnreachableError). */
  rpc<Res>(method: string, req: object, timeoutMs = 120_000, service: 'instances' | 'images' | 'cluster' | 'operations' = 'instances'): Promise<Res> {
    const target = service === 'images' ? this.images : service === 'cluster' ? this.cluster : service === 'operations' ? this.operations : this.instances;
    const fn = (target as unknown as Record<string, (r: object, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Res) => void) => unknown>)[method];
    if (!fn) return Promise.reject(new Error(`no method ${method}`));
    const deadline = Date.now() + timeoutMs;
    return new Promise<Res>((resolve, reject) => {
      fn.call(target, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(this.toError(err));
        else resolve(res as Res);
      });
    }).then((res) => this.awaitOperation(res, deadline));
  }

  /**
   * A cluster answers changes with a running operation: wait for its end (GetOperation, up to
   * 30 s per call) and answer with the finished operation, or its failure as an ApiError.
   */
  private async awaitOperation<Res>(res: Res, deadline: number): Promise<Res> {
    const first = (res as { operation?: Operation__Output | null } | undefined)?.operation;
    if (!first || !['running', 'pending'].includes(first.status)) return res;
    let op: Operation__Output = first;
    while (op.status === 'running' || op.status === 'pending') {
      const left = deadline - Date.now();
      if (left <= 0) throw new ApiError(grpc.status.DEADLINE_EXCEEDED, `operation ${op.id} (${op.description}) still running; see: berth operation show ${op.id}`);
      op = await this.rpc<Operation__Output>('GetOperation', { id: op.id, waitSeconds: Math.max(1, Math.min(30, Math.floor(left / 1000))) }, left + 5_000, 'operations');
    }
    if (op.status === 'failure') {
      const code = (grpc.status as unknown as Record<string, number>)[op.errorCode] ?? grpc.status.UNKNOWN;
      throw new ApiError(code, op.error);
    }
    if (op.status === 'cancelled') throw new ApiError(grpc.status.CANCELLED, `operation ${op.id} (${op.description}) was cancelled`);
    return { ...(res as object), operation: op } as Res;
  }

  toError(err: grpc.ServiceError): Error {
    const fromDaemon = err.metadata?.get('berth-server')[0] === '1';
    if (err.code === grpc.status.UNAVAILABLE && !fromDaemon) return new DaemonUnreachableError(this.socket, err);
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
      call.on('error', (e: grpc.ServiceError) => reject(this.toError(e)));
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
    return new Promise((resolve, reject) => {
      this.server.GetServerInfo({}, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED ? new DaemonUnreachableError(this.socket, err) : err);
        else if (!res) reject(new Error('empty answer from GetServerInfo'));
        else resolve(res);
      });
    });
  }

  /** Streams a unified LXD image tarball to the daemon; resolves with the image it made. */
  importImage(file: string, aliases: string[]): Promise<Image__Output> {
    return new Promise((resolve, reject) => {
      const call = this.images.ImportImage((err, res) => (err ? reject(this.toError(err)) : resolve(res!)));
      call.write({ header: { aliases, public: false, format: 'unified', metadataSize: 0 } });
      const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
      input.on('data', (d) => call.write({ data: d as Buffer }));
      input.on('end', () => call.end());
      input.on('error', (e) => {
        call.cancel();
        reject(e);
      });
    });
  }

  /** Streams an image's original tarball from the daemon into a file. */
  exportImage(ref: string, file: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const out = fs.createWriteStream(file, { flags: 'wx' });
      const call = this.images.ExportImage({ image: ref });
      call.on('data', (c: ExportImageChunk__Output) => out.write(c.data));
      call.on('error', (e: grpc.ServiceError) => {
        out.destroy();
        fs.rmSync(file, { force: true });
        reject(this.toError(e));
      });
      call.on('end', () => out.end(() => resolve()));
    });
  }

  close(): void {
    this.images.close();
    this.instances.close();
    this.server.close();
  }
}

function describeCause(cause: unknown): string {
  const details = (cause as { details?: unknown }).details;
  if (typeof details === 'string' && details) return details.replace(/\. Resolution note:.*$/, '');
  return cause instanceof Error ? cause.message : String(cause);
}
