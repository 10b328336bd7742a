/**
 * Moves of an instance between members (berth move, evacuate, restore): the store says what
 * should move where and how (intent.moving = {id, to, mode}), the source member carries it
 * out, a txn commits it.
 *
 * Cold (mode cold, or a stopped instance):
 *   API member      intent.moving = {id, to}                        (any member; one txn)
 *   source (owner)  stop it; stream record + volume (+ CRIU images) to `to` (MigrationService.Migrate)
 *   target          import it stopped, marked incoming (the instance is not the target's yet)
 *   source          one txn: location = to, moving cleared, movedFrom = {source, id}
 *   target          its reconciler sees the intent here: settles the copy, starts it if wanted
 *   source          its reconciler sees movedFrom = itself: removes its copy, clears movedFrom
 *
 * The bytes go on a data link (data-link.ts) when both members have one, else on the call.
 * The volume goes as `btrfs send` when the source's pool is btrfs and the target's imports it
 * (the header offers formats, best first; `accepted` says which the target took), else tar.
 *
 * Live, stop-and-copy (a running instance with migration.stateful=true, CRIU on both):
 *   phase volume      the volume is streamed while the instance runs (a walk of its folder is
 *                     taken first; on a dir pool whose tar saw a file change under it, once
 *                     more with the instance frozen); the target imports it, stopped, marked
 *                     incoming: `volume`
 *   phase checkpoint  the source checkpoints it. With a page server (both members report
 *                     criu-page-server, data link; design.md "Memory to a CRIU page server"):
 *                     the target runs `criu page-server --tls` for this dump, the source
 *                     freezes the instance and dumps it with --leave-running, the pages going
 *                     straight into the target's images folder; its processes stay here,
 *                     frozen, until the target runs them (a failure thaws them). Else a
 *                     stateful stop (runc checkpoint: its processes are gone here, the images
 *                     in checkpoints/<name>/stop; on a data link the memory pages may go
 *                     while CRIU writes them: pages-tail.ts),
 *                     sends the delta (paths removed since the walk, a tar of what changed:
 *                     volume-delta.ts), a tar of its other CRIU images (stateful snapshots
 *                     too), then the pages files' sums, which the target checks
 *   phase restore     the target applies them and restores (Agent.start: the stateful stop's
 *                     images), answers `running`; the copy stays marked incoming
 *   commit            as cold; the source's copy (stopped, with its images) is removed after
 *
 * Live, post-copy (mode post-copy, both members report criu-lazy-pages, data link; design.md
 * "Post-copy"): as stop-and-copy, except that the source dumps the instance WITHOUT its memory
 * (frozen, runc checkpoint --lazy-pages --leave-running), serving the pages from its own CRIU
 * page server (TLS), and says where (K_LAZY) before the images; the target restores it at once
 * (criu lazy-pages + runc restore --lazy-pages), answers `running`, beats `memory` each second,
 * and answers `pulled` when every page arrived. Only `pulled` lets the source commit; until
 * then its processes stay frozen (whole), and a failure thaws them once the target dropped its
 * (killed) copy. The target kills its copy the moment its pull fails (a process whose pages
 * never came reads zeros); if the move is still open PULL_BROKEN_WARN_MS later (its source
 * cannot end it: gone), the target says so in the move's operation (the `warn` callback:
 * metadata move.<name>.warning), which does not end it.
 *
 * Contract:
 * - Nothing is lost: the source keeps its copy until the txn that places the instance on the
 *   target has committed, and the target's copy is complete (the pool imports into staging;
 *   chunk offsets and CRC-32s and the volume stream's own digests are checked) before the
 *   target answers `received` / `running`.
 * - A failed move (target down or killed, link cut, disk full, CRIU failing on either side,
 *   refused) ends with intent.moveError = {id, error}, `moving` cleared; the target keeps
 *   nothing (its import reverts; a copy it had received is dropped by the target itself and
 *   with DropIncoming, and an incoming copy nobody claims is removed by its reconciler's
 *   sweep). A live move that had checkpointed resumes the instance on the source from its own
 *   images; a cold one is started again by the source's reconciler.
 * - Never in two places: the target restores only after the source's processes are gone (the
 *   checkpoint ends them). A live move that fails after the target was asked to restore, when
 *   the target cannot confirm it dropped its copy, sets intent.fenced = {member: to, id}: the
 *   source keeps the instance stopped until that member answers DropIncoming (the reconciler
 *   asks on each pass: unfence()). A target whose stream breaks before it answered `running`
 *   drops its copy itself.
 * - A source that dies mid-move finds `moving` again when it comes back and tries again (the
 *   target replaces an incoming copy of the same move); a live move whose source died after
 *   the checkpoint goes on cold, with the checkpoint's images (the target then restores them).
 * - A move the store abandons (cancelled: `moving` cleared or changed; the instance deleted)
 *   is not committed; the target's copy is dropped.
 * - Test-only fault hook, off unless a file <data dir>/BERTH_TEST_MIGRATION_FAULT exists on the
 *   member; it holds `dump` (the source refuses to checkpoint, as a failing CRIU dump) or
 *   `restore` (the target removes the images' inventory.img first: CRIU's restore really fails).
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { DropIncomingRequest__Output, MigrationFrame, MigrationFrame__Output, MigrationPhase, MigrationPhase__Output, MigrationServiceClient, MigrationServiceHandlers } from '@berth/proto';
import type { ClusterStore, InstanceIntent } from '@berth/control-plane';
import type { Agent, InstanceRecord } from '../agent/agent';
import { unary } from '../daemon/grpc';
import { toStatus } from '../daemon/status';
import { FailedPreconditionError, InternalError, InvalidArgumentError } from '../errors';
import type { SectionSink } from '../storage/stream';
import { removeFromVolume, tarOf, untarInto, volumeDelta, walkVolume } from './volume-delta';
import { CHECKPOINT_FILE_POOL, FILE_POOL_SIZE, tarOfCheckpoints, untarCheckpointsInto } from './checkpoint-tar';
import { FilePool } from '../host/file-pool';
import { dial, FrameWriter, readFrames } from './data-link';
import { decodePages, encodePages, ownLike, PagesSink, PagesTail } from './pages-tail';
import type { PagesFileSum } from './pages-tail';
import type { DataLinks } from './data-link';
import { bracketed, clusterDir, hostOf, joinAddress, splitAddress } from './files';
import { MOVE_DUMP } from '../agent/agent';
import { runTool } from '../host/run';
import { migrationTestFault } from '../host/paths';
import { freePort, servePages, sweepPageServers } from '../runtime/page-server';
import type { FrozenBy, LazyServing } from '../runtime/types';
import type { CriuTls, PageServer, PageServerTarget } from '../runtime/page-server';
import { peerCertificateFingerprint } from '@berth/control-plane';

/** Data-link frame kinds of a move: MigrationFrame's field numbers. */
const K_VOLUME = 2;
const K_CHECKPOINT = 3;
const K_DELTA = 5;
/** Memory pages sent while CRIU writes them (pages-tail.ts), and their files' sums once it is done. */
const K_PAGES = 6;
const K_PAGES_END = 7;
/** How long a target whose data link broke waits for its page server's own failure (linkBroke). */
const PAGE_SERVER_GRACE_MS = 1_000;
/** The source asks for a CRIU page server (design.md, "Memory to a CRIU page server"). */
const K_PAGE_SERVER = 8;
/** Post-copy: where the source's lazy dump serves the memory (JSON {address, port, verifyName}; design.md "Post-copy"). */
const K_LAZY = 9;

const CHUNK = 1 << 20;
/** Frames a target keeps queued before it pauses the call (each at most CHUNK bytes). */
const QUEUED = 8;
/** No progress (a chunk taken, a phase answered) this long: the link is considered cut. */
const STALL_MS = 30_000;
export const MOVE_MODES = ['cold', 'stop-and-copy', 'post-copy'] as const;
/** How long a source serves a post-copy move's memory at most once the target runs it. */
const LAZY_SERVE_MS = 300_000;

/**
 * Whether a live move sends the memory pages while CRIU writes them (pages-tail.ts). It needs
 * a core to spare beside CRIU's dump and the target's writer: on this 2-core host it slowed
 * the dump more than it saved (bench/README.md, session 5), so by default only on hosts with
 * more than 2 cores. BERTH_MOVE_PAGES_TAIL=1|0 in berthd's environment decides instead.
 */
export function pagesDuringDump(env: NodeJS.ProcessEnv = process.env, cores = os.cpus().length): boolean {
  const v = env['BERTH_MOVE_PAGES_TAIL'];
  if (v === '1' || v === '0') return v === '1';
  return cores > 2;
}

