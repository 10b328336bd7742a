/**
 * The `berth` CLI against a real berthd (single host): output formats, config get/set/unset/show,
 * info of an instance, exit codes, help on every command, shell completion.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BERTH, berth, cleanUpSingleHost, startBerthd, tempDir } from '../support/berthd';
import type { RunningBerthd } from '../support/berthd';
import { images } from '@berth/node-agent';

/** The CLI with no daemon needed (help, completion, usage errors). */
function offline(args: string[], dataDir: string): { code: number | null; out: string; err: string } {
  return berth(dataDir, args);
}

describe('the berth CLI', () => {
  const tmp = tempDir('cli');
  let daemon: RunningBerthd | undefined;

  afterAll(async () => {
    await cleanUpSingleHost(tmp, daemon);
  });

  it('exit code 3 and where it looked when no daemon answers', () => {
    const r = berth(tmp.dir, ['list']);
    expect(r.code).toBe(3);
    expect(r.out).toBe('');
    expect(r.err).toContain(`cannot reach berthd at unix://${tmp.dir}/unix.socket (is it running? set BERTH_DIR to its data folder)`);
    expect(r.err).toMatch(/ENOENT/);
  });

  it('usage errors exit with 2, say what is wrong, and send nothing', () => {
    for (const [args, msg] of [
      [['frobnicate'], /Unknown argument: frobnicate/],
      [['list', '--bogus'], /Unknown argument: bogus/],
      [['list', '--format', 'xml'], /Argument: format, Given: "xml", Choices: "table", "json", "yaml", "csv"/],
      [['config', 'get', 'c1'], /Not enough non-option arguments/],
      [['launch'], /Not enough non-option arguments/],
      [[], /name a command/],
      [['config', 'set', 'c1', '=x'], /=x: expected KEY=VALUE/],
      [['move', 'c1'], /give --target MEMBER \(move\) or NEW-NAME \(rename\)/],
    ] as Array<[string[], RegExp]>) {
      const r = offline(args, tmp.dir);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.err).toMatch(msg);
      expect(r.err).toMatch(/See: berth --help/);
      expect(r.out).toBe('');
    }
  });

  it('every command has a description and answers --help', () => {
    const top = offline(['--help'], tmp.dir);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Exit codes: 0 success; 1 .*; 2 usage error/s);
    const commands = [...top.out.matchAll(/^ {2}berth ([a-z-]+)/gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(['list', 'info', 'launch', 'init', 'exec', 'config', 'snapshot', 'restore', 'move', 'image', 'publish', 'cluster', 'remote', 'completion', 'delete', 'start', 'stop', 'restart']));
    for (const name of commands) {
      const r = offline([name, '--help'], tmp.dir);
      expect({ name, code: r.code }).toEqual({ name, code: 0 });
      // "berth NAME ...", then its description (not straight to Commands:/Positionals:/Options:).
      const [usage, description] = r.out.split('\n\n');
      expect(usage).toMatch(new RegExp(`^berth ${name}`));
      expect({ name, description: /^(Commands|Positionals|Options):/.test(description ?? '') ? '' : (description ?? '').trim() }).toEqual({ name, description: expect.stringMatching(/\w{3,}/) });
    }
    for (const sub of ['get', 'set', 'unset', 'show', 'trust']) {
      const r = offline(['config', sub, '--help'], tmp.dir);
      expect({ sub, code: r.code }).toEqual({ sub, code: 0 });
      expect(r.out).toMatch(new RegExp(`berth config ${sub}`));
    }
  });

  it('berth completion prints a bash completion script; the completions it asks for are the commands', () => {
    const r = offline(['completion'], tmp.dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^###-begin-berth-completions-###/);
    expect(r.out).toMatch(/complete -o bashdefault -o default -F _berth_yargs_completions berth/);
    expect(r.out).toMatch(/--get-yargs-completions/);
    const syntax = spawnSync('bash', ['-n'], { input: r.out, encoding: 'utf8' });
    expect(syntax.status).toBe(0);
    const top = offline(['--get-yargs-completions', ''], tmp.dir);
    expect(top.out.split('\n')).toEqual(expect.arrayContaining(['list', 'launch', 'config', 'cluster', 'completion']));
    const config = offline(['--get-yargs-completions', 'config', ''], tmp.dir);
    expect(config.out.split('\n')).toEqual(expect.arrayContaining(['get', 'set', 'unset', 'show', 'trust']));
  });

  it('list in table, json (LXD field names), yaml and csv; the formats agree', async () => {
    daemon = await startBerthd(tmp.dir);
    expect(berth(tmp.dir, ['list', '--format', 'csv']).out).toBe('');
    expect(berth(tmp.dir, ['list', '--format', 'yaml']).out).toBe('[]\n');
    const launched = berth(tmp.dir, ['launch', 'busybox', 'cli1', '-c', 'limits.memory=96MiB']);
    expect(launched.err).toBe('');
    expect(launched.code).toBe(0);

    const json = JSON.parse(berth(tmp.dir, ['list', '--format', 'json']).out) as Array<Record<string, unknown>>;
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      name: 'cli1', status: 'Running', status_code: 103, type: 'container', location: '', description: '',
      config: { 'limits.memory': '96MiB' }, devices: {}, ephemeral: false, profiles: [], stateful: false,
    });
    expect(json[0]!['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Math.abs(Date.parse(json[0]!['created_at'] as string) - Date.now())).toBeLessThan(10 * 60_000);
    expect(json[0]!['image_fingerprint']).toMatch(/^[0-9a-f]{64}$/);

    const yaml = berth(tmp.dir, ['list', '--format', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(images.parseYaml(yaml.out)).toEqual(json);

    const csv = berth(tmp.dir, ['list', '--format', 'csv']);
    expect(csv.out).toBe(`cli1,RUNNING,${(json[0]!['image_fingerprint'] as string).slice(0, 12)}\n`);

    const table = berth(tmp.dir, ['ls']).out.split('\n');
    expect(table[1]).toMatch(/^\| NAME +\| STATUS +\| IMAGE +\|$/);
    expect(table[3]).toMatch(/^\| cli1 +\| RUNNING +\| [0-9a-f]{12} +\|$/);
  });

  it('config set (KEY=VALUE and KEY VALUE), get, show (YAML), unset', () => {
    expect(berth(tmp.dir, ['config', 'set', 'cli1', 'limits.memory', '128MiB']).code).toBe(0);
    expect(berth(tmp.dir, ['config', 'set', 'cli1', 'user.note=a: b, "c"']).code).toBe(0);
    expect(berth(tmp.dir, ['config', 'get', 'cli1', 'limits.memory']).out).toBe('128MiB\n');
    expect(berth(tmp.dir, ['config', 'get', 'cli1', 'user.note']).out).toBe('a: b, "c"\n');
    const unsetKey = berth(tmp.dir, ['config', 'get', 'cli1', 'limits.cpu']);
    expect([unsetKey.code, unsetKey.out]).toEqual([0, '\n']);

    const show = berth(tmp.dir, ['config', 'show', 'cli1']);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^config:\n {2}limits.memory: 128MiB\n {2}user.note: "a: b, \\"c\\""\n/);
    expect(images.parseYaml(show.out)).toMatchObject({ config: { 'limits.memory': '128MiB', 'user.note': 'a: b, "c"' }, devices: {}, ephemeral: false, profiles: [], stateful: false });

    expect(berth(tmp.dir, ['config', 'unset', 'cli1', 'user.note']).code).toBe(0);
    expect(berth(tmp.dir, ['config', 'get', 'cli1', 'user.note']).out).toBe('\n');
    const again = berth(tmp.dir, ['config', 'unset', 'cli1', 'user.note']);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/cannot unset key 'user.note': it is not set on cli1/);
    expect((JSON.parse(berth(tmp.dir, ['list', '--format', 'json']).out) as Array<{ config: Record<string, string> }>)[0]!.config).toEqual({ 'limits.memory': '128MiB' });
  });

  it('info NAME: status, PID, processes, CPU, memory, disk, snapshots; --format json in LXD\'s shape', () => {
    expect(berth(tmp.dir, ['snapshot', 'cli1', 'first']).code).toBe(0);
    const text = berth(tmp.dir, ['info', 'cli1']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^Name: cli1\nStatus: RUNNING\nType: container\nPID: \d+\n/);
    for (const re of [/\n {2}Processes: [1-9]\d*\n/, /\n {4}root: [\d.]+(B|KiB|MiB|GiB)\n/, /\n {4}CPU usage \(in seconds\): \d+\n/, /\n {4}Memory \(current\): [\d.]+(B|KiB|MiB|GiB)\n/, /\nConfig:\n {2}limits.memory: 128MiB\n/, /\nSnapshots:\n\+-+/, /\| first +\| \d{4}-\d\d-\d\dT[\d:.]+Z \| NO +\|/]) {
      expect(text.out).toMatch(re);
    }
    const json = JSON.parse(berth(tmp.dir, ['info', 'cli1', '--format', 'json']).out) as {
      name: string; status: string; state: { status: string; status_code: number; pid: number; processes: number; memory: { usage: number }; cpu: { usage: number }; disk: { root: { usage: number } } };
      snapshots: Array<{ name: string; created_at: string; stateful: boolean }>; config: Record<string, string>;
    };
    expect(json).toMatchObject({ name: 'cli1', status: 'Running', config: { 'limits.memory': '128MiB' } });
    expect(json.state.status).toBe('Running');
    expect(json.state.status_code).toBe(103);
    expect(json.state.pid).toBeGreaterThan(1);
    expect(fs.existsSync(`/proc/${json.state.pid}`)).toBe(true);
    expect(json.state.processes).toBeGreaterThan(0);
    expect(json.state.memory.usage).toBeGreaterThan(0);
    expect(json.snapshots.map((s) => [s.name, s.stateful])).toEqual([['first', false]]);
  });

  it('exit codes: 4 for what does not exist, 1 for a refusal', () => {
    for (const args of [['info', 'nosuch'], ['config', 'get', 'nosuch', 'k'], ['delete', 'nosuch'], ['restore', 'cli1', 'nosnap'], ['start', 'nosuch']]) {
      const r = berth(tmp.dir, args);
      expect({ args, code: r.code }).toEqual({ args, code: 4 });
      expect(r.err).toMatch(/^Error: .*not found/);
    }
    const dup = berth(tmp.dir, ['init', 'busybox', 'cli1']);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/^Error: /);
    const running = berth(tmp.dir, ['delete', 'cli1']);
    expect(running.code).toBe(1);
  });

  it('no progress lines on a stdout that is not a terminal (image export)', () => {
    const out = path.join(tmp.dir, 'busybox.tar.gz');
    const r = berth(tmp.dir, ['image', 'export', 'busybox', out]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Image exported to ${out}\n`);
    expect(r.err).toBe('');
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  });

  it('the CLI process loads neither grpc-js nor the .proto parser for a unary call (start-up time)', () => {
    const probe = path.join(tmp.dir, 'probe.js');
    fs.writeFileSync(probe, `process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`);
    const r = spawnSync(process.execPath, ['-r', probe, BERTH, 'list', '--format', 'csv'], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: tmp.dir }, timeout: 30_000 });
    expect(r.status).toBe(0);
    const modules = JSON.parse(/MODULES (.*)/.exec(r.stderr)![1]!) as string[];
    expect(modules.some((m) => m.includes(`${path.sep}@grpc${path.sep}`))).toBe(false);
    expect(modules.some((m) => m.includes(`${path.sep}control-plane${path.sep}`))).toBe(false);
    expect(modules.some((m) => /protobufjs[/\\]src[/\\]parse\.js$/.test(m))).toBe(false);
    expect(r.stdout).toMatch(/^cli1,RUNNING,/);
  });

  it('REMOTE:NAME selects the remote for that call (lxc\'s form); an unknown one is a usage error naming the known', () => {
    // A remote "prod" on a loopback port nothing listens on: reaching for it shows it was chosen.
    const conf = path.join(tmp.dir, 'conf');
    fs.mkdirSync(conf, { recursive: true });
    fs.writeFileSync(path.join(conf, 'config.json'), JSON.stringify({ defaultRemote: 'local', remotes: { prod: { address: '127.0.0.1:1', caPem: 'unused' } } }));
    const run = (args: string[]): { code: number | null; out: string; err: string } => {
      const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: tmp.dir, BERTH_CONF: conf }, timeout: 30_000 });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    expect(run(['list', 'local:', '--format', 'csv'])).toEqual(run(['list', '--format', 'csv']));
    expect(run(['list', 'local:', '--format', 'csv']).out).toMatch(/^cli1,RUNNING,/);
    expect(run(['info', 'local:cli1']).out).toMatch(/^Name: cli1\nStatus: RUNNING\n/);
    expect(run(['info', 'local:']).out).toMatch(/^server: /);
    const exec = run(['exec', 'local:cli1', '--', 'echo', 'a:b']);
    expect([exec.code, exec.out]).toEqual([0, 'a:b\n']);
    // The command's arguments arrive as typed, never read as numbers (-0 was 0, 0x10 was 16).
    const numbers = run(['exec', 'local:cli1', '--', 'printf', '%s|', '-0', '007', '1.50', '0x10', '1e3', '-5']);
    expect([numbers.code, numbers.out]).toEqual([0, '-0|007|1.50|0x10|1e3|-5|']);
    const bare = run(['exec', 'local:cli1', 'printf', '%s|', '007', '1.50']);
    expect([bare.code, bare.out]).toEqual([0, '007|1.50|']);
    expect(run(['config', 'get', 'local:cli1', 'limits.memory']).out).toBe('128MiB\n');

    for (const args of [['info', 'prod:cli1'], ['list', 'prod:'], ['exec', 'prod:cli1', '--', 'true'], ['launch', 'busybox', 'prod:c9']]) {
      const r = run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.err).toMatch(/cannot reach berth remote 'prod' at 127\.0\.0\.1:1/);
    }
    // A remote's unary calls take the CLI's light client over TLS too, not grpc-js.
    const probe = path.join(tmp.dir, 'probe-remote.js');
    fs.writeFileSync(probe, `process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n`);
    const probed = spawnSync(process.execPath, ['-r', probe, BERTH, 'list', 'prod:'], { encoding: 'utf8', env: { ...process.env, BERTH_DIR: tmp.dir, BERTH_CONF: conf }, timeout: 30_000 });
    expect(probed.status).toBe(3);
    expect((JSON.parse(/MODULES (.*)/.exec(probed.stderr)![1]!) as string[]).filter((m) => m.includes(`${path.sep}@grpc${path.sep}`))).toEqual([]);
    const unknown = run(['info', 'nope:cli1']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^Error: no remote named "nope" in "nope:cli1" \(the remotes: local, prod; see: berth remote list/);
    expect(unknown.out).toBe('');
    for (const args of [['list', 'nope:'], ['--remote', 'prod', 'info', 'local:cli1'], ['copy', 'local:cli1', 'prod:c2'], ['start', 'local:'], ['list', 'cli1']]) {
      expect({ args, code: run(args).code }).toEqual({ args, code: 2 });
    }
    expect(JSON.parse(run(['list', '--format', 'json']).out)).toHaveLength(1); // nothing was created anywhere
  });

  it('delete --force of the running instance', () => {
    expect(berth(tmp.dir, ['delete', 'cli1', '--force']).code).toBe(0);
    expect(berth(tmp.dir, ['list', '--format', 'json']).out.trim()).toBe('[]');
  });
});
