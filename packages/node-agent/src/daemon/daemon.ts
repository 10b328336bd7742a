import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadBerthV1 } from '@berth/proto';
import type { ClusterServiceHandlers, OperationServiceHandlers, ServerInfo, ServerServiceHandlers } from '@berth/proto';
import { ClusterMember } from '../cluster/cluster-member';
import { isClustered } from '../cluster/files';
import { clusterInstanceHandlers } from '../cluster/instance-api';
import { watchEvents } from '../cluster/events';
import { RecordingServer, trustHandlers } from '../cluster/api-listener';
import { Moves } from '../cluster/evacuation';
import { memberGroupHandlers } from '../cluster/groups-api';
import { clusterImageHandlers } from '../cluster/image-api';
import { finished, unary } from './grpc';
import { featureNames, probeHost } from '../capabilities';
import type { HostCapabilities } from '../capabilities';
import { API_EXTENSIONS, BERTH_VERSION } from '../version';
import { Agent } from '../agent/agent';
import { deleteLocalImage, imageHandlers } from './image-service';
import { DEFAULT_AUTO_UPDATE_INTERVAL_MS, imageServerCertificate, startImageSources } from './image-copy';
import { SimplestreamsServer } from '../images/simplestreams';
import type { ImageSources } from '../images/sources';
import { instanceHandlers } from './instance-service';

export const DEFAULT_DATA_DIR = '/var/lib/berth';

/** The local socket's path in a data folder; `berth` finds it through BERTH_DIR. */
export function socketPath(dataDir: string): string {
  return path.join(dataDir, 'unix.socket');
}

export interface DaemonOptions {
  dataDir: string;
  /** Name of this member; defaults to the host name. */
  name?: string;
  /** The default storage pool's driver when it is created (dir or btrfs). */
  storageDriver?: string;
  /** A cluster member learnt it was removed from its cluster (see ClusterMemberOptions). */
  onRemoved?: (why: string) => void;
  /** images.auto_update_interval: how often images copied with --auto-update are refreshed (0: never). */
  imagesAutoUpdateIntervalMs?: number;
  /** host:port where this berthd serves its public images as a simplestreams server (https). */
  imagesAddress?: string | undefined;
  /** Cluster members: where to take data links (ClusterMemberOptions.dataAddress). */
  dataAddress?: string | false | undefined;
}

/**
 * One berthd: owns a data folder and serves berth's API on the local unix socket
 * (root only, like LXD's). Lifecycle: start() once, stop() once; a second daemon on the
 * same data folder is refused while the first one lives.
 */
export class Daemon {
  private server: grpc.Server | undefined;
  private capabilities: HostCapabilities | undefined;
  agent: Agent | undefined;
  /** Images copied from remote image servers, refreshed when they auto-update. */
  sources: ImageSources | undefined;
  /** The simplestreams server of this host's public images (--images-address), and its certificate's fingerprint. */
  imageServer: { server: SimplestreamsServer; fingerprint: string } | undefined;
  /** Set when the data folder belongs to a cluster (berthd init / berthd join). */
  cluster: ClusterMember | undefined;
  private readonly pidFile: string;

  constructor(private readonly opts: DaemonOptions) {
    this.pidFile = path.join(opts.dataDir, 'berthd.pid');
  }