/**
 * Whether a live move on a data link sends the memory through CRIU's page server when both
 * members report `criu-page-server` (the default); BERTH_MOVE_PAGE_SERVER=0 in berthd's
 * environment says no (the pages then go through berth: pages-tail.ts, or the images' tar).
 */
export function pageServerWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['BERTH_MOVE_PAGE_SERVER'] !== '0';
}

/** The CRIU TLS files of this member: the cluster CA, its certificate and key (files.ts). */
function criuTlsFiles(dataDir: string): CriuTls {
  const dir = clusterDir(dataDir);
  return { caFile: path.join(dir, 'ca.crt'), certFile: path.join(dir, 'member.crt'), keyFile: path.join(dir, 'member.key') };
}

/** A K_LAZY frame's word checked: where a post-copy source serves its memory. */
function lazyOf(data: Buffer, expect: string, mode: string, dataDir: string): PageServerTarget {
  if (mode !== 'post-copy' || (expect !== 'delta' && expect !== 'changes' && expect !== 'checkpoint')) throw new InvalidArgumentError('lazy', `not expected here (a ${mode} move, ${expect === 'done' ? 'nothing' : expect} expected)`);
  let v: { address?: unknown; port?: unknown; verifyName?: unknown };
  try {
    v = JSON.parse(data.toString('utf8')) as typeof v;
  } catch {
    throw new InvalidArgumentError('lazy', 'is not JSON');
  }
  if (typeof v.address !== 'string' || !net.isIP(v.address)) throw new InvalidArgumentError('lazy.address', `${JSON.stringify(v.address)} is not an IP address`);
  if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) throw new InvalidArgumentError('lazy.port', `${JSON.stringify(v.port)} is not a port`);
  return { address: v.address, port: v.port, tls: criuTlsFiles(dataDir), verifyName: v.verifyName === true };
}

/**
 * A live move's word that the target was asked to restore the instance while a frozen dump
 * of it stays here (checkpoints/<name>.restore-asked: the target and the move): kept until
 * the move is done or the target dropped its copy, so a berthd that died meanwhile does not
 * thaw that dump while the target may run it.
 */
function restoreAskedFile(agent: Agent, name: string): string {
  return `${agent.checkpointsDir(name)}.restore-asked`;
}

/**
 * The word is written inside the downtime (before the last checkpoint chunk goes), where making
 * a file cost 4-9 ms here (~0.35 ms on this host's ext4, plus the thread pool's trips): an empty
 * file is made ahead (prepareRestoreAsked, while the volume goes) and the word written into it
 * and renamed into place, in ~0.1 ms.
 */
function restoreAskedPending(agent: Agent, name: string): string {
  return `${restoreAskedFile(agent, name)}.pending`;
}

async function prepareRestoreAsked(agent: Agent, name: string): Promise<void> {
  await fsp.mkdir(path.dirname(restoreAskedFile(agent, name)), { recursive: true });
  await fsp.writeFile(restoreAskedPending(agent, name), '');
}

async function writeRestoreAsked(agent: Agent, name: string, v: { to: string; id: string }): Promise<void> {
  try {
    fs.writeFileSync(restoreAskedPending(agent, name), JSON.stringify(v), { flag: 'r+' }); // (no O_CREAT: made ahead, empty)
    fs.renameSync(restoreAskedPending(agent, name), restoreAskedFile(agent, name));
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await fsp.mkdir(path.dirname(restoreAskedFile(agent, name)), { recursive: true });
  await fsp.writeFile(restoreAskedFile(agent, name), JSON.stringify(v));
}

function readRestoreAsked(agent: Agent, name: string): { to: string; id: string } | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(restoreAskedFile(agent, name), 'utf8')) as { to?: unknown; id?: unknown };
    return typeof v.to === 'string' && typeof v.id === 'string' ? { to: v.to, id: v.id } : undefined;
  } catch {
    return undefined;
  }
}

function clearRestoreAsked(agent: Agent, name: string): void {
  fs.rmSync(restoreAskedPending(agent, name), { force: true });
  fs.rmSync(restoreAskedFile(agent, name), { force: true });
}

/** Bytes of the pages files in `dir` so far (a page server's progress). */
async function pagesBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (f.startsWith('pages-')) n += (await fsp.stat(path.join(dir, f)).catch(() => ({ size: 0 }))).size;
  }
  return n;
}

/** Cuts this host's TCP connections to address:port (ss -K: the kernel aborts them; best effort). */
async function cutConnections(address: string, port: number): Promise<void> {
  await runTool('ss', ['-K', 'dst', bracketed(address), 'dport', '=', String(port)], { timeoutMs: 5_000 });
}

