import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { ServerInfo__Output, ServerServiceClient } from '@berth/proto';

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
export class BerthClient {
  private readonly server: ServerServiceClient;

  constructor(readonly socket: string = path.join(localDataDir(), 'unix.socket')) {
    const v1 = loadBerthV1();
    this.server = new v1.ServerService(`unix://${socket}`, grpc.credentials.createInsecure());
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

  close(): void {
    this.server.close();
  }
}

function describeCause(cause: unknown): string {
  const details = (cause as { details?: unknown }).details;
  if (typeof details === 'string' && details) return details.replace(/\. Resolution note:.*$/, '');
  return cause instanceof Error ? cause.message : String(cause);
}