  get socket(): string {
    return socketPath(this.opts.dataDir);
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o711 });
    await this.claimDataDir();
    this.capabilities = await probeHost();
    this.agent = await Agent.open({ dataDir: this.opts.dataDir, capabilities: this.capabilities, ...(this.opts.storageDriver ? { storageDriver: this.opts.storageDriver } : {}) });
    const server = new RecordingServer();
    const v1 = loadBerthV1();
    const instances = instanceHandlers(this.agent);
    const agent = this.agent;
    this.sources = startImageSources(agent, this.opts.imagesAutoUpdateIntervalMs ?? DEFAULT_AUTO_UPDATE_INTERVAL_MS, (fp) => deleteLocalImage(agent, fp));
    const images = imageHandlers(this.agent, this.sources);
    const handlers: ServerServiceHandlers = {
      GetServerInfo: (_call, callback) => callback(null, this.serverInfo()),
    };
    server.addService(v1.ServerService.service, handlers);
    if (isClustered(this.opts.dataDir)) {
      const criu = this.capabilities.criu?.checkpointRestore.supported ?? false;
      const features = featureNames(this.capabilities);
      this.cluster = await ClusterMember.start({ dataDir: this.opts.dataDir, agent: this.agent, localInstances: instances, resources: () => ({ cpus: os.cpus().length, memoryBytes: os.totalmem(), instances: 0, criu, features }), onRemoved: this.opts.onRemoved, dataAddress: this.opts.dataAddress });
      server.addService(v1.ClusterService.service, clusterHandlers(this.cluster));
      const ops = this.cluster.operations;
      const opHandlers: OperationServiceHandlers = {
        ListOperations: unary(async () => ({ operations: await ops.list() })),
        GetOperation: unary(async (req: { id: string; waitSeconds: number }) => ops.get(req.id, Math.min(Math.max(req.waitSeconds, 0), 600) * 1000)),
        CancelOperation: unary(async (req: { id: string }) => ops.cancel(req.id)),
      };
      server.addService(v1.OperationService.service, opHandlers);
      server.addService(v1.EventService.service, { WatchEvents: watchEvents(this.cluster.node) });
      server.addService(v1.InstanceService.service, clusterInstanceHandlers(this.cluster, instances));
      server.addService(v1.ImageService.service, clusterImageHandlers(this.cluster.registry, this.cluster.store, images, () => this.cluster?.images?.recorded() ?? Promise.resolve()));
    } else {
      server.addService(v1.InstanceService.service, instances);
      server.addService(v1.ImageService.service, images);
    }
    if (this.cluster) {
      // The trust store (both listeners), then the whole API on the member's address too.
      const m = this.cluster;
      server.addService(v1.TrustService.service, trustHandlers({ trust: m.trust, caPem: m.caPem, clusterId: m.config.clusterId, addresses: async () => (await m.store.members()).map((x) => x.address) }));
      m.serveApi(server.services);
    }
    fs.rmSync(this.socket, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix://${this.socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
    });
    fs.chmodSync(this.socket, 0o660);
    this.server = server;
    if (this.opts.imagesAddress) {
      const tls = imageServerCertificate(this.opts.dataDir);
      const images = await SimplestreamsServer.start({ store: agent.images, listen: this.opts.imagesAddress, tls, filter: (r) => !!r.public });
      this.imageServer = { server: images, fingerprint: tls.fingerprint };
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.stop();
    await this.agent?.quiesce();
    this.sources?.stop();
    await this.imageServer?.server.close();
    this.imageServer = undefined;
    fs.rmSync(this.socket, { force: true });
    fs.rmSync(this.pidFile, { force: true });
  }

  serverInfo(): ServerInfo {
    return {
      serverName: this.cluster?.config.name ?? this.opts.name ?? os.hostname(),
      serverVersion: BERTH_VERSION,
      apiExtensions: [...API_EXTENSIONS],
      mode: this.cluster ? 'cluster' : 'standalone',
      capabilities: this.capabilities ?? null,
      pid: process.pid,
      dataDir: this.opts.dataDir,
    };
  }

  /**
   * Writes our pid, refusing when another live berthd already owns the folder. One that is
   * dying (killed with -9 a moment ago: the kernel is still tearing it down, and its files,
   * LevelDB's lock among them, are not released yet) is waited for, up to DYING_WAIT_MS.
   */
  private async claimDataDir(): Promise<void> {
    let other = 0;
    try {
      other = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (other > 0 && other !== process.pid) {
      const until = Date.now() + DYING_WAIT_MS;
      while (isBerthdOf(other, this.opts.dataDir)) {
        if (!isDying(other) || Date.now() > until) throw new Error(`berthd (pid ${other}) already runs on data folder ${this.opts.dataDir}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    fs.writeFileSync(this.pidFile, `${process.pid}\n`);
  }
}

/** How long a new berthd waits for a dying one on its folder to be gone (claimDataDir). */
const DYING_WAIT_MS = 30_000;

/** PF_EXITING in /proc/<pid>/stat's flags (include/linux/sched.h). */
const PF_EXITING = 0x4;
/** SIGKILL's bit in /proc/<pid>/status's pending-signal masks. */
const SIGKILL_BIT = 1n << 8n;

/**
 * Whether a process is on its way out: it is exiting (PF_EXITING), or a SIGKILL waits for it
 * (in its own or its thread group's pending signals). From /proc/<pid>/stat and /status;
 * `dyingFrom` is the parse, apart for tests.
 */
export function isDying(pid: number): boolean {
  try {
    return dyingFrom(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true; // gone meanwhile
  }
}

export function dyingFrom(stat: string, status: string): boolean {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  const flags = Number(fields[6]);
  if (Number.isFinite(flags) && (flags & PF_EXITING) !== 0) return true;
  for (const line of status.split('\n')) {
    const m = /^(SigPnd|ShdPnd):\s*([0-9a-fA-F]+)/.exec(line);
    if (m && (BigInt(`0x${m[2]}`) & SIGKILL_BIT) !== 0n) return true;
  }
  return false;
}

/**
 * Whether `pid` is a live berthd on `dataDir`: not merely a live pid (a berthd killed with -9
 * may linger as a zombie until it is reaped, and pids wrap and get reused).
 */
export function isBerthdOf(pid: number, dataDir: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) [ZX] /.test(stat)) return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!argv.some((a) => a.endsWith('berthd.js') || a.endsWith('berthd'))) return false;
    const i = argv.indexOf('--data-dir');
    const dir = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length);
    const env = dir === undefined ? fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('BERTH_DIR='))?.slice('BERTH_DIR='.length) : undefined;
    const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    return path.resolve(cwd, dir ?? env ?? DEFAULT_DATA_DIR) === path.resolve(dataDir);
  } catch {
    return false; // gone
  }
}

/** The public cluster calls this member serves. */
function clusterHandlers(cluster: ClusterMember): ClusterServiceHandlers {
  const moves = new Moves(cluster);
  return {
    ListMembers: unary(async () => ({ members: await cluster.listMembers() })),
    GetMember: unary(async (req: { name: string }) => {
      const m = (await cluster.listMembers()).find((x) => x.name === req.name);
      if (!m) throw Object.assign(new Error(`no member named "${req.name}"`), { code: grpc.status.NOT_FOUND });
      return m;
    }),
    CreateJoinToken: unary(async (req: { name: string }) => {
      const t = await cluster.createJoinToken(req.name);
      return { memberName: req.name, token: t.token, expiresAtUnixMs: t.expiresAt };
    }),
    RemoveMember: unary(async (req: { name: string; force: boolean }) => {
      await cluster.removeMember(req.name, req.force);
      return finished(`remove member ${req.name}`);
    }),
    EvacuateMember: unary(async (req: { name: string; mode: string }) => moves.evacuate(req.name, req.mode)),
    RestoreMember: unary(async (req: { name: string }) => moves.restore(req.name)),
    ...memberGroupHandlers(cluster),
  };
}
