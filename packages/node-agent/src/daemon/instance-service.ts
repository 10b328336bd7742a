/**
 * berth.v1.InstanceService over the Agent: a thin adapter (containerd's rule). Changes are
 * carried out before the answer in single-host mode, so every Operation comes back finished.
 */
import * as fs from 'node:fs';
import type { Instance, InstanceServiceHandlers, ExecOutput } from '@berth/proto';
import type { Agent, InstanceView } from '../agent/agent';
import { FailedPreconditionError, InvalidArgumentError } from '../errors';
import { finished, unary } from './grpc';
import { toStatus } from './status';

function toWire(v: InstanceView): Instance {
  return { name: v.name, status: v.status, location: '', config: v.config, imageFingerprint: v.image, stateful: false, createdAtUnixMs: v.createdAtUnixMs, description: '' };
}

export function instanceHandlers(agent: Agent): InstanceServiceHandlers {
  return {
    CreateInstance: unary(async (r) => {
      await agent.launch({ name: r.name, image: r.image, config: r.config, start: r.start });
      return finished(`launch ${r.name}`, { instances: `/1.0/instances/${r.name}` });
    }),
    ListInstances: unary(async () => ({ instances: (await agent.list()).map(toWire) })),
    GetInstance: unary(async (r) => toWire(await agent.get(r.name))),
    GetInstanceState: unary(async (r) => {
      const s = await agent.state(r.name);
      return { status: s.status, pid: s.pid, processes: s.processes, cpuUsageNs: s.cpuNs, memoryUsageBytes: s.memoryBytes, memoryPeakBytes: 0, diskUsageBytes: s.diskBytes };
    }),
    UpdateInstance: unary(async (r) => {
      await agent.updateConfig(r.name, r.config);
      return finished(`update ${r.name}`);
    }),
    RenameInstance: unary(async (r) => {
      await agent.rename(r.name, r.newName);
      return finished(`rename ${r.name} to ${r.newName}`, { instances: `/1.0/instances/${r.newName}` });
    }),
    CopyInstance: unary(async (r) => {
      if (r.target) throw new FailedPreconditionError('this berthd is not a cluster member: --target needs a cluster');
      await agent.copy(r.source, r.name, { config: r.config, instanceOnly: r.instanceOnly, start: r.start });
      return finished(`copy ${r.source} to ${r.name}`, { instances: `/1.0/instances/${r.name}` });
    }),
    MoveInstance: unary(async () => { throw new FailedPreconditionError('this berthd is not a cluster member: moving an instance needs another member (berthd init, then berth cluster add)'); }),
    DeleteInstance: unary(async (r) => {
      await agent.delete(r.name, { force: r.force });
      return finished(`delete ${r.name}`);
    }),
    ChangeState: unary(async (r) => {
      const opts = { force: r.force, timeoutMs: r.timeoutSeconds > 0 ? r.timeoutSeconds * 1000 : 30_000 };
      if (r.stateful && r.action !== 'stop' && r.action !== 'start') throw new InvalidArgumentError('stateful', `only stop can be stateful (a start resumes a stateful stop by itself), not ${r.action}`);
      switch (r.action) {
        case 'start': await agent.start(r.name); break;
        case 'stop': await agent.stop(r.name, { ...opts, stateful: r.stateful }); break;
        case 'restart': await agent.restart(r.name, opts); break;
        case 'freeze': await agent.freeze(r.name); break;
        case 'unfreeze': await agent.unfreeze(r.name); break;
        default: throw new InvalidArgumentError('action', `"${r.action}" is not one of start, stop, restart, freeze, unfreeze`);
      }
      return finished(`${r.action} ${r.name}`);
    }),
    ConsoleLog: unary(async (r) => {
      await agent.get(r.name);
      const file = agent.consoleLogPath(r.name);
      return { log: fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0) };
    }),
    CreateSnapshot: unary(async (r) => {
      const s = await agent.snapshot(r.instance, r.name || undefined, { stateful: r.stateful });
      return finished(`snapshot ${r.instance}/${s.name}`, { snapshots: s.name });
    }),
    ListSnapshots: unary(async (r) => ({
      snapshots: (await agent.get(r.instance)).snapshots.map((s) => ({ name: s.name, stateful: s.stateful, createdAtUnixMs: s.createdAtUnixMs, sizeBytes: 0 })),
    })),
    RestoreSnapshot: unary(async (r) => {
      await agent.restoreSnapshot(r.instance, r.name);
      return finished(`restore ${r.instance}/${r.name}`);
    }),
    DeleteSnapshot: unary(async (r) => {
      await agent.deleteSnapshot(r.instance, r.name);
      return finished(`delete snapshot ${r.instance}/${r.name}`);
    }),
    Exec: (call) => {
      let proc: ReturnType<Agent['exec']> | undefined;
      let ended = false;
      const send = (o: ExecOutput): void => { if (!ended) call.write(o); };
      const fail = (e: unknown): void => {
        if (ended) return;
        ended = true;
        call.emit('error', toStatus(e));
      };
      call.on('data', (frame: { frame?: string; start?: { instance: string; command: string[]; environment: Record<string, string>; user: number; group: number; cwd: string; interactive: boolean; width: number; height: number } | null; stdin?: Buffer; stdinEof?: boolean; resize?: { width: number; height: number } | null; signal?: number }) => {
        try {
          if (frame.frame === 'start' && frame.start && !proc) {
            const s = frame.start;
            if (s.command.length === 0) throw new InvalidArgumentError('command', 'is empty');
            proc = agent.exec(s.instance, {
              args: s.command, env: Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
              uid: s.user, gid: s.group, ...(s.cwd ? { cwd: s.cwd } : {}), tty: s.interactive,
              ...(s.width ? { columns: s.width, rows: s.height } : {}),
            });
            proc.stdout.on('data', (d: Buffer) => send({ stdout: d }));
            proc.stderr.on('data', (d: Buffer) => send({ stderr: d }));
            proc.exited.then((r) => {
              // Let the output streams drain before the exit code.
              setImmediate(() => {
                send({ exitCode: r.exitCode });
                ended = true;
                call.end();
              });
            }, fail);
          } else if (!proc) {
            throw new InvalidArgumentError('frame', 'the first frame of an exec must be its start frame');
          } else if (frame.frame === 'stdin' && frame.stdin) {
            proc.stdin.write(frame.stdin);
          } else if (frame.frame === 'stdinEof') {
            proc.stdin.end();
          } else if (frame.frame === 'resize' && frame.resize) {
            void proc.resize(frame.resize.width, frame.resize.height).catch(() => undefined);
          } else if (frame.frame === 'signal' && frame.signal) {
            proc.kill(signalName(frame.signal));
          }
        } catch (e) {
          fail(e);
        }
      });
      call.on('end', () => proc?.stdin.end());
      call.on('cancelled', () => { ended = true; proc?.kill('SIGKILL'); });
    },
  };
}

function signalName(n: number): NodeJS.Signals {
  const names: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM', 10: 'SIGUSR1', 12: 'SIGUSR2' };
  return names[n] ?? 'SIGTERM';
}