/** The source side: runs the moves the store asks of this member, one per instance at a time. */
export class Mover {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly me: string,
    private readonly store: ClusterStore,
    private readonly agent: Agent,
    private readonly peer: (member: string) => Promise<MigrationServiceClient>,
    /** Bulk bytes on a data link (data-link.ts) when given; else on the gRPC stream. */
    private readonly links?: DataLinks,
  ) {}

  /** Whether a move of `name` is being carried out here now. */
  busy(name: string): boolean {
    return this.running.has(name);
  }

  /** Starts the move `i.moving` asks for, unless one of this instance runs already. */
  ensure(i: InstanceIntent): void {
    if (!i.moving || this.running.has(i.name)) return;
    const p = this.run(i.name, i.moving.id, i.moving.to, i.moving.mode ?? 'cold', new MoveProgress(this.store, i.moving.operation, i.name)).finally(() => this.running.delete(i.name));
    this.running.set(i.name, p);
  }

  /** Resolves when no move runs here (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  private async run(name: string, id: string, to: string, mode: string, progress: MoveProgress): Promise<void> {
    const live: LiveState = { checkpointed: false, dumped: false, restoreAsked: false, ranThere: false };
    try {
      // A dump left frozen here by an earlier try of this move (this member died meanwhile):
      // thawed first, but only once the target it was sent to dropped its copy (it may have
      // been restored there: post-copy runs it while the memory comes).
      const earlier = readRestoreAsked(this.agent, name);
      if (earlier) {
        if (!(await this.dropRemote(earlier.to, name, earlier.id))) {
          await this.store.changeInstance(name, (x) => ({ ...x, fenced: { member: earlier.to, id: earlier.id } })).catch(() => undefined);
          throw new Error(`an earlier try of this move had asked ${earlier.to} to restore ${name}, and ${earlier.to} cannot confirm it dropped that copy: ${name} stays stopped here until it answers (never in two places)`);
        }
        clearRestoreAsked(this.agent, name);
        // Its frozen processes are gone too: this host went down (not only berthd) while the
        // target ran it. The memory is lost (post-copy: what the target had not pulled yet);
        // the move ends saying so, and the instance starts again here from its volume.
        if (this.agent.hasMoveDump(name) && (await this.agent.get(name)).status === 'Stopped') {
          await this.agent.thawDump(name);
          throw new Error(`${this.me} went down while ${earlier.to} had ${name} restored from its dump${mode === 'post-copy' ? ' and was pulling its memory (post-copy)' : ''}: its memory is lost; it starts again here from its volume`);
        }
      }
      if (await this.agent.thawDump(name)) process.stderr.write(`move of ${name}: thawed here, from an earlier try's dump\n`);
      const local = await this.agent.get(name);
      const running = local.status === 'Running' || local.status === 'Frozen';
      if ((mode === 'stop-and-copy' || mode === 'post-copy') && local.status === 'Running') {
        try {
          await this.sendLive(name, id, to, live, false, progress, mode);
        } catch (e) {
          // dir pools read the live folder with GNU tar, which gives up on a file that changes
          // while it is read: once more, frozen during the first pass (btrfs reads a snapshot).
          if (live.checkpointed || live.dumped || !/file changed as we read it/.test((e as Error).message)) throw e;
          await this.dropRemote(to, name, id);
          await this.sendLive(name, id, to, live, true, progress, mode);
        }
      } else {
        // Cold (also a live move tried again after its checkpoint: the images go along).
        if (running) {
          progress.phase('stop');
          await this.agent.stop(name, { force: false, timeoutMs: 30_000 });
        }
        await this.send(name, id, to, progress);
      }
      // The summary lands before the commit: the operation may end as soon as it commits.
      await progress.finish();
      if (!(await this.commit(name, id, to))) {
        const dropped = await this.dropRemote(to, name, id);
        await this.resume(name, id, to, live, dropped, 'the move was called off');
        if (dropped) clearRestoreAsked(this.agent, name);
        return;
      }
      clearRestoreAsked(this.agent, name);
    } catch (e) {
      await progress.finish();
      const dropped = await this.dropRemote(to, name, id);
      const st = toStatus(e);
      const error = `moving ${name} from ${this.me} to ${to}: ${st.details ?? String(e)}`;
      const code = grpc.status[st.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN';
      await this.resume(name, id, to, live, dropped, error, code);
      if (dropped || !live.restoreAsked) clearRestoreAsked(this.agent, name);
      return;
    } finally {
      if (!live.restoreAsked) clearRestoreAsked(this.agent, name);
    }
    await this.removeMovedCopy(name, id).catch(() => undefined); // else the reconciler does it
  }

  /**
   * After a failed or abandoned move: the instance goes on here. A live move that had
   * checkpointed restores it from its own images, unless the target may run it (fenced).
   */
  private async resume(name: string, id: string, to: string, live: LiveState, dropped: boolean, error: string, code?: string): Promise<void> {
    const fence = live.restoreAsked && !dropped;
    if (live.checkpointed && !fence) await this.agent.start(name).catch(() => undefined); // else the reconciler tries
    if (live.dumped && !fence) await this.agent.thawDump(name).catch(() => undefined); // (fenced: frozen until unfence)
    let said = fence ? `${error}; ${to} could not be reached to confirm it holds no copy: ${name} stays stopped here until it answers (never in two places)` : error;
    // Post-copy whose target ran it: its whole memory is still here (frozen); the target's
    // copy, killed when its pull broke, is dropped before this one is thawed.
    if (live.ranThere) said += `; it had run on ${to} for a moment (post-copy): it goes on here from where it was frozen${fence ? ' once that is confirmed' : ''}, and what it did on ${to} is lost`;
    await this.store.changeInstance(name, (x) => {
      const next: InstanceIntent = { ...x, fenced: fence ? { member: to, id } : x.fenced };
      if (code !== undefined && x.moving?.id === id) Object.assign(next, { moving: undefined, moveError: { id, error: said, code } });
      return next;
    }).catch(() => undefined);
  }

  /**
   * A fenced instance (see the contract): asks the member that may hold a copy to drop it.
   * True once it answered (the instance may run here again, and the fence is cleared).
   */
  async unfence(i: InstanceIntent): Promise<boolean> {
    const f = i.fenced;
    if (!f) return true;
    if (!(await this.dropRemote(f.member, i.name, f.id, 2_000))) return false;
    await this.agent.thawDump(i.name).catch(() => undefined); // a dump to a page server left it frozen
    await this.store.changeInstance(i.name, (x) => (x.fenced?.id === f.id ? { ...x, fenced: undefined } : x));
    return true;
  }

  /** One txn: the instance is the target's. False when the store abandoned this move. */
  private async commit(name: string, id: string, to: string): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const cur = await this.store.instance(name);
      if (!cur || cur.value.moving?.id !== id || cur.value.deleting || cur.value.location !== this.me) return false;
      const i = cur.value;
      const next: InstanceIntent = {
        ...i, location: to, moving: undefined, moveError: undefined, movedFrom: { member: this.me, id },
        // Back where an evacuation took it from: restored.
        evacuated: i.evacuated?.from === to ? undefined : i.evacuated,
      };
      if (await this.store.updateInstances([{ value: next, modRevision: cur.modRevision }])) return true;
    }
    throw new Error('the instance kept changing while the move was committed');
  }

  /**
   * After a committed move, the copy this member kept (it is the target's now). Called by the
   * reconciler for every intent with movedFrom = this member: level-triggered, so a source
   * that died after the commit finishes it when it comes back.
   */
  async removeMovedCopy(name: string, id: string): Promise<void> {
    const cur = await this.store.instance(name);
    if (!cur || cur.value.movedFrom?.id !== id || cur.value.location === this.me) return;
    if (!(await this.agent.dropIncoming(name))) {
      // Our own (settled) copy: it goes whatever state it is in; an incoming copy of another move stays.
      const here = await this.agent.get(name).catch(() => undefined);
      if (here && !here.incoming) await this.agent.delete(name, { force: true });
    }
    await this.store.changeInstance(name, (x) => (x.movedFrom?.id === id ? { ...x, movedFrom: undefined } : x));
  }

  /** Asks the target to drop its incoming copy of this move; true when it answered. */
  private async dropRemote(to: string, name: string, id: string, timeoutMs = 10_000): Promise<boolean> {
    try {
      const c = await this.peer(to);
      return await new Promise<boolean>((resolve) => c.DropIncoming({ instance: name, operationId: id }, { deadline: Date.now() + timeoutMs }, (e) => resolve(!e)));
    } catch {
      return false; // The target is away: its reconciler's sweep removes an unclaimed incoming copy.
    }
  }

  /** Whether this member and `to` both report the capability `feature` (featureNames). */
  private async bothHave(to: string, feature: string): Promise<boolean> {
    const live = await this.store.live().catch(() => undefined);
    return !!live && [this.me, to].every((m) => (live.get(m)?.features ?? []).includes(feature));
  }

  /** The volume formats this member's pool can send, best first (its own, then tar). */
  private volumeFormats(): string[] {
    const native = this.agent.pool.streamFormats().native;
    return native === 'tar' ? ['tar'] : [native, 'tar'];
  }

  /** The volume stream in the format the target took (exportInstance's tar stream is lazy: unread, it is dropped). */
  private volumeIn(name: string, format: string, tar: Readable): Readable {
    if (format === 'tar') return tar;
    tar.destroy();
    return this.agent.pool.export(name, { format: format as import('../storage/types').StreamFormat });
  }

  /** Streams the (stopped) instance to `to`; resolves once the target has it whole. */
  private async send(name: string, id: string, to: string, progress: MoveProgress): Promise<void> {
    const exp = await this.agent.exportInstance(name, 'tar');
    const s = new MigrationStream(await this.peer(to), to, this.links, (n) => progress.add(n));
    progress.phase('volume');
    progress.totalOf('volume', exp.volumeDir);
    try {
      await s.open({ operationId: id, instance: name, mode: 'cold', config: exp.record.config, volumeFormat: 'tar', volumeFormats: this.volumeFormats(), recordJson: JSON.stringify(exp.record), sourceMember: this.me, checkpoints: !!exp.checkpoints });
      exp.volume = this.volumeIn(name, s.volumeFormat, exp.volume);
      await s.chunks('volume', exp.volume);
      if (exp.checkpoints) {
        progress.phase('images');
        progress.totalOf('images', exp.checkpoints);
        await s.tool('checkpoint', tarOfCheckpoints(exp.checkpoints));
      }
      await s.end();
      await s.phase('received');
      process.stderr.write(`cold move ${name} to ${to} (volume as ${s.volumeFormat}${s.linked ? ', on a data link' : ''}): sent ${mib(s.bytes)}\n`);
    } catch (e) {
      throw await s.cancel(e);
    } finally {
      s.close();
      exp.volume.destroy();
    }
  }

  /** A live move (stop-and-copy or post-copy, see the header); resolves once the target runs it (post-copy: with all its memory). */
  private async sendLive(name: string, id: string, to: string, live: LiveState, freeze: boolean, progress: MoveProgress, mode: 'stop-and-copy' | 'post-copy' = 'stop-and-copy'): Promise<void> {
    this.agent.prepareCriu();
    await prepareRestoreAsked(this.agent, name);
    const before = await walkVolume(await this.agent.pool.volumePath(name));
    // `freeze`: frozen while the first pass is read (see run()).
    if (freeze) await this.agent.freeze(name);
    let frozen = freeze;
    const exp = await this.agent.exportInstance(name, 'tar', { live: true, frozen }).catch(async (e: unknown) => {
      if (frozen) await this.agent.unfreeze(name);
      throw e;
    });
    const s = new MigrationStream(await this.peer(to), to, this.links, (n) => progress.add(n));
    progress.phase('volume', manifestBytes(before));
    let serving: LazyServing | undefined;
    try {
      await s.open({ operationId: id, instance: name, mode, config: exp.record.config, volumeFormat: 'tar', volumeFormats: this.volumeFormats(), recordJson: JSON.stringify(exp.record), sourceMember: this.me, checkpoints: true });
      if (mode === 'post-copy' && !s.linked) throw new FailedPreconditionError(`a post-copy move needs a data link to ${to} (its memory is served from here while it runs there)`);
      exp.volume = this.volumeIn(name, s.volumeFormat, exp.volume);
      await s.chunks('volume', exp.volume);
      await s.phase('volume');
      if (frozen) await this.agent.unfreeze(name);
      frozen = false;
      // Still running: the target starts its page server (if both members have one), or
      // (post-copy) this member serves the memory from its own.
      const lazy = mode === 'post-copy' ? await s.lazyServe(this.links!, criuTlsFiles(this.agent.dataDir)) : undefined;
      const pageServer = !lazy && s.linked && pageServerWanted() && (await this.bothHave(to, 'criu-page-server')) ? await s.pageServer(criuTlsFiles(this.agent.dataDir)) : undefined;
      progress.phase('checkpoint');
      const t0 = performance.now();
      if (migrationTestFault(this.agent.dataDir, 'dump')) throw new InternalError(`checkpoint of ${name} failed on ${this.me}: CRIU dump refused (test fault: BERTH_TEST_MIGRATION_FAULT)`);
      // On a data link the memory goes while CRIU writes it (pages-tail.ts); the folder is
      // emptied first (runc's checkpoint would, a moment later) so only this dump is followed.
      const stopDir = path.join(this.agent.checkpointsDir(name), 'stop');
      let tail: PagesTail | undefined;
      if (s.linked && !pageServer && pagesDuringDump()) {
        await fsp.rm(stopDir, { recursive: true, force: true });
        tail = new PagesTail(stopDir, (file, offset, data) => s.pages(file, offset, data));
        tail.start();
      }
      // The volume's last changes: walked once the instance is frozen, and sent (delta frames,
      // then a tar of the changed files) while CRIU still dumps to a page server, else after.
      const walk = async (): Promise<{ delta: ReturnType<typeof volumeDelta>; walkMs: number; start: number }> => {
        const start = performance.now();
        const delta = volumeDelta(before, await walkVolume(exp.volumeDir));
        return { delta, walkMs: performance.now() - start, start };
      };
      const send = async (w: Awaited<ReturnType<typeof walk>>): Promise<{ changed: number; walkMs: number; ms: number }> => {
        await s.delta(w.delta.removed);
        await s.tool('volume', await tarOf(exp.volumeDir, w.delta.changed, path.join(this.agent.dataDir, `.migrate-${id}.list`)));
        return { changed: w.delta.changed.length, walkMs: w.walkMs, ms: performance.now() - w.start };
      };
      let early: Promise<{ changed: number; walkMs: number; ms: number }> | undefined;
      // When and how the instance was frozen: from then on it is down.
      let froze: { at: number; by: FrozenBy } | undefined;
      const onFrozen = (by: FrozenBy): void => {
        froze = { at: performance.now(), by };
        early = walk().then(send);
        early.catch(() => undefined);
      };
      try {
        // To a page server the instance is dumped and left frozen here (its memory is only
        // there): it runs on here, thawed, until the target runs it. Post-copy: dumped without
        // its memory, which CRIU serves from here, frozen, until the target has it all. Else a
        // stateful stop.
        if (lazy) {
          serving = await this.agent.dumpLazy(name, lazy, onFrozen);
        } else if (pageServer) {
          await s.whileDumping(pageServer, () => this.agent.dumpFrozen(name, pageServer, onFrozen));
        } else await this.agent.stop(name, { stateful: true });
      } catch (e) {
        tail?.stop();
        // (A delta under way ends with the stream, which the failure closes.)
        throw new InternalError(`checkpoint of ${name} failed on ${this.me}: ${(e as Error).message}`, { cause: e });
      }
      if (pageServer || lazy) live.dumped = true;
      else live.checkpointed = true;
      const t1 = performance.now();
      // Without a page server the walk comes first: beside the pages' tail it waits behind its reads.
      const walked = early ? undefined : await walk();
      const sums = tail?.finish();
      sums?.catch(() => undefined);
      progress.phase('images');
      progress.totalOf('images', this.agent.checkpointsDir(name), s.pageBytes);
      const delta = await (early ?? send(walked!));
      const tDelta = performance.now();
      if (lazy) await s.lazy(lazy);
      // From its last checkpoint chunk on, the target may restore it: a frozen dump here is
      // then thawed only once the target dropped its copy, even by a restarted berthd.
      if (live.dumped) await writeRestoreAsked(this.agent, name, { to, id });
      live.restoreAsked = true;
      // (Not what a lazy dump still serving keeps beside its images: its work folder, its process group.)
      const exclude = [`./${CHECKPOINT_FILE_POOL}`, `./${MOVE_DUMP}.pool`, ...(tail ? ['./stop/pages-*.img'] : []), ...(lazy ? [`./${MOVE_DUMP}.work`, `./${MOVE_DUMP}.pgid`] : [])];
      await s.tool('checkpoint', tarOfCheckpoints(this.agent.checkpointsDir(name), exclude, pageServer || lazy ? { from: MOVE_DUMP, to: 'stop' } : undefined));
      const tImages = performance.now();
      // On a link the target waits for the pages' sums (none when they went in the tar).
      if (s.linked) await s.pagesEnd(sums ? await sums : []);
      const tSums = performance.now();
      await s.end();
      await s.phase('restore');
      const steps = `delta ${Math.round(tDelta - t1)}${early ? ` after the dump (${Math.round(delta.ms)} in all, sent during it)` : ''} (walk ${Math.round(delta.walkMs)}), other images ${Math.round(tImages - tDelta)}, pages' tail and sums ${Math.round(tSums - tImages)}, target applying ${Math.round(performance.now() - tSums)} ms`;
      progress.phase('restore');
      const t2 = performance.now();
      await s.phase('running');
      if (lazy) live.ranThere = true;
      const t3 = performance.now();
      // One line per live move on berthd's stderr: where its downtime went (bench:migration reads it).
      const how = lazy ? ', post-copy: memory served from here' : pageServer ? ', pages to the target\'s CRIU page server' : '';
      const dumped = lazy ? 'without its memory' : pageServer ? 'the pages written by CRIU to the target' : `${mib(s.pageBytes)} of pages sent meanwhile${tail?.resent ? `, ${mib(tail.resent)} sent again` : ''}`;
      process.stderr.write(`live move ${name} to ${to} (volume as ${s.volumeFormat}${how}): checkpoint ${Math.round(t1 - t0)} ms (${froze ? `frozen ${Math.round(froze.at - t0)} ms into it, ${froze.by === 'criu' ? 'as CRIU froze it' : 'paused first'}; ` : ''}${dumped}), delta ${delta.changed} files + images sent ${Math.round(t2 - t1)} ms (${steps}), restore ${Math.round(t3 - t2)} ms\n`);
      if (serving) {
        // Post-copy: the target runs it; the move is done once the target says every page
        // arrived (CRIU's own word is not enough: see checkpointLazy). The frozen processes
        // here are removed with this copy after the commit.
        progress.phase('memory');
        const served = serving.served;
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            s.phase('pulled'),
            served.then(() => new Promise<never>(() => undefined)), // a good end here says nothing; a bad one fails
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`not all of its memory was pulled within ${LAZY_SERVE_MS / 1000} s`)), LAZY_SERVE_MS);
            }),
          ]);
        } catch (e) {
          throw new InternalError(`post-copy of ${name}: the memory transfer to ${to} broke after ${to} had restored it: ${(e as Error).message}`, { cause: e });
        } finally {
          clearTimeout(timer);
        }
        // CRIU ends its session once the target is done; should it not (30 s), it is ended.
        const ended = await Promise.race([served.then(() => true, (e: Error) => {
          process.stderr.write(`live move ${name} to ${to}: CRIU's page server here ended with an error after the target had every page: ${e.message}\n`);
          return true;
        }), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000).unref())]);
        if (!ended) {
          serving.kill();
          process.stderr.write(`live move ${name} to ${to}: CRIU's page server here had not ended 30 s after the target had every page: killed\n`);
        }
        process.stderr.write(`live move ${name} to ${to}: all its memory pulled ${Math.round(performance.now() - t3)} ms after the restore\n`);
      }
    } catch (e) {
      if (frozen) await this.agent.unfreeze(name).catch(() => undefined);
      // A lazy dump still serving (the target never ran it, or broke off): ended. CRIU thawed
      // the cgroup while it serves and a killed CRIU lets the processes go, so they are frozen
      // first: they stay so until resume() knows the target holds no copy (a cut link leaves
      // the target's copy waiting on its page faults, not gone).
      if (serving) {
        await this.agent.freeze(name).catch(() => undefined);
        serving.kill();
        await serving.served.catch(() => undefined);
      }
      throw await s.cancel(e);
    } finally {
      s.close();
      exp.volume.destroy();
    }
  }
}

