/**
 * Cold moves of an instance between members (berth move, evacuate, restore): the store says
 * what should move where, the source member carries it out, a txn commits it.
 *
 *   API member      intent.moving = {id, to}                        (any member; one txn)
 *   source (owner)  stop it; stream record + volume to `to`          (MigrationService.Migrate)
 *   target          import it stopped, marked incoming (the instance is not the target's yet)
 *   source          one txn: location = to, moving cleared, movedFrom = {source, id}
 *   target          its reconciler sees the intent here: settles the copy, starts it if wanted
 *   source          its reconciler sees movedFrom = itself: removes its copy, clears movedFrom
 *
 * Contract:
 * - Nothing is lost: the source keeps its copy until the txn that places the instance on the
 *   target has committed, and the target's copy is complete (the pool imports into staging;
 *   chunk offsets and CRC-32s and the volume stream's own digests are checked) before the
 *   target answers `received`.
 * - A failed move (target down or killed, link cut, disk full, refused) ends with
 *   intent.moveError = {id, error}, `moving` cleared; the source's reconciler then brings the
 *   instance back to what it is asked to be (started again if it ran); the target keeps
 *   nothing (its import reverts; a copy it had received is dropped with DropIncoming, and an
 *   incoming copy nobody claims is removed by its reconciler's sweep).
 * - A source that dies mid-move finds `moving` again when it comes back and tries again (the
 *   target replaces an incoming copy of the same move).
 * - A move the store abandons (cancelled: `moving` cleared or changed; the instance deleted)
 *   is not committed; the target's copy is dropped.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { DropIncomingRequest__Output, MigrationFrame, MigrationFrame__Output, MigrationPhase, MigrationPhase__Output, MigrationServiceClient, MigrationServiceHandlers } from '@berth/proto';
import type { ClusterStore, InstanceIntent } from '@berth/control-plane';
import type { Agent, InstanceRecord } from '../agent/agent';
import { unary } from '../daemon/grpc';
import { toStatus } from '../daemon/status';
import { InvalidArgumentError } from '../errors';

const CHUNK = 1 << 20;
/** No progress (a chunk taken, a phase answered) this long: the link is considered cut. */
const STALL_MS = 30_000;

/** The source side: runs the moves the store asks of this member, one per instance at a time. */
export class Mover {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly me: string,
    private readonly store: ClusterStore,
    private readonly agent: Agent,
    private readonly peer: (member: string) => Promise<MigrationServiceClient>,
  ) {}

  /** Whether a move of `name` is being carried out here now. */
  busy(name: string): boolean {
    return this.running.has(name);
  }

  /** Starts the move `i.moving` asks for, unless one of this instance runs already. */
  ensure(i: InstanceIntent): void {
    if (!i.moving || this.running.has(i.name)) return;
    const p = this.run(i.name, i.moving.id, i.moving.to).finally(() => this.running.delete(i.name));
    this.running.set(i.name, p);
  }

  /** Resolves when no move runs here (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.running.values()]);
  }

  private async run(name: string, id: string, to: string): Promise<void> {
    try {
      const local = await this.agent.get(name);
      if (local.status === 'Running' || local.status === 'Frozen') await this.agent.stop(name, { force: false, timeoutMs: 30_000 });
      await this.send(name, id, to);
      if (!(await this.commit(name, id, to))) {
        await this.dropRemote(to, name, id);
        return;
      }
    } catch (e) {
      await this.dropRemote(to, name, id);
      const st = toStatus(e);
      const error = `moving ${name} from ${this.me} to ${to}: ${st.details ?? String(e)}`;
      const code = grpc.status[st.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN';
      await this.store.changeInstance(name, (x) => (x.moving?.id === id ? { ...x, moving: undefined, moveError: { id, error, code } } : x)).catch(() => undefined);
      return;
    }
    await this.removeMovedCopy(name, id).catch(() => undefined); // else the reconciler does it
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

  private async dropRemote(to: string, name: string, id: string): Promise<void> {
    try {
      const c = await this.peer(to);
      await new Promise<void>((resolve) => c.DropIncoming({ instance: name, operationId: id }, { deadline: Date.now() + 10_000 }, () => resolve()));
    } catch {
      // The target is away: its reconciler's sweep removes an unclaimed incoming copy.
    }
  }

  /** Streams the (stopped) instance to `to`; resolves once the target has it whole. */
  private async send(name: string, id: string, to: string): Promise<void> {
    const exp = await this.agent.exportInstance(name, 'tar');
    const client = await this.peer(to);
    const call = client.Migrate();
    let last = Date.now();
    let outcome: MigrationPhase__Output | undefined;
    let failure: Error | undefined;
    const ended = new Promise<void>((resolve) => {
      call.on('data', (p: MigrationPhase__Output) => {
        last = Date.now();
        if (p.phase === 'received' || p.phase === 'failed') outcome = p;
        if (p.phase === 'failed') exp.volume.destroy();
      });
      call.on('error', (e: grpc.ServiceError) => {
        failure = new Error(e.code === grpc.status.UNAVAILABLE ? `member ${to} cannot be reached (${e.details})` : e.details || e.message);
        exp.volume.destroy();
        resolve();
      });
      call.on('end', () => resolve());
    });
    const stall = setInterval(() => {
      if (Date.now() - last > STALL_MS) call.cancel();
    }, 1000);
    const refused = (p: MigrationPhase__Output): Error => Object.assign(new Error(`${to} refused it: ${p.error}`), { code: grpc.status[p.code as keyof typeof grpc.status] ?? grpc.status.UNKNOWN });
    try {
      try {
        const write = async (f: MigrationFrame): Promise<void> => {
          if (failure || outcome) throw failure ?? refused(outcome!);
          if (!call.write(f)) await Promise.race([once(call, 'drain'), ended]);
          last = Date.now();
        };
        await write({ header: { operationId: id, instance: name, mode: 'cold', config: exp.record.config, volumeFormat: 'tar', recordJson: JSON.stringify(exp.record), sourceMember: this.me } });
        let offset = 0;
        let pending: Buffer = Buffer.alloc(0);
        const flush = async (data: Buffer, isLast: boolean): Promise<void> => {
          await write({ volume: { offset, data, crc32c: crc32(data), last: isLast } });
          offset += data.length;
        };
        for await (const piece of exp.volume) {
          pending = pending.length === 0 ? (piece as Buffer) : Buffer.concat([pending, piece as Buffer]);
          while (pending.length >= CHUNK) {
            await flush(pending.subarray(0, CHUNK), false);
            pending = pending.subarray(CHUNK);
          }
        }
        await flush(pending, true);
        call.end();
      } catch (e) {
        call.cancel();
        await ended;
        if (outcome?.phase === 'failed') throw refused(outcome);
        throw failure ?? e;
      }
      await ended;
    } finally {
      clearInterval(stall);
      exp.volume.destroy();
    }
    if (outcome?.phase === 'received') return;
    if (outcome?.phase === 'failed') throw refused(outcome);
    throw failure ?? new Error(Date.now() - last > STALL_MS ? `no progress from ${to} for ${STALL_MS / 1000} s (link cut?)` : `${to} ended the transfer without an answer`);
  }
}

