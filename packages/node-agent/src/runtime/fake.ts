/**
 * FakeRuntimeDriver: an in-memory stand-in for unit tests of the driver's callers (the
 * agent's reconcile loop, the API). It keeps the same state machine and errors as the runc
 * driver but runs nothing: exec answers from a script the test gives. Never registered
 * in the production driver map.
 */
import { PassThrough } from 'node:stream';
import { AlreadyExistsError, FailedPreconditionError, NotFoundError, NotSupportedError } from '../errors';
import { checkName, ociResources } from './bundle';
import type { ContainerSpec, DriverInfo, ExecProcess, ExecResult, ExecSpec, Limits, RuntimeDriver, RuntimeState, RuntimeStatus, StopOptions } from './types';

export interface FakeExecAnswer {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

interface FakeContainer {
  spec: ContainerSpec;
  status: Exclude<RuntimeStatus, 'Unknown'>;
  pid: number;
}

export class FakeRuntimeDriver implements RuntimeDriver {
  readonly name = 'fake';
  readonly containers = new Map<string, FakeContainer>();
  /** Every call, in order ("start c1"), for assertions. */
  readonly calls: string[] = [];
  /** What exec answers; default: exit 0, no output. */
  execHandler: (name: string, p: ExecSpec) => FakeExecAnswer = () => ({ exitCode: 0 });
  /** Make the next call of a method throw this error (then cleared). */
  failNext: Partial<Record<keyof RuntimeDriver, Error>> = {};
  private nextPid = 1000;

  info(): DriverInfo {
    return { usable: true, reason: 'fake driver for tests', version: '0' };
  }

  private enter(method: keyof RuntimeDriver, arg: string): void {
    this.calls.push(`${method} ${arg}`);
    const e = this.failNext[method];
    if (e) {
      delete this.failNext[method];
      throw e;
    }
  }

  private get(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new NotFoundError(`container ${name} not found`);
    return c;
  }

  async create(spec: ContainerSpec, opts: { start?: boolean } = {}): Promise<void> {
    this.enter('create', spec.name);
    checkName(spec.name);
    ociResources(spec.limits ?? {});
    if (this.containers.has(spec.name)) throw new AlreadyExistsError(`container ${spec.name} already exists`);
    this.containers.set(spec.name, opts.start ? { spec, status: 'Running', pid: this.nextPid++ } : { spec, status: 'Created', pid: 0 });
  }

  async start(name: string): Promise<void> {
    this.enter('start', name);
    const c = this.get(name);
    if (c.status !== 'Created' && c.status !== 'Stopped') throw new FailedPreconditionError(`container ${name} is ${c.status}`);
    c.status = 'Running';
    c.pid = this.nextPid++;
  }

  async stop(name: string, _opts: StopOptions): Promise<void> {
    this.enter('stop', name);
    const c = this.get(name);
    c.status = 'Stopped';
    c.pid = 0;
  }

  async restart(name: string, opts: StopOptions): Promise<void> {
    await this.stop(name, opts);
    await this.start(name);
  }

  async delete(name: string): Promise<void> {
    this.enter('delete', name);
    this.get(name);
    this.containers.delete(name);
  }

  async rename(from: string, to: string): Promise<void> {
    this.enter('rename', `${from} ${to}`);
    checkName(to, 'to');
    const c = this.get(from);
    if (c.status !== 'Stopped' && c.status !== 'Created') throw new FailedPreconditionError(`container ${from} must be stopped to be renamed`);
    if (this.containers.has(to)) throw new AlreadyExistsError(`container ${to} already exists`);
    this.containers.delete(from);
    this.containers.set(to, { ...c, spec: { ...c.spec, name: to } });
  }

  async freeze(name: string): Promise<void> {
    this.enter('freeze', name);
    const c = this.get(name);
    if (c.status !== 'Running') throw new FailedPreconditionError(`container ${name} is ${c.status}`);
    c.status = 'Frozen';
  }

  async unfreeze(name: string): Promise<void> {
    this.enter('unfreeze', name);
    const c = this.get(name);
    if (c.status !== 'Frozen') throw new FailedPreconditionError(`container ${name} is ${c.status}`);
    c.status = 'Running';
  }

  exec(name: string, p: ExecSpec): ExecProcess {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const exited = (async (): Promise<ExecResult> => {
      this.enter('exec', `${name} ${p.args.join(' ')}`);
      const c = this.get(name);
      if (c.status !== 'Running') throw new FailedPreconditionError(`container ${name} is not running`);
      const a = this.execHandler(name, p);
      stdout.end(a.stdout ?? '');
      stderr.end(a.stderr ?? '');
      // Like the real driver: the output has been delivered before exited resolves.
      await new Promise((r) => setImmediate(r));
      return { exitCode: a.exitCode ?? 0 };
    })();
    exited.catch(() => { stdout.end(); stderr.end(); });
    return {
      stdin, stdout, stderr, exited,
      resize: async () => { if (!p.tty) throw new NotSupportedError('exec.resize', 'the process has no terminal (tty: false)'); },
      kill: () => undefined,
    };
  }

  async state(name: string): Promise<RuntimeState> {
    const c = this.get(name);
    return { name, status: c.status, pid: c.pid, cpuNs: 0, memoryBytes: 0, processes: c.status === 'Running' || c.status === 'Frozen' ? 1 : 0 };
  }

  async list(): Promise<RuntimeState[]> {
    return Promise.all([...this.containers.keys()].sort().map((n) => this.state(n)));
  }

  async update(name: string, limits: Limits): Promise<void> {
    this.enter('update', name);
    ociResources(limits);
    const c = this.get(name);
    c.spec = { ...c.spec, limits: { ...(c.spec.limits ?? {}), ...limits } };
  }

  consoleLogPath(name: string): string {
    return `/fake/${name}/console.log`;
  }

  /** Checkpoints live in memory: the fake keeps the pid it would restore. */
  readonly checkpoints = new Map<string, { name: string; pid: number }>();

  async checkpoint(name: string, imageDir: string, opts: { leaveRunning: boolean; pageServer?: unknown }): Promise<void> {
    this.enter('checkpoint', name);
    if (opts.pageServer) throw new FailedPreconditionError('the fake runtime has no CRIU page server');
    const c = this.get(name);
    if (c.status !== 'Running') throw new FailedPreconditionError(`container ${name} must be running to be checkpointed`);
    this.checkpoints.set(imageDir, { name, pid: c.pid });
    if (!opts.leaveRunning) {
      c.status = 'Stopped';
      c.pid = 0;
    }
  }

  async restore(name: string, imageDir: string): Promise<void> {
    this.enter('restore', name);
    const c = this.get(name);
    const ck = this.checkpoints.get(imageDir);
    if (!ck) throw new NotFoundError(`checkpoint images ${imageDir} not found`);
    if (c.status === 'Running' || c.status === 'Frozen') throw new FailedPreconditionError(`container ${name} must be stopped to restore a checkpoint into it`);
    c.status = 'Running';
    c.pid = ck.pid;
  }
}