/**
 * What a live move did to the instance here, for a failure's resume: a stateful stop
 * (checkpointed: restored from its images), a dump to a page server (dumped: frozen here,
 * thawed), and whether the target was asked to restore it (then it may run there: fenced).
 */
interface LiveState {
  checkpointed: boolean;
  dumped: boolean;
  restoreAsked: boolean;
  /** Post-copy: the target ran it (its memory was still coming from here). */
  ranThere: boolean;
}

/** Bytes of the files a walk saw (a tar of them is a little more). */
function manifestBytes(m: { entries: Map<string, { sig: string; type: string }> }): number {
  let n = 0;
  for (const e of m.entries.values()) if (e.type === 'f') n += Number(e.sig.split(':')[1] ?? 0);
  return n;
}

const mib = (n: number): string => `${(n / 1048576).toFixed(1)}MiB`;

/**
 * A move's progress, in the metadata of the operation that asked for it (MoveIntent.operation),
 * under `move.<instance>.`: `phase` (now), `bytes`, `total`, `rate_bps`, `eta_s` (the phase's
 * transfer), `phases` (those done: "volume 1.20s 12.0MiB; checkpoint 0.44s; ..."). Written
 * when a phase starts and at most once a second between; best effort (a write that loses a
 * race with another writer of the record is dropped), but the last one is retried.
 */