/**
 * The target side, served on the members' mutual-TLS listener: takes an instance streamed by
 * a source member and makes it here, stopped, marked incoming (Agent.importInstance).
 */
export function migrationHandlers(agent: Agent): MigrationServiceHandlers {
  const Migrate: grpc.handleBidiStreamingCall<MigrationFrame__Output, MigrationPhase> = (call) => {
    const data = new PassThrough({ highWaterMark: 4 * CHUNK });
    let importing: Promise<void> | undefined;
    let offset = 0;
    let complete = false;
    let answered = false;
    const answer = (p: MigrationPhase): void => {
      if (answered) return;
      if (p.phase !== 'accepted') answered = true;
      call.write(p);
      if (answered) call.end();
    };
    const fail = (e: unknown): void => {
      const st = toStatus(e);
      data.destroy(e instanceof Error ? e : new Error(String(e)));
      answer({ phase: 'failed', error: st.details ?? String(e), code: grpc.status[st.code ?? grpc.status.UNKNOWN] ?? 'UNKNOWN' });
    };
    data.on('drain', () => call.resume());
    data.on('error', () => undefined); // the import's failure is what is reported
    call.on('data', (f: MigrationFrame__Output) => {
      try {
        if (f.header) {
          if (importing) throw new InvalidArgumentError('header', 'a second header');
          const h = f.header;
          if (h.mode !== 'cold') throw new InvalidArgumentError('mode', `"${h.mode}" moves are not served by this member (cold only)`);
          if (h.volumeFormat !== 'tar') throw new InvalidArgumentError('volume_format', `"${h.volumeFormat}" is not served (tar only)`);
          let record: InstanceRecord;
          try {
            record = JSON.parse(h.recordJson) as InstanceRecord;
          } catch {
            throw new InvalidArgumentError('record_json', 'is not JSON');
          }
          if (record.name !== h.instance) throw new InvalidArgumentError('record_json', `names ${record.name}, not ${h.instance}`);
          if (!h.operationId) throw new InvalidArgumentError('operation_id', 'is empty');
          importing = agent.importInstance(record, data, h.operationId);
          importing.then(() => answer({ phase: 'received', error: '', code: '' }), fail);
          answer({ phase: 'accepted', error: '', code: '' });
          return;
        }
        if (f.volume) {
          if (!importing) throw new InvalidArgumentError('frame', 'volume data before the header');
          if (complete) throw new InvalidArgumentError('frame', 'volume data after the last chunk');
          const v = f.volume;
          if (v.offset !== offset) throw new InvalidArgumentError('volume.offset', `${v.offset}, expected ${offset}`);
          if (crc32(v.data) !== v.crc32c) throw new InvalidArgumentError('volume.crc32c', `chunk at ${v.offset} is corrupt`);
          offset += v.data.length;
          if (!data.write(v.data)) call.pause();
          if (v.last) {
            complete = true;
            data.end();
          }
          return;
        }
        throw new InvalidArgumentError('frame', `${f.frame ?? 'an empty frame'} is not served`);
      } catch (e) {
        fail(e);
      }
    });
    call.on('end', () => {
      if (!complete) fail(new Error('the source ended the stream before the last chunk'));
    });
    call.on('cancelled', () => {
      if (!complete) data.destroy(new Error('the source went away mid-stream'));
    });
    call.on('error', () => {
      if (!complete) data.destroy(new Error('the stream broke mid-transfer'));
    });
  };
  return {
    Migrate,
    DropIncoming: unary(async (r: DropIncomingRequest__Output) => ({ dropped: await agent.dropIncoming(r.instance, r.operationId || undefined) })),
  };
}