export class MoveProgress {
  private phaseName = '';
  private phaseAt = 0;
  private bytes = 0;
  private total = 0;
  private readonly done: string[] = [];
  private lastWrite = 0;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(private readonly store: ClusterStore, private readonly operation: string | undefined, private readonly name: string) {}

  /** Ends the phase in progress (recording its time and bytes) and starts `phase`. */
  phase(phase: string, total = 0): void {
    this.close();
    this.phaseName = phase;
    this.phaseAt = performance.now();
    this.bytes = 0;
    this.total = total;
    this.flush(true);
  }

  /**
   * The phase's total, from a walk of `dir` (less `sent` earlier) done beside the transfer: the
   * total only feeds the ETA, so nothing waits for the walk (dropped if the phase is over).
   */
  totalOf(phase: string, dir: string, sent = 0): void {
    walkVolume(dir).then((m) => {
      if (this.phaseName === phase) this.total = Math.max(0, manifestBytes(m) - sent);
    }, () => undefined);
  }

  /** Bytes of this phase sent. */
  add(n: number): void {
    this.bytes += n;
    this.flush(false);
  }

  /** What was done, phase by phase ("volume 1.20s 12.0MiB; checkpoint 0.44s"). */
  summary(): string {
    return this.done.join('; ');
  }

  /** Ends the last phase and writes the summary (waits for it, a few tries). */
  async finish(): Promise<void> {
    if (this.phaseName === 'done') return;
    this.close();
    this.phaseName = 'done';
    // A compare that lost to another write (one of ours still in flight, a read of a record
    // this member had not caught up with yet) is tried again, a moment later.
    for (let i = 0; i < 20; i++) {
      await this.writing;
      if (await this.write()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private close(): void {
    if (!this.phaseName || this.phaseName === 'done') return;
    const secs = (performance.now() - this.phaseAt) / 1000;
    this.done.push(`${this.phaseName} ${secs.toFixed(2)}s${this.bytes > 0 ? ` ${mib(this.bytes)}` : ''}`);
    this.phaseName = '';
  }

  private flush(now: boolean): void {
    if (!this.operation) return;
    if (this.writing) {
      this.dirty ||= now;
      return;
    }
    if (!now && Date.now() - this.lastWrite < 1000) return;
    this.lastWrite = Date.now();
    this.writing = this.write().then(() => undefined).finally(() => {
      this.writing = undefined;
      if (this.dirty) {
        this.dirty = false;
        this.flush(true);
      }
    });
  }

  /** One compare-and-put of the metadata; true when it landed (or there is nothing to write to). */
  private async write(): Promise<boolean> {
    if (!this.operation) return true;
    try {
      const cur = await this.store.operation(this.operation);
      if (!cur || cur.value.status !== 'running') return !!cur;
      const k = `move.${this.name}.`;
      const secs = Math.max(0.001, (performance.now() - this.phaseAt) / 1000);
      const rate = this.bytes / secs;
      const m: Record<string, string> = { ...cur.value.metadata, [`${k}phase`]: this.phaseName, [`${k}phases`]: this.summary() };
      for (const f of ['bytes', 'total', 'rate_bps', 'eta_s']) delete m[k + f];
      if (this.phaseName !== 'done' && this.bytes > 0) {
        Object.assign(m, { [`${k}bytes`]: String(this.bytes), [`${k}total`]: String(Math.max(this.total, this.bytes)), [`${k}rate_bps`]: String(Math.round(rate)), [`${k}eta_s`]: (rate > 0 ? Math.max(0, (this.total - this.bytes) / rate) : 0).toFixed(1) });
      }
      return await this.store.changeOperation({ ...cur.value, metadata: m, updatedAtUnixMs: Date.now() }, cur.modRevision);
    } catch {
      return false;
    }
  }
}

/**
 * The source's end of one Migrate call: frames written with flow control, the target's
 * phases awaited; a stall of STALL_MS, the target's `failed` or a broken stream fail it.
 */
class MigrationStream {
  private readonly call: grpc.ClientDuplexStream<MigrationFrame, MigrationPhase__Output>;
  private last = Date.now();
  private readonly seen: MigrationPhase__Output[] = [];
  private failure: Error | undefined;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly stall: NodeJS.Timeout;
  /** The data link, once the target offered one (then every frame after the header goes there). */
  private link: FrameWriter | undefined;
  /** The link broke (the target's own reason, when it gave one, is reported instead). */
  private linkError: Error | undefined;
  private socket: import('node:tls').TLSSocket | undefined;

  constructor(client: MigrationServiceClient, private readonly to: string, private readonly links?: DataLinks, private readonly onBytes?: (n: number) => void) {
    this.call = client.Migrate();
    this.call.on('data', (p: MigrationPhase__Output) => {
      this.last = Date.now();
      this.seen.push(p);
      if (p.phase === 'failed') this.failure ??= Object.assign(new Error(`${to} refused it: ${p.error}`), { code: grpc.status[p.code as keyof typeof grpc.status] ?? grpc.status.UNKNOWN });
      this.wake();
    });
    this.call.on('error', (e: grpc.ServiceError) => {
      this.failure ??= new Error(e.code === grpc.status.UNAVAILABLE ? `member ${to} cannot be reached (${e.details})` : e.details || e.message);
      this.closed = true;
      this.wake();
    });
    this.call.on('end', () => {
      this.closed = true;
      this.wake();
    });
    this.stall = setInterval(() => {
      if (Date.now() - this.last > STALL_MS) {
        this.failure ??= new Error(`no progress from ${to} for ${STALL_MS / 1000} s (link cut?)`);
        this.call.cancel();
        this.socket?.destroy();
        this.wake();
      }
    }, 1000);
  }

  /**
   * Sends the header and waits for the target's `accepted`; with data links, connects to the
   * link it offers (a target that offers none gets the frames on this stream).
   */
  async open(header: NonNullable<MigrationFrame['header']>): Promise<void> {
    this.write({ header: { ...header, dataLink: !!this.links } });
    await this.phase('accepted');
    const offer = this.seen.find((p) => p.phase === 'accepted');
    this.volumeFormat = offer?.volumeFormat || 'tar';
    if (!(header.volumeFormats ?? ['tar']).includes(this.volumeFormat) && this.volumeFormat !== 'tar') throw new Error(`${this.to} took volume format "${this.volumeFormat}", which was not offered`);
    if (!this.links || !offer?.linkTicket) return;
    try {
      this.socket = await dial({ address: offer.linkAddress, ticket: offer.linkTicket }, this.links.pki);
    } catch (e) {
      throw new Error(`member ${this.to}: ${(e as Error).message}`);
    }
    this.socket.on('error', (e) => {
      this.linkError ??= new Error(`the data link to ${this.to} broke: ${e.message}`);
      this.wake();
    });
    this.link = new FrameWriter(this.socket);
  }

  /** The volume format the target took (`accepted`); tar when it said none. */
  volumeFormat = 'tar';

  /** Whether the frames go on a data link (then pages may be sent while CRIU dumps). */
  get linked(): boolean {
    return !!this.link;
  }

  /** Page bytes sent so far (pages-tail.ts). */
  pageBytes = 0;
  /** Volume and checkpoint bytes sent so far. */
  bytes = 0;

  /**
   * Asks the target for a CRIU page server for the dump to come (data link only): where the
   * dump sends its pages, or undefined when the target could not start one (then the pages go
   * as before). The server's name is checked when its certificate names that host.
   */
  async pageServer(tls: CriuTls): Promise<PageServerTarget | undefined> {
    this.check();
    await this.link!.frame(K_PAGE_SERVER, Buffer.alloc(0));
    this.last = Date.now();
    await this.phase('page-server');
    const said = this.seen.find((p) => p.phase === 'page-server');
    if (!said?.linkAddress) return undefined;
    const { host, port } = splitAddress(said.linkAddress);
    const san = (this.socket?.getPeerCertificate().subjectaltname ?? '').split(', ');
    return { address: host, port, tls, verifyName: san.includes(`IP Address:${host}`) || san.includes(`DNS:${host}`) };
  }

  /**
   * Post-copy: where this member's lazy dump will serve the memory (a free port on the address
   * of its own data-link listener, which the target reaches), with this member's TLS files.
   * The target checks the name in this member's certificate when it names that host.
   */
  async lazyServe(links: DataLinks, tls: CriuTls): Promise<PageServerTarget> {
    this.check();
    const { host } = splitAddress(links.listener.address);
    const port = await freePort(host);
    const san = (this.socket?.getCertificate() as { subjectaltname?: string } | null)?.subjectaltname?.split(', ') ?? [];
    return { address: host, port, tls, verifyName: san.includes(`IP Address:${host}`) || san.includes(`DNS:${host}`) };
  }

  /** Post-copy: tells the target where the memory is served (before the images: it restores after them). */
  async lazy(ps: PageServerTarget): Promise<void> {
    this.check();
    await this.link!.frame(K_LAZY, Buffer.from(JSON.stringify({ address: ps.address, port: ps.port, verifyName: ps.verifyName })));
  }

  /**
   * Runs `dump` (to the page server `ps`); should the move fail meanwhile (the target's word, a
   * broken link, a stall), CRIU's own connection to that server is cut (`ss -K`), so its dump
   * fails at once instead of waiting for TCP to give up on a cut link (minutes).
   */
  async whileDumping<T>(ps: PageServerTarget, dump: () => Promise<T>): Promise<T> {
    let over = false;
    const watch = (async (): Promise<void> => {
      while (!over) {
        if (this.failure || this.linkError || this.closed) {
          await cutConnections(ps.address, ps.port);
          return;
        }
        await Promise.race([this.changed(), new Promise((r) => setTimeout(r, 1000))]);
      }
    })();
    try {
      return await dump();
    } finally {
      over = true;
      this.wake();
      await watch;
    }
  }

  /** Bytes of a pages file of the dump in progress (data link only). */
  async pages(file: string, offset: number, data: Buffer): Promise<void> {
    this.check();
    await this.link!.frame(K_PAGES, encodePages(file, offset, data));
    this.pageBytes += data.length;
    this.last = Date.now();
    this.onBytes?.(data.length);
  }

  /** The pages files' sizes and CRC-32s, once every byte of them is sent. */
  async pagesEnd(sums: PagesFileSum[]): Promise<void> {
    this.check();
    await this.link!.frame(K_PAGES_END, Buffer.from(JSON.stringify(sums)), true);
  }

  /** Live: the paths gone from the volume since its first pass. */
  async delta(removed: string[]): Promise<void> {
    if (!this.link) return this.write({ delta: { removedPaths: removed } });
    this.check();
    await this.link.frame(K_DELTA, Buffer.from(JSON.stringify(removed)), true);
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const w = (): void => { this.waiters.delete(w); resolve(); };
      this.waiters.add(w);
    });
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.linkError) throw this.linkError;
    if (this.closed) throw new Error(`${this.to} ended the transfer without an answer`);
  }

  write(f: MigrationFrame): void {
    this.check();
    this.call.write(f);
    this.last = Date.now();
  }

  private async writeFlow(f: MigrationFrame): Promise<void> {
    this.check();
    if (!this.call.write(f)) await Promise.race([once(this.call, 'drain'), this.changed()]);
    this.check();
    this.last = Date.now();
  }

  /** A byte stream as DataChunks of `kind` (offsets from 0, the last one marked). */
  async chunks(kind: 'volume' | 'checkpoint', data: AsyncIterable<unknown>): Promise<void> {
    let offset = 0;
    let pieces: Buffer[] = [];
    let have = 0;
    const flush = async (b: Buffer, last: boolean): Promise<void> => {
      if (this.link) {
        this.check();
        await this.link.frame(kind === 'volume' ? K_VOLUME : K_CHECKPOINT, b, last);
        this.last = Date.now();
      } else {
        await this.writeFlow({ [kind]: { offset, data: b, crc32c: crc32(b), last } });
      }
      offset += b.length;
      this.bytes += b.length;
      this.onBytes?.(b.length);
    };
    for await (const piece of data) {
      pieces.push(piece as Buffer);
      have += (piece as Buffer).length;
      if (have < CHUNK) continue;
      let pending = Buffer.concat(pieces, have);
      while (pending.length >= CHUNK) {
        await flush(pending.subarray(0, CHUNK), false);
        pending = pending.subarray(CHUNK);
      }
      pieces = pending.length ? [pending] : [];
      have = pending.length;
    }
    await flush(Buffer.concat(pieces, have), true);
  }

  /** A tool's output (tar) as chunks; its failure fails the move. */
  async tool(kind: 'volume' | 'checkpoint', t: { data: Readable; done: () => Promise<void> }): Promise<void> {
    const done = t.done();
    done.catch(() => undefined);
    try {
      await this.chunks(kind, t.data);
    } catch (e) {
      t.data.destroy();
      throw e;
    }
    await done;
  }

  /** The source's last frame is written (on the link: handed to the kernel). */
  async end(): Promise<void> {
    if (this.link) {
      this.check();
      await this.link.end();
    }
    this.call.end();
  }

  /** Waits for the target's phase `want` (a `failed`, a broken or stalled stream throw). */
  async phase(want: string): Promise<void> {
    for (;;) {
      if (this.seen.some((p) => p.phase === want)) return;
      this.check();
      await this.changed();
    }
  }

  /** Stops watching for stalls (the call is over, either way). */
  close(): void {
    clearInterval(this.stall);
    this.socket?.destroy();
  }

  /** Ends the call after a failure; answers the error to report (the target's own, if it said). */
  async cancel(e: unknown): Promise<Error> {
    // A target that fails closes its end of the link at once: its own reason (the `failed`
    // phase on the call) may come a moment after the broken link; wait for it a little.
    const until = Date.now() + 2000;
    while (this.link && !this.failure && !this.closed && Date.now() < until) await Promise.race([this.changed(), new Promise((r) => setTimeout(r, 100))]);
    this.close();
    this.call.cancel();
    return this.failure ?? this.linkError ?? (e instanceof Error ? e : new Error(String(e)));
  }
}

/**
 * The target side, served on the members' mutual-TLS listener: takes an instance streamed by
 * a source member and makes it here, marked incoming (Agent.importInstance): stopped (cold),
 * or restored and running (stop-and-copy).
 */
/** How a target says, in the move's operation, that a post-copy pull broke (cluster-member.ts noteMoveWarning). */
export type MoveWarning = (name: string, moveId: string, why: string) => Promise<void>;

/** A post-copy pull that broke is told in the move's operation when the move is still open this long after (its source alive ends it sooner). */
const PULL_BROKEN_WARN_MS = 5_000;

export function migrationHandlers(agent: Agent, links?: DataLinks, warn?: MoveWarning): MigrationServiceHandlers {
  sweepPageServers(agent.dataDir);
  const Migrate: grpc.handleBidiStreamingCall<MigrationFrame__Output, MigrationPhase> = (call) => {
    /** What the next frames are: the first volume pass, the delta, its files, the images, nothing. */
    let expect: 'header' | 'volume' | 'delta' | 'changes' | 'checkpoint' | 'done' = 'header';
    let mode = 'cold';
    let name = '';
    let moveId = '';
    let withCheckpoints = false;
    const pass1 = new PassThrough({ highWaterMark: 4 * CHUNK });
    pass1.on('error', () => undefined); // the import's failure is what is reported
    let importing: Promise<void> | undefined;
    let sink: SectionSink | undefined;
    /** Live: empty files for the images (made while the volume comes; undefined until then). */
    let filePool: FilePool | undefined;
    let poolMaking: Promise<FilePool> | undefined;
    let offset = 0;
    let answered = false;
    let work: Promise<void> = Promise.resolve();
    /** The data link the source took (frames after the header come on it, CRC-checked by readFrames). */
    let linked: import('node:tls').TLSSocket | undefined;
    let offered: import('./data-link').LinkOffer | undefined;
    /** Live on a data link: pages come while the source dumps, their sums at the end (pages-tail.ts). */
    let pages: PagesSink | undefined;
    let pagesChecked = false;
    let restoreAfterPages = false;
    /** Live on a data link: the CRIU page server the source's dump writes the pages to. */
    let pageServer: PageServer | undefined;
    /** Post-copy: where the source serves the memory (K_LAZY). */
    let lazyFrom: PageServerTarget | undefined;
    const answer = (p: MigrationPhase): void => {
      if (answered) return;
      // (Post-copy: `running` is followed by `pulled` once its memory is all here.)
      if (p.phase === 'received' || (p.phase === 'running' && mode !== 'post-copy') || p.phase === 'pulled' || p.phase === 'failed') answered = true;
      call.write(p);
      if (answered) call.end();
    };
    const ok = (phase: string): void => answer({ phase, error: '', code: '' });
    /** Whatever this call made here goes (the import's own revert, then the copy). */
    const cleanUp = async (): Promise<void> => {
      pageServer?.stop();
      await pages?.close();
      if (offered) links?.listener.cancel(offered);
      linked?.destroy();
      pass1.destroy();
      sink?.abort();
      await poolMaking?.then((p) => p.dispose()).catch(() => undefined);
      if (importing) await importing.catch(() => undefined);
      if (moveId) await agent.dropIncoming(name, moveId).catch(() => undefined);
    };
    const fail = (e: unknown): void => {
      if (answered) return;
      const st = toStatus(e);
      void cleanUp().finally(() => answer({ phase: 'failed', error: st.details ?? String(e), code: grpc.status[st.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN' }));
    };
    const chunk = (c: { offset: number | string; data: Buffer; crc32c: number }, field: string): Buffer => {
      if (Number(c.offset) !== offset) throw new InvalidArgumentError(`${field}.offset`, `${c.offset}, expected ${offset}`);
      if (!linked && crc32(c.data) !== c.crc32c) throw new InvalidArgumentError(`${field}.crc32c`, `chunk at ${c.offset} is corrupt`);
      offset += c.data.length;
      return c.data;
    };
    const finish = async (): Promise<void> => {
      expect = 'done';
      if (mode === 'cold') return ok('received');
      ok('restore');
      if (migrationTestFault(agent.dataDir, 'restore')) await fsp.rm(path.join(agent.checkpointsDir(name), 'stop', 'inventory.img'), { force: true });
      if (mode === 'post-copy' && !lazyFrom) throw new InvalidArgumentError('lazy', 'a post-copy move whose source did not say where its memory is served');
      try {
        if (lazyFrom) {
          // Post-copy: it runs once restored; its memory keeps coming from the source. Should
          // that break, the agent kills it here (its memory is not whole) and the source,
          // whose move then fails, drops this copy.
          const from = lazyFrom;
          const { pulled } = await agent.startLazy(name, from);
          ok('running');
          const beat = setInterval(() => ok('memory'), 1000);
          try {
            await pulled;
          } catch (e) {
            // A source alive fails (or takes up again) the move within seconds; one whose host
            // is gone cannot: then the move's operation says it now, not when that member is back.
            const id = moveId;
            const why = (e as Error).message;
            if (warn) setTimeout(() => { void warn(name, id, why).catch(() => undefined); }, PULL_BROKEN_WARN_MS).unref();
            throw new InternalError(`the memory of ${name} did not all arrive from ${joinAddress(from.address, from.port)} (its processes were killed here): ${(e as Error).message}`, { cause: e });
          } finally {
            clearInterval(beat);
          }
          process.stderr.write(`post-copy of ${name}: all its memory arrived from ${joinAddress(from.address, from.port)}\n`);
          ok('pulled');
          return;
        }
        await agent.start(name); // restores the images of the source's checkpoint
      } catch (e) {
        if (e instanceof InternalError && /did not all arrive/.test(e.message)) throw e;
        throw new InternalError(`restore of ${name} failed on this member: ${(e as Error).message}`, { cause: e });
      }
      ok('running');
    };
    /** The instance's checkpoints folder, emptied (the source sends all of it) but for the file pool. */
    let emptying: Promise<void> = Promise.resolve();
    const freshCheckpoints = (): Promise<void> => {
      emptying = emptying.catch(() => undefined).then(async () => {
        const dir = agent.checkpointsDir(name);
        await fsp.mkdir(dir, { recursive: true, mode: 0o711 });
        for (const n of await fsp.readdir(dir)) if (n !== CHECKPOINT_FILE_POOL) await fsp.rm(path.join(dir, n), { recursive: true, force: true });
      });
      return emptying;
    };
    /** The source asks for a page server (K_PAGE_SERVER): started, its address answered ('' when it could not). */
    const startPageServer = async (): Promise<void> => {
      if (expect !== 'delta' || pageServer || pages) throw new InvalidArgumentError('page server', `not expected here (${expect === 'done' ? 'nothing' : expect} is)`);
      await freshCheckpoints();
      const dir = path.join(agent.checkpointsDir(name), 'stop');
      await fsp.mkdir(dir, { mode: 0o700 });
      const host = hostOf(links!.listener.address);
      try {
        pageServer = await servePages(dir, path.join(agent.dataDir, `.page-server-${moveId}`), { address: host, tls: criuTlsFiles(agent.dataDir) });
      } catch (e) {
        process.stderr.write(`move of ${name}: no page server here (${(e as Error).message}); the source sends the pages\n`);
        return answer({ phase: 'page-server', error: (e as Error).message, code: '', linkAddress: '' });
      }
      // A server that fails (its disk full, the source gone mid-dump) fails the move at once:
      // the source's dump fails too (its instance runs on) and reports this reason. While it
      // receives, the source hears from us each second (its stall timer); a server that gets
      // nothing new for STALL_MS (a cut link: TCP alone would wait for minutes) is ended.
      const ps = pageServer;
      let stalled = false;
      let seen = -1;
      let seenAt = Date.now();
      const beat = setInterval(() => {
        void pagesBytes(dir).then((n) => {
          if (n !== seen) [seen, seenAt] = [n, Date.now()];
          else if (Date.now() - seenAt > STALL_MS) {
            stalled = true;
            ps.stop();
          }
          ok('pages');
        });
      }, 1000);
      ps.done.finally(() => clearInterval(beat)).catch((e: Error) => fail(new InternalError(`the memory pages did not arrive whole: ${stalled ? `no pages from the source's dump for ${STALL_MS / 1000} s (link cut?)` : e.message}`, { cause: e })));
      answer({ phase: 'page-server', error: '', code: '', linkAddress: joinAddress(host, pageServer.port) });
    };
    /**
     * The data link broke or ended early. While a page server receives, its own failure (its
     * disk full) is what made the source's dump fail and drop the link, and it is the reason to
     * give: its exit is seen a little after the link's end (a race, seen in CI under load).
     */
    const linkBroke = async (e: unknown): Promise<void> => {
      const ps = pageServer;
      // (Only once pages came: a dump that failed before sending any leaves the server waiting.)
      if (ps && !answered && (await pagesBytes(path.join(agent.checkpointsDir(name), 'stop')).catch(() => 0)) > 0) {
        const why = await Promise.race([ps.done.then(() => undefined, (x: Error) => x), new Promise<undefined>((r) => setTimeout(() => r(undefined), PAGE_SERVER_GRACE_MS))]);
        if (why) return fail(new InternalError(`the memory pages did not arrive whole: ${why.message}`, { cause: why }));
      }
      fail(e);
    };
    /** After the dump: the page server must have ended its session well; its files get the images' owner and mode. */
    const pageServerDone = async (): Promise<void> => {
      if (!pageServer) return;
      try {
        await pageServer.done;
      } catch (e) {
        throw new InternalError(`the memory pages did not arrive whole: ${(e as Error).message}`, { cause: e });
      } finally {
        pageServer.stop(); // (it has exited: its work folder goes)
      }
      const dir = path.join(agent.checkpointsDir(name), 'stop');
      await ownLike(dir, (await fsp.readdir(dir)).filter((f) => /^page(s|map)-\d+\.img$/.test(f)), path.join(dir, 'inventory.img'));
    };
    /** A pages frame (K_PAGES) or their sums (K_PAGES_END) of a live move on a data link. */
    const pageFrame = async (kind: number, data: Buffer): Promise<void> => {
      if (mode === 'cold' || expect === 'header' || expect === 'volume' || expect === 'done') throw new InvalidArgumentError('pages', `memory pages are not expected here (${expect === 'done' ? 'nothing' : expect} is)`);
      if (kind === K_PAGES) {
        if (pagesChecked) throw new InvalidArgumentError('pages', 'more pages after their sums');
        if (!pages) {
          await freshCheckpoints();
          pages = new PagesSink(path.join(agent.checkpointsDir(name), 'stop'));
        }
        const p = decodePages(data);
        await pages.write(p.name, p.offset, p.data);
        return;
      }
      let sums: PagesFileSum[];
      try {
        sums = JSON.parse(data.toString('utf8')) as PagesFileSum[];
        if (!Array.isArray(sums)) throw new Error('not a list');
      } catch {
        throw new InvalidArgumentError('pages', 'the sums are not a JSON list');
      }
      if (!pages && sums.some((x) => x.size > 0)) throw new InvalidArgumentError('pages', 'sums of pages that never came');
      await pages?.check(sums);
      pagesChecked = true;
      if (restoreAfterPages) {
        await pageServerDone();
        await pages?.ownLike(path.join(agent.checkpointsDir(name), 'stop', 'inventory.img'));
        await finish();
      }
    };
    const handle = async (f: MigrationFrame__Output): Promise<void> => {
      if (answered) return;
      if (f.header) {
        if (expect !== 'header') throw new InvalidArgumentError('header', 'a second header');
        const h = f.header;
        if (!(MOVE_MODES as readonly string[]).includes(h.mode)) throw new InvalidArgumentError('mode', `"${h.mode}" moves are not served by this member (${MOVE_MODES.join(', ')})`);
        const takes = agent.pool.streamFormats().import;
        const sendable = h.volumeFormats.length > 0 ? h.volumeFormats : [h.volumeFormat];
        const format = sendable.find((f) => takes.includes(f as never));
        if (!format) throw new InvalidArgumentError('volume_formats', `none of ${sendable.map((f) => `"${f}"`).join(', ')} is imported by this member's pool (${takes.join(', ')})`);
        let record: InstanceRecord;
        try {
          record = JSON.parse(h.recordJson) as InstanceRecord;
        } catch {
          throw new InvalidArgumentError('record_json', 'is not JSON');
        }
        if (record.name !== h.instance) throw new InvalidArgumentError('record_json', `names ${record.name}, not ${h.instance}`);
        if (!h.operationId) throw new InvalidArgumentError('operation_id', 'is empty');
        mode = h.mode;
        name = record.name;
        if (mode !== 'cold') agent.prepareCriu(); // (the restore's first CRIU question, asked while the volume comes)
        withCheckpoints = h.checkpoints || mode !== 'cold';
        importing = agent.importInstance(record, pass1, h.operationId, { stopped: mode !== 'cold' });
        importing.catch(() => undefined);
        moveId = h.operationId;
        expect = 'volume';
        if (!h.dataLink || !links) return answer({ phase: 'accepted', error: '', code: '', volumeFormat: format });
        const caller = peerCertificateFingerprint(call);
        if (!caller) throw new InvalidArgumentError('data_link', 'the caller presented no certificate');
        const { offer, socket } = links.listener.expect(caller);
        offered = offer;
        answer({ phase: 'accepted', error: '', code: '', linkAddress: offer.address, linkTicket: offer.ticket, volumeFormat: format });
        // Everything after the header comes on the link, in order, one frame at a time.
        work = work.then(async () => {
          const sock = await socket;
          linked = sock;
          offered = undefined;
          sock.on('error', () => undefined); // its end is read below; a break fails the move
          for await (const fr of readFrames(sock)) {
            if (answered) return;
            if (fr.kind === K_PAGE_SERVER) {
              await startPageServer();
              continue;
            }
            if (fr.kind === K_LAZY) {
              lazyFrom = lazyOf(fr.data, expect, mode, agent.dataDir);
              continue;
            }
            if (fr.kind === K_PAGES || fr.kind === K_PAGES_END) {
              await pageFrame(fr.kind, fr.data);
              continue;
            }
            if (fr.kind === K_DELTA) {
              let removedPaths: string[];
              try {
                removedPaths = JSON.parse(fr.data.toString('utf8')) as string[];
              } catch {
                throw new InvalidArgumentError('delta', 'is not a JSON list of paths');
              }
              await handle({ delta: { removedPaths }, frame: 'delta' } as MigrationFrame__Output);
              continue;
            }
            if (fr.kind !== K_VOLUME && fr.kind !== K_CHECKPOINT) throw new InvalidArgumentError('data link', `a frame of kind ${fr.kind} at offset ${fr.at}`);
            const field = fr.kind === K_VOLUME ? 'volume' : 'checkpoint';
            await handle({ [field]: { offset, data: fr.data, crc32c: 0, last: fr.last }, frame: field } as unknown as MigrationFrame__Output);
          }
          if (expect !== 'done' && !answered) throw new Error('the source ended the data link before the last chunk');
        }).then(undefined, linkBroke);
        return;
      }
      if (f.volume && expect === 'volume') {
        const data = chunk(f.volume, 'volume');
        if (!pass1.write(data)) await Promise.race([once(pass1, 'drain'), importing]);
        if (!f.volume.last) return;
        pass1.end();
        await importing;
        offset = 0;
        if (mode !== 'cold') {
          // Empty files for the images, made while the source dumps (host/file-pool.ts; only
          // now: the instance's record is here, so a failure drops its checkpoints folder too).
          poolMaking = freshCheckpoints().then(() => FilePool.make(path.join(agent.checkpointsDir(name), CHECKPOINT_FILE_POOL), FILE_POOL_SIZE));
          poolMaking.then((p) => { filePool = p; }, () => undefined);
          expect = 'delta';
          return ok('volume');
        }
        expect = withCheckpoints ? 'checkpoint' : 'done';
        if (!withCheckpoints) await finish();
        return;
      }
      if (f.delta && expect === 'delta') {
        const dir = await agent.pool.volumePath(name);
        await removeFromVolume(dir, f.delta.removedPaths);
        sink = untarInto(dir);
        expect = 'changes';
        return;
      }
      if (f.volume && expect === 'changes') {
        await sink!.write(chunk(f.volume, 'volume'));
        if (!f.volume.last) return;
        await sink!.end();
        sink = undefined;
        offset = 0;
        expect = 'checkpoint';
        return;
      }
      if (f.checkpoint && expect === 'checkpoint') {
        if (!sink) {
          // (The pages that came during the dump are there already.)
          if (!pages && !pageServer) await freshCheckpoints();
          sink = untarCheckpointsInto(agent.checkpointsDir(name), filePool);
        }
        await sink.write(chunk(f.checkpoint, 'checkpoint'));
        if (!f.checkpoint.last) return;
        await sink.end();
        sink = undefined;
        // (The pool's rest goes, also when it was not made in time for these images.)
        void poolMaking?.then((p) => p.dispose()).catch(() => undefined);
        filePool = undefined;
        if (!fs.existsSync(path.join(agent.checkpointsDir(name), 'stop')) && mode !== 'cold') throw new InvalidArgumentError('checkpoint', 'carries no checkpoint of the instance (stop/)');
        if (linked && mode !== 'cold') {
          if (!pagesChecked) {
            restoreAfterPages = true; // the pages' sums come next
            return;
          }
          await pageServerDone();
          await pages?.ownLike(path.join(agent.checkpointsDir(name), 'stop', 'inventory.img'));
        }
        await finish();
        return;
      }
      throw new InvalidArgumentError('frame', `${f.frame ?? 'an empty frame'} is not expected here (${expect === 'changes' ? 'the delta\'s files' : expect} is)`);
    };
    // Frames are handled one at a time, in order; the call is paused only while QUEUED of them
    // wait (pausing it per frame stalls HTTP/2's window updates: one round trip per 64 KiB).
    let queued = 0;
    call.on('data', (f: MigrationFrame__Output) => {
      if (++queued > QUEUED) call.pause();
      work = work.then(() => handle(f)).then(() => {
        if (--queued === QUEUED && !answered) call.resume();
      }, fail);
    });
    call.on('end', () => {
      // On a data link, the link's own end says whether everything came.
      void work.then(() => { if (expect !== 'done' && !linked && !offered) fail(new Error('the source ended the stream before the last chunk')); });
    });
    // The source went away before we answered: what was made here goes (it may not come back).
    const gone = (why: string): void => {
      void work.then(() => undefined, () => undefined).then(() => {
        if (!answered) {
          answered = true;
          void cleanUp();
        }
      });
      pass1.destroy(new Error(why));
      sink?.abort();
    };
    call.on('cancelled', () => gone('the source went away mid-stream'));
    call.on('error', () => gone('the stream broke mid-transfer'));
  };
  return {
    Migrate,
    DropIncoming: unary(async (r: DropIncomingRequest__Output) => ({ dropped: await agent.dropIncoming(r.instance, r.operationId || undefined) })),
  };
}
