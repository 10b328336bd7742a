// berth's commands (yargs): loaded by bin/berth.ts unless the command has a fast path.
import type * as GrpcJs from '@grpc/grpc-js';
import { cliParser } from '../parser';
import type {
  ConsoleLogResponse__Output, Feature__Output, Instance__Output, InstanceState__Output, ListInstancesResponse__Output,
  Image__Output, JoinToken__Output, ListImagesResponse__Output, ListMembersResponse__Output, ListSnapshotsResponse__Output,
  OperationResponse__Output, ServerInfo__Output,
} from '@berth/proto';
import { ApiError, BerthClient, localDataDir } from '../client';
import { UsageError, reportAndExit } from '../exit';
import { formatList, humanBytes, lxdInstance, sortedObject, table, toYaml } from '../format';
import type { ApiInstance } from '../format';
import { bytesDetail, moveProgressDetail, progressShown, pullProgressDetail, setQuiet, transferDetail, withProgress } from '../progress';
import { Status } from '../wire';
import { currentRemote, imageServerRef, openClient, selectRemote, withClient } from '../remotes';
import { applyRemotePrefixes } from '../remote-prefix';
import { remoteCommand, trustCommand } from '../commands/remote';
import { recoverOffline } from '../recover';
import { confirm } from '../prompt';
import { GROUP_USAGE, groupCommand } from '../commands/group';
import { placementCommand, printPlacement, withPlacement } from '../commands/placement';

function yesNo(f: Feature__Output | null): string {
  if (!f) return 'unknown';
  return f.supported ? 'yes' : `no (${f.detail})`;
}

function formatInfo(info: ServerInfo__Output): string {
  const c = info.capabilities;
  const lines = [
    `server:      ${info.serverName} (berth ${info.serverVersion}, ${info.mode}, pid ${info.pid})`,
    `data folder: ${info.dataDir}`,
    `extensions:  ${info.apiExtensions.join(', ')}`,
  ];
  if (c) {
    lines.push(
      `kernel:      ${c.kernelRelease}, ${c.os}`,
      `cgroups:     ${c.cgroups?.layout ?? 'unknown'}`,
      `runc:        ${c.runc?.available ? c.runc.version : 'missing'}`,
      `criu:        ${c.criu?.available ? `${c.criu.version} (${c.criu.source})` : `unusable: ${c.criu?.detail ?? ''}`}`,
      `  lazy pages:     ${yesNo(c.criu?.lazyPages ?? null)}`,
      `  dirty tracking: ${yesNo(c.criu?.memDirtyTrack ?? null)}`,
      `btrfs:       ${yesNo(c.btrfs)}`,
      `vxlan:       ${yesNo(c.vxlan)}`,
      `vlan:        ${yesNo(c.vlan)}`,
      `apparmor:    ${yesNo(c.apparmor)}`,
    );
  }
  return lines.join('\n');
}

const EPILOGUE = `Exit codes: 0 success; 1 the server refused or failed the request; 2 usage error (nothing was sent);
3 the daemon or remote cannot be reached; 4 not found. berth exec exits with the command's own code.`;

/** An instance with its state and snapshots in LXD's shape (api.InstanceFull, the parts berth has). */
function instanceInfo(inst: Instance__Output, st: InstanceState__Output, snaps: ListSnapshotsResponse__Output): Record<string, unknown> {
  const base = lxdInstance(inst as ApiInstance);
  return {
    ...base,
    state: {
      status: st.status, status_code: (lxdInstance({ ...(inst as ApiInstance), status: st.status }))['status_code'],
      pid: Number(st.pid), processes: Number(st.processes),
      cpu: { usage: Number(st.cpuUsageNs) },
      memory: { usage: Number(st.memoryUsageBytes), usage_peak: Number(st.memoryPeakBytes) },
      disk: { root: { usage: Number(st.diskUsageBytes) } },
    },
    snapshots: snaps.snapshots.map((x) => ({
      name: x.name, created_at: new Date(Number(x.createdAtUnixMs)).toISOString(), stateful: x.stateful, size: Number(x.sizeBytes),
    })),
  };
}

/** `berth info NAME` as lxc info prints it. */
function formatInstanceInfo(i: Record<string, unknown>): string {
  const st = i['state'] as { status: string; pid: number; processes: number; cpu: { usage: number }; memory: { usage: number; usage_peak: number }; disk: { root: { usage: number } } };
  const snaps = i['snapshots'] as Array<{ name: string; created_at: string; stateful: boolean; size: number }>;
  const config = i['config'] as Record<string, string>;
  const lines = [
    `Name: ${String(i['name'])}`,
    `Status: ${st.status.toUpperCase()}`,
    'Type: container',
    ...(i['location'] ? [`Location: ${String(i['location'])}`] : []),
    ...(st.pid > 0 ? [`PID: ${st.pid}`] : []),
    `Created: ${String(i['created_at'])}`,
    `Image: ${String(i['image_fingerprint']).slice(0, 12)}`,
    ...(i['description'] ? [`Description: ${String(i['description'])}`] : []),
    '',
    'Resources:',
    `  Processes: ${st.processes}`,
    '  Disk usage:',
    `    root: ${humanBytes(st.disk.root.usage)}`,
    '  CPU usage:',
    `    CPU usage (in seconds): ${Math.round(st.cpu.usage / 1e9)}`,
    '  Memory usage:',
    `    Memory (current): ${humanBytes(st.memory.usage)}`,
    ...(st.memory.usage_peak > 0 ? [`    Memory (peak): ${humanBytes(st.memory.usage_peak)}`] : []),
  ];
  const keys = Object.keys(sortedObject(config));
  if (keys.length) lines.push('', 'Config:', ...keys.map((k) => `  ${k}: ${config[k]}`));
  if (snaps.length) {
    lines.push('', 'Snapshots:', table([['NAME', 'TAKEN AT', 'STATEFUL', 'SIZE'], ...snaps.map((x) => [x.name, x.created_at, x.stateful ? 'YES' : 'NO', humanBytes(x.size)])]));
  }
  return `${lines.join('\n')}\n`;
}


function parseConfig(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`${p}: expected KEY=VALUE`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}


/**
 * The image to create an instance from: `REMOTE:IMAGE` on an image server is copied in first
 * (cached and kept up to date, as lxc launch does) and named by its fingerprint.
 */
async function imageFrom(c: BerthClient, ref: string): Promise<string> {
  const src = imageServerRef(ref);
  if (!src) return ref;
  const t0 = Date.now();
  const r = await withProgress(`Retrieving image ${ref}`, (p) => c.copyImage({ server: src.server, protocol: 'simplestreams', image: src.image, certificateFingerprint: src.certFingerprint, aliases: [], autoUpdate: true }, (d, t) => p.update(transferDetail(d, t, t0))));
  return r.image.fingerprint;
}

const stateChange = (action: string) => async (argv: { name: string; force?: boolean; timeout?: number; stateful?: boolean }): Promise<void> =>
  withClient(async (c) => {
    await c.rpc<OperationResponse__Output>('ChangeState', { name: argv.name, action, force: argv.force ?? false, stateful: argv.stateful ?? false, timeoutSeconds: argv.timeout ?? 0 });
  });

const COMPLETION_HELP = `berth completion

Print a bash completion script for berth (it asks berth for the candidates as you type).

Install it with one of:
  berth completion >> ~/.bashrc
  berth completion > /etc/bash_completion.d/berth`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // yargs prints the script for `completion --help` too: answer with its help instead.
  if (args[0] === 'completion' && args.some((a) => a === '--help' || a === '-h')) {
    console.log(COMPLETION_HELP);
    return;
  }
  await cliParser(args)
    .scriptName('berth')
    .usage('berth COMMAND [ARGS...] [--remote NAME]: manage berth\'s system containers and cluster (in the manner of LXD\'s lxc); an instance may be given as REMOTE:NAME (berth info prod:c1, berth list prod:)')
    .epilogue(EPILOGUE)
    .option('remote', { type: 'string', global: true, describe: 'The server to talk to (see berth remote list); default: the default remote, or local when BERTH_DIR is set' })
    .option('quiet', { alias: 'q', type: 'boolean', global: true, describe: 'No progress lines for long operations (they are shown only on a terminal anyway)' })
    .middleware((argv) => { selectRemote(argv.remote); setQuiet(argv.quiet === true); })
    .middleware((argv) => applyRemotePrefixes(argv))
    .command(remoteCommand)
    .command('info [name]', 'Show the daemon and its host, or an instance', (y) => y.positional('name', { type: 'string' }).option('format', {
      choices: ['text', 'json'] as const, default: 'text' as const,
    }), async (argv) => withClient(async (c) => {
      if (!argv.name) {
        const info = await c.serverInfo();
        console.log(argv.format === 'json' ? JSON.stringify(info, null, 2) : formatInfo(info));
        return;
      }
      const [inst, st, snaps] = await Promise.all([
        c.rpc<Instance__Output>('GetInstance', { name: argv.name }),
        c.rpc<InstanceState__Output>('GetInstanceState', { name: argv.name }),
        c.rpc<ListSnapshotsResponse__Output>('ListSnapshots', { instance: argv.name }),
      ]);
      const full = instanceInfo(inst, st, snaps);
      if (argv.format === 'json') {
        console.log(JSON.stringify(full, null, 2));
        return;
      }
      process.stdout.write(formatInstanceInfo(full));
    }))
    .command('launch <image> <name>', 'Create and start an instance from an image', (y) => y
      .positional('image', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true })
      .option('config', { alias: 'c', type: 'string', array: true, default: [] as string[], describe: 'key=value (LXD key names)' })
      .option('target', { type: 'string', default: '', describe: 'Cluster member to run it on, or @GROUP for one of a member group\'s (the leader places it otherwise)' })
      .option('placement', { choices: ['spread', 'pack'] as const, describe: 'Cluster: spread (fewest instances, default) or pack (most that still fit): placement.strategy' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Cluster: show where it would go and why, each member\'s verdict and score; create nothing' }),
    async (argv) => withClient(async (c) => {
      const image = await imageFrom(c, argv.image);
      // On a terminal: the pull of its image by the member it goes to, when there is one.
      type Op = { description: string; status: string; metadata: Record<string, string> };
      const pull = async (p: { update: (d: string) => void }): Promise<void> => {
        const ops = (await c.rpc<{ operations: Op[] }>('ListOperations', {}, 10_000, 'operations').catch(() => ({ operations: [] as Op[] }))).operations;
        const o = ops.find((x) => x.status === 'running' && x.description.startsWith('Pulling image ') && x.description.endsWith(`(launch of ${argv.name})`));
        p.update(o ? `Retrieving image: ${pullProgressDetail(o.metadata)}` : '');
      };
      const op = await withProgress(`Launching ${argv.name}`, (p) => c.rpc<OperationResponse__Output>('CreateInstance', { name: argv.name, image, config: withPlacement(parseConfig(argv.config), argv.placement), start: true, target: argv.target, storagePool: '', dryRun: argv['dry-run'] }, 120_000, 'instances',
        progressShown() && !argv['dry-run'] ? { onOperation: () => void pull(p) } : undefined));
      if (argv['dry-run']) {
        printPlacement(argv.name, op);
        return;
      }
      const at = op.operation?.resources['location'];
      console.log(`Launched ${argv.name} from ${argv.image}${at ? ` on ${at}` : ''}`);
    }))
    .command('init <image> <name>', 'Create an instance without starting it', (y) => y
      .positional('image', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true })
      .option('config', { alias: 'c', type: 'string', array: true, default: [] as string[] })
      .option('target', { type: 'string', default: '', describe: 'Cluster member to create it on' }),
    async (argv) => withClient(async (c) => {
      await c.rpc<OperationResponse__Output>('CreateInstance', { name: argv.name, image: await imageFrom(c, argv.image), config: parseConfig(argv.config), start: false, target: argv.target, storagePool: '', dryRun: false });
      console.log(`Created ${argv.name}`);
    }))
    .command(['list [server]', 'ls'], 'List instances (--format table|json|yaml|csv; json and yaml with LXD\'s field names)', (y) => y
      .positional('server', { type: 'string', describe: 'REMOTE: to list that remote\'s instances (as lxc list prod:)' })
      .option('format', { alias: 'f', choices: ['table', 'json', 'yaml', 'csv'] as const, default: 'table' as const })
      .option('target', { type: 'string', default: '', describe: 'Cluster: only the instances on this member' }),
    async (argv) => withClient(async (c) => {
      const { instances } = await c.rpc<ListInstancesResponse__Output>('ListInstances', { location: argv.target });
      process.stdout.write(formatList(instances as ApiInstance[], argv.format));
    }))
    .command('exec <name> [command..]', 'Run a command in an instance (berth exec c1 -- ps; -t for a terminal)', (y) => y
      .positional('name', { type: 'string', demandOption: true }).positional('command', { type: 'string', array: true, default: [] as string[] })
      .option('tty', { alias: 't', type: 'boolean', describe: 'Give the command a terminal (default: when stdin is one)' }),
    async (argv) => withClient(async (c) => {
      const cmd = argv.command.length > 0 ? argv.command : (argv['--'] as string[] | undefined) ?? [];
      if (cmd.length === 0) throw new UsageError('name the command to run: berth exec NAME -- COMMAND [ARGS...]');
      const interactive = argv.tty ?? process.stdin.isTTY === true;
      const out = process.stdout;
      const tty = interactive ? {
        columns: out.columns ?? 80, rows: out.rows ?? 24,
        onResize: (fn: (columns: number, rows: number) => void) => out.on('resize', () => fn(out.columns ?? 80, out.rows ?? 24)),
      } : undefined;
      if (interactive && process.stdin.isTTY) process.stdin.setRawMode(true);
      try {
        const code = await c.exec(argv.name, cmd.map(String), { stdin: process.stdin, stdout: out, stderr: process.stderr, ...(tty ? { tty } : {}) });
        process.exitCode = code;
      } finally {
        if (interactive && process.stdin.isTTY) process.stdin.setRawMode(false);
        process.stdin.destroy();
      }
    }))
    .command('start <name>', 'Start an instance', (y) => y.positional('name', { type: 'string', demandOption: true }), (argv) => stateChange('start')(argv))
    .command('stop <name>', 'Stop an instance (clean, then killed after --timeout)', (y) => y.positional('name', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false }).option('timeout', { type: 'number', default: 30 })
      .option('stateful', { type: 'boolean', default: false, describe: 'Keep the processes\' state (CRIU); start resumes them (needs migration.stateful=true)' }), (argv) => stateChange('stop')(argv))
    .command('restart <name>', 'Restart an instance', (y) => y.positional('name', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false }), (argv) => stateChange('restart')(argv))
    .command('pause <name>', 'Freeze an instance', (y) => y.positional('name', { type: 'string', demandOption: true }), (argv) => stateChange('freeze')(argv))
    .command('resume <name>', 'Unfreeze an instance', (y) => y.positional('name', { type: 'string', demandOption: true }), (argv) => stateChange('unfreeze')(argv))
    .command(['delete <name>', 'rm <name>'], 'Delete an instance', (y) => y.positional('name', { type: 'string', demandOption: true })
      .option('force', { alias: 'f', type: 'boolean', default: false }),
    async (argv) => withClient(async (c) => {
      await c.rpc<OperationResponse__Output>('DeleteInstance', { name: argv.name, force: argv.force });
    }))
    .command('snapshot <name> [snapshot]', 'Snapshot an instance (snapN by default)', (y) => y.positional('name', { type: 'string', demandOption: true })
      .positional('snapshot', { type: 'string' }).option('stateful', { type: 'boolean', default: false, describe: 'Also the processes\' state (CRIU; needs migration.stateful=true)' }),
    async (argv) => withClient(async (c) => {
      const r = await c.rpc<OperationResponse__Output>('CreateSnapshot', { instance: argv.name, name: argv.snapshot ?? '', stateful: argv.stateful });
      console.log(`Snapshot ${argv.name}/${r.operation?.resources['snapshots'] ?? ''} created`);
    }))
    .command('restore <name> <snapshot>', 'Restore an instance from a snapshot', (y) => y.positional('name', { type: 'string', demandOption: true })
      .positional('snapshot', { type: 'string', demandOption: true }),
    async (argv) => withClient(async (c) => {
      await c.rpc<OperationResponse__Output>('RestoreSnapshot', { instance: argv.name, name: argv.snapshot });
    }))
    .command('move <name> [new-name]', 'Move an instance to another cluster member (--target; live when it runs with migration.stateful=true and both have CRIU, else cold: stopped, moved, started), or rename it (NEW-NAME)', (y) => y
      .positional('name', { type: 'string', demandOption: true })
      .positional('new-name', { type: 'string' })
      .option('target', { type: 'string', describe: 'the member to move it to' })
      .option('mode', { choices: ['auto', 'cold', 'stop-and-copy', 'pre-copy', 'post-copy'] as const, describe: 'how: cold, or a live technique (refused, naming what is missing, when the members cannot); default auto' }),
    async (argv) => withClient(async (c) => {
      if (argv['new-name'] && argv.target) throw new UsageError('berth move: rename (NEW-NAME) or move (--target), one at a time');
      if (argv['new-name']) {
        await c.rpc<OperationResponse__Output>('RenameInstance', { name: argv.name, newName: argv['new-name'] });
        console.log(`Instance ${argv.name} renamed to ${argv['new-name']}`);
        return;
      }
      if (!argv.target) throw new UsageError('berth move NAME: give --target MEMBER (move) or NEW-NAME (rename)');
      let warned = '';
      const op = await withProgress(`Moving ${argv.name} to ${argv.target}`, (p) => c.rpc<OperationResponse__Output>('MoveInstance', { name: argv.name, target: argv.target, mode: argv.mode ?? '' }, 3_700_000, 'instances', {
        onOperation: (o) => {
          p.update(moveProgressDetail(o.metadata, [argv.name]));
          // What the move met that the user should know now (a post-copy source lost): once.
          const w = o.metadata?.[`move.${argv.name}.warning`];
          if (w && w !== warned) {
            warned = w;
            process.stderr.write(`warning: ${w}\n`);
          }
        },
      }));
      const mode = op.operation?.resources?.['mode'];
      console.log(`Instance ${argv.name} moved to ${argv.target}${mode ? ` (${mode})` : ''}`);
      const phases = op.operation?.metadata?.[`move.${argv.name}.phases`];
      if (phases) console.log(`  ${phases}`);
    }))
    .command('copy <source> <name>', 'Copy an instance (SOURCE, or SOURCE/SNAPSHOT) to a new one, stopped: its files, config and snapshots', (y) => y
      .positional('source', { type: 'string', demandOption: true })
      .positional('name', { type: 'string', demandOption: true })
      .option('config', { alias: 'c', type: 'string', array: true, default: [] as string[], describe: 'key=value over the source\'s config ("key=" removes one)' })
      .option('instance-only', { type: 'boolean', default: false, describe: 'without the source\'s snapshots' })
      .option('target', { type: 'string', default: '', describe: 'Cluster member for the copy (default: the source\'s)' }),
    async (argv) => withClient(async (c) => {
      const req = { source: argv.source, name: argv.name, config: parseConfig(argv.config), instanceOnly: argv['instance-only'], target: argv.target, start: false };
      await withProgress(`Copying ${argv.source} to ${argv.name}`, () => c.rpc<OperationResponse__Output>('CopyInstance', req, 3_700_000));
      console.log(`Instance ${argv.name} copied from ${argv.source}`);
    }))
    .command('rename <name> <new-name>', 'Rename a stopped instance', (y) => y
      .positional('name', { type: 'string', demandOption: true })
      .positional('new-name', { type: 'string', demandOption: true }),
    async (argv) => withClient(async (c) => {
      await c.rpc<OperationResponse__Output>('RenameInstance', { name: argv.name, newName: argv['new-name'] });
      console.log(`Instance ${argv.name} renamed to ${argv['new-name']}`);
    }))
    .command('config', 'get | set | unset | show an instance\'s config; trust ...: the API clients the cluster trusts', (yc) => trustCommand(yc)
      .command('set <name> <pairs..>', 'Set config keys: KEY=VALUE... or KEY VALUE ("KEY=" removes one); limits apply live', (y) => y
        .positional('name', { type: 'string', demandOption: true }).positional('pairs', { type: 'string', array: true, demandOption: true }),
      async (argv) => withClient(async (c) => {
        const pairs = argv.pairs.map(String);
        const config = pairs.length === 2 && !pairs[0]!.includes('=') ? { [pairs[0]!]: pairs[1]! } : parseConfig(pairs);
        await c.rpc<OperationResponse__Output>('UpdateInstance', { name: argv.name, config });
      }))
      .command('get <name> <key>', 'Print the value of a config key (an empty line when it is not set)', (y) => y
        .positional('name', { type: 'string', demandOption: true }).positional('key', { type: 'string', demandOption: true }),
      async (argv) => withClient(async (c) => {
        const inst = await c.rpc<Instance__Output>('GetInstance', { name: argv.name });
        console.log(inst.config[argv.key] ?? '');
      }))
      .command('unset <name> <key>', 'Remove a config key (back to its default)', (y) => y
        .positional('name', { type: 'string', demandOption: true }).positional('key', { type: 'string', demandOption: true }),
      async (argv) => withClient(async (c) => {
        const inst = await c.rpc<Instance__Output>('GetInstance', { name: argv.name });
        if (!(argv.key in inst.config)) throw new Error(`cannot unset key '${argv.key}': it is not set on ${argv.name}`);
        await c.rpc<OperationResponse__Output>('UpdateInstance', { name: argv.name, config: { [argv.key]: '' } });
      }))
      .command('show <name>', 'Show an instance\'s configuration as YAML (as lxc config show)', (y) => y
        .positional('name', { type: 'string', demandOption: true }),
      async (argv) => withClient(async (c) => {
        const inst = lxdInstance(await c.rpc<Instance__Output>('GetInstance', { name: argv.name }) as ApiInstance);
        process.stdout.write(toYaml({
          config: inst['config'], description: inst['description'], devices: inst['devices'], ephemeral: inst['ephemeral'],
          profiles: inst['profiles'], stateful: inst['stateful'], location: inst['location'], image_fingerprint: inst['image_fingerprint'],
        }));
      }))
      .demandCommand(1, 'berth config get|set|unset|show NAME ... | berth config trust ...'))
    .command('image <action> [args..]', 'list | import FILE [--alias A] | export IMAGE FILE | alias IMAGE ALIAS | delete IMAGE | copy REMOTE:IMAGE [local:] [--alias A] [--auto-update] (from an image server) | replicas [N] (cluster.images_minimal_replica: members keeping each image, -1 all) | transfers [--watch] (pulls between members: bytes, rate, ETA)', (y) => y
      .positional('action', { choices: ['list', 'import', 'export', 'alias', 'delete', 'copy', 'replicas', 'transfers'] as const, demandOption: true })
      .positional('args', { type: 'string', array: true, default: [] as string[] })
      .option('alias', { type: 'string', array: true, default: [] as string[] })
      .option('auto-update', { type: 'boolean', default: false, describe: 'copy: keep it up to date with the image server (every images.auto_update_interval)' })
      .option('public', { type: 'boolean', default: false, describe: 'import: served by this berthd\'s image server (berthd --images-address)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const, describe: 'list: table, or json with LXD\'s field names' })
      .option('watch', { type: 'boolean', default: false, describe: 'transfers: follow them on one line until none runs' }),
    async (argv) => withClient(async (c) => {
      const [a, b] = argv.args.map(String);
      const need = (n: number, usage: string): void => { if (argv.args.length < n) throw new UsageError(`usage: berth image ${usage}`); };
      switch (argv.action) {
        case 'list': {
          const { images } = await c.rpc<ListImagesResponse__Output>('ListImages', {}, 30_000, 'images');
          if (argv.format === 'json') {
            console.log(JSON.stringify(images.map((i) => ({
              fingerprint: i.fingerprint, aliases: i.aliases.map((name) => ({ name, description: '' })), architecture: i.architecture, size: Number(i.sizeBytes),
              public: i.public, properties: sortedObject(i.properties), created_at: new Date(Number(i.createdAtUnixMs)).toISOString(), locations: i.locations,
            }))));
            break;
          }
          console.log(table([['ALIASES', 'FINGERPRINT', 'DESCRIPTION', 'ARCH', 'SIZE', 'LOCATIONS'], ...images.map((i) => [i.aliases.join(','), i.fingerprint.slice(0, 12), i.description, i.architecture, humanBytes(Number(i.sizeBytes)), i.locations.join(',')])]));
          break;
        }
        case 'import': {
          need(1, 'import FILE [--alias A]');
          const img = await withProgress(`Importing image ${a}`, (p) => c.importImage(a!, argv.alias, (sent, total) => p.update(bytesDetail(sent, total)), argv.public));
          console.log(`Image imported with fingerprint: ${img.fingerprint}`);
          break;
        }
        case 'export':
          need(2, 'export IMAGE FILE');
          await withProgress(`Exporting image ${a}`, (p) => c.exportImage(a!, b!, (n) => p.update(bytesDetail(n))));
          console.log(`Image exported to ${b}`);
          break;
        case 'alias':
          need(2, 'alias IMAGE ALIAS');
          await c.rpc<Image__Output>('CreateAlias', { alias: b, fingerprint: a, description: '' }, 30_000, 'images');
          break;
        case 'delete':
          need(1, 'delete IMAGE');
          await c.rpc<OperationResponse__Output>('DeleteImage', { image: a }, 30_000, 'images');
          break;
        case 'copy': {
          need(1, 'copy REMOTE:IMAGE [TARGET:] [--alias A] [--auto-update]');
          const src = imageServerRef(a!);
          if (!src) throw new UsageError(`berth image copy ${a}: name an image on an image server as REMOTE:IMAGE (add one with: berth remote add NAME URL --protocol simplestreams); between berth servers: berth image export, then import`);
          if (b !== undefined && !/^[^:]+:$/.test(b)) throw new UsageError(`berth image copy ${a} ${b}: the target is a remote, as REMOTE: (e.g. local:)`);
          const to = b?.slice(0, -1);
          const copy = (cc: BerthClient): Promise<{ image: Image__Output; downloaded: boolean }> => withProgress(`Copying image ${a}`, (p) => {
            const t0 = Date.now();
            return cc.copyImage({ server: src.server, protocol: 'simplestreams', image: src.image, certificateFingerprint: src.certFingerprint, aliases: argv.alias, autoUpdate: argv['auto-update'] }, (d, t) => p.update(transferDetail(d, t, t0)));
          });
          let r: { image: Image__Output; downloaded: boolean };
          if (to === undefined || to === currentRemote()) r = await copy(c);
          else {
            const other = openClient(to);
            try {
              r = await copy(other);
            } finally {
              other.close();
            }
          }
          console.log(r.downloaded ? `Image copied from ${src.remote} with fingerprint: ${r.image.fingerprint}` : `Image ${r.image.fingerprint} is here already`);
          break;
        }
        case 'replicas': {
          const n = a === undefined ? undefined : Number(a);
          if (n !== undefined && (!Number.isInteger(n) || (n < 1 && n !== -1))) throw new UsageError(`usage: berth image replicas [N]: N is -1 (every member) or a whole number >= 1, not "${a}"`);
          const r = await c.rpc<{ minimalReplica: number }>('ImageSettings', { set: n !== undefined, minimalReplica: n ?? 0 }, 30_000, 'images');
          console.log(`cluster.images_minimal_replica: ${r.minimalReplica}`);
          break;
        }
        case 'transfers': {
          // Each pull between members is an operation whose metadata carries its progress (node-agent cluster/images.ts).
          type Op = { id: string; description: string; status: string; metadata: Record<string, string> };
          const pulls = async (): Promise<Op[]> => (await c.rpc<{ operations: Op[] }>('ListOperations', {}, 30_000, 'operations')).operations
            .filter((o) => o.status === 'running' && o.description.startsWith('Pulling image '));
          const detail = (o: Op): string => pullProgressDetail(o.metadata);
          if (!argv.watch) {
            console.log(table([['OPERATION', 'TRANSFER', 'PROGRESS'], ...(await pulls()).map((o) => [o.id, o.description, detail(o)])]));
            break;
          }
          await withProgress('Image transfers', async (p) => {
            for (let now = await pulls(); now.length > 0; now = await pulls()) {
              p.update(now.map((o) => `${o.description.replace(/^Pulling image /, '')}: ${detail(o)}`).join(' | '));
              await new Promise((r) => setTimeout(r, 1000));
            }
          });
          console.log('No image transfer runs.');
          break;
        }
      }
    }))
    .command('publish <source>', 'Make an image of an instance or a snapshot (NAME or NAME/SNAPSHOT)', (y) => y
      .positional('source', { type: 'string', demandOption: true }).option('alias', { type: 'string', array: true, default: [] as string[] })
      .option('public', { type: 'boolean', default: false, describe: 'Served by this berthd\'s image server (berthd --images-address)' }),
    async (argv) => withClient(async (c) => {
      const [instance, snapshot] = argv.source.split('/');
      const r = await withProgress(`Publishing ${argv.source}`, () => c.rpc<OperationResponse__Output>('PublishImage', { instance, snapshot: snapshot ?? '', aliases: argv.alias, public: argv.public, properties: {} }, 300_000, 'images'));
      console.log(`Instance published with fingerprint: ${r.operation?.resources['images'] ?? ''}`);
    }))
    .command(placementCommand(withClient, parseConfig))
    .command('cluster <action> [name] [args..]', 'list | show NAME | add NAME (prints a join token for `berthd join`) | remove NAME [--force] | evacuate NAME [--mode M] | restore NAME | group ... | role add|remove MEMBER ROLE | recover [--yes] (offline, berthd stopped: this member alone after a majority is lost for good)', (y) => y
      .positional('action', { choices: ['list', 'show', 'add', 'remove', 'evacuate', 'restore', 'recover', 'group', 'role'] as const, demandOption: true })
      .positional('name', { type: 'string' })
      .positional('args', { type: 'string', array: true, default: [] as string[], describe: `group: ${GROUP_USAGE}; role: add|remove MEMBER ROLE (database-client: never votes in the store)` })
      .option('description', { type: 'string', describe: 'group create: its description' })
      .option('force', { type: 'boolean', default: false, describe: 'remove: also drop the records of its instances; recover: do not ask for confirmation' })
      .option('yes', { type: 'boolean', default: false, describe: 'recover, evacuate, restore: do not ask for confirmation' })
      .option('mode', { choices: ['auto', 'migrate', 'live-migrate', 'stop'] as const, describe: 'evacuate: move its instances (migrate, auto: a cold move) or stop them; default: each instance\'s cluster.evacuate (LXD\'s --action)' })
      .option('data-dir', { type: 'string', describe: 'recover: the stopped member\'s data folder (default: BERTH_DIR, else /var/lib/berth)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
    // recover is offline (berthd stopped): no client, local or remote (see ../recover.ts).
    (argv) => (argv.action === 'recover' ? Promise.resolve(recoverOffline(argv['data-dir'] ?? localDataDir(), argv.yes || argv.force)).then((code) => { process.exitCode = code; }) : withClient(async (c) => {
      if (argv.action === 'group') return groupCommand(c, argv.name, argv.args.map(String), { description: argv.description, format: argv.format });
      if (argv.action === 'role') {
        const [member, role] = argv.args.map(String);
        if ((argv.name !== 'add' && argv.name !== 'remove') || !member || !role) throw new UsageError('berth cluster role add|remove MEMBER ROLE');
        const m = await c.rpc<{ name: string; roles: string[] }>('ChangeMemberRoles', { member, action: argv.name, role }, 30_000, 'cluster');
        console.log(`Member ${m.name}: ${m.roles.join(', ')}`);
        return;
      }
      if (argv.action === 'evacuate' || argv.action === 'restore') {
        if (!argv.name) throw new UsageError(`berth cluster ${argv.action} NAME: the member's name is missing`);
        const verb = argv.action === 'evacuate' ? 'Evacuate' : 'Restore';
        if (!argv.yes && !argv.force && !(await confirm(`${verb} cluster member ${argv.name}? Its instances ${argv.action === 'evacuate' ? 'move to other members or stop' : 'come back to it'}. (yes/no) `))) {
          throw new Error(`${verb} not done (answer yes, or pass --yes)`);
        }
        const watch = (p: { update: (d: string) => void }): { onOperation: (o: { metadata: Record<string, string> }) => void } => ({ onOperation: (o) => p.update(moveProgressDetail(o.metadata)) });
        const r = await withProgress(`${argv.action === 'evacuate' ? 'Evacuating' : 'Restoring'} ${argv.name}`, (p) => (argv.action === 'evacuate'
          ? c.rpc<OperationResponse__Output>('EvacuateMember', { name: argv.name, mode: argv.mode ?? '' }, 3_700_000, 'cluster', watch(p))
          : c.rpc<OperationResponse__Output>('RestoreMember', { name: argv.name }, 3_700_000, 'cluster', watch(p))));
        const res = r.operation?.resources ?? {};
        console.log(argv.action === 'evacuate' ? `Member ${argv.name} evacuated (${res['moved'] ?? 0} moved, ${res['stopped'] ?? 0} stopped)` : `Member ${argv.name} restored (${res['returned'] ?? 0} instance(s) back)`);
        return;
      }
      if (argv.action === 'remove') {
        if (!argv.name) throw new UsageError('berth cluster remove NAME: the member\'s name is missing');
        await c.rpc<OperationResponse__Output>('RemoveMember', { name: argv.name, force: argv.force }, 90_000, 'cluster');
        console.log(`Member ${argv.name} removed`);
        return;
      }
      if (argv.action === 'add') {
        if (!argv.name) throw new UsageError('berth cluster add NAME: the new member\'s name is missing');
        const t = await c.rpc<JoinToken__Output>('CreateJoinToken', { name: argv.name }, 30_000, 'cluster');
        if (argv.format === 'json') console.log(JSON.stringify({ member_name: t.memberName, token: t.token, expires_at: new Date(Number(t.expiresAtUnixMs)).toISOString() }));
        else {
          console.log(`Member ${t.memberName} join token (one use, until ${new Date(Number(t.expiresAtUnixMs)).toISOString()}):`);
          console.log(t.token);
          console.log(`On the new host: berthd join <token> --address HOST:8443 --cluster-address HOST:8444, then start berthd`);
        }
        return;
      }
      const { members } = await c.rpc<ListMembersResponse__Output>('ListMembers', {}, 30_000, 'cluster');
      const shown = argv.action === 'show' ? members.filter((m) => m.name === argv.name) : members;
      if (argv.action === 'show' && shown.length === 0) throw new ApiError(5, `no member named "${argv.name ?? ''}"`);
      const json = shown.map((m) => ({
        server_name: m.name, url: `https://${m.address}`, roles: m.roles, status: m.status, database: m.roles.includes('voter'),
        leader: m.leader, groups: m.groups, cpus: Number(m.cpus), memory_bytes: Number(m.memoryBytes), instances: Number(m.instances), capabilities: m.features ?? [],
      }));
      if (argv.format === 'json' || argv.action === 'show') console.log(JSON.stringify(argv.action === 'show' ? json[0] : json, null, argv.action === 'show' ? 2 : 0));
      else console.log(table([['NAME', 'URL', 'ROLES', 'STATUS', 'INSTANCES', 'CPUS', 'MEMORY', 'CAPABILITIES'], ...json.map((m) => [m.server_name, m.url, m.roles.join(', '), m.status, String(m.instances), String(m.cpus), `${(m.memory_bytes / 2 ** 30).toFixed(1)}GiB`, m.capabilities.join(', ')])]));
    })))
    .command('operation <action> [id]', 'list | show ID [--wait S] | cancel ID: the cluster\'s asynchronous operations', (y) => y
      .positional('action', { choices: ['list', 'show', 'cancel'] as const, demandOption: true })
      .positional('id', { type: 'string' })
      .option('wait', { type: 'number', default: 0, describe: 'show: wait up to S seconds for it to end' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
    (argv) => withClient(async (c) => {
      type Op = { id: string; description: string; status: string; mayCancel: boolean; error: string; location: string; createdAtUnixMs: number | string; metadata?: Record<string, string> };
      if (argv.action !== 'list' && !argv.id) throw new UsageError(`berth operation ${argv.action} ID: the operation's id is missing`);
      if (argv.action === 'list') {
        const { operations } = await c.rpc<{ operations: Op[] }>('ListOperations', {}, 30_000, 'operations');
        if (argv.format === 'json') console.log(JSON.stringify(operations.map((o) => ({ id: o.id, description: o.description, status: o.status, may_cancel: o.mayCancel, err: o.error, location: o.location, created_at: new Date(Number(o.createdAtUnixMs)).toISOString() }))));
        else console.log(table([['ID', 'DESCRIPTION', 'STATUS', 'CANCELABLE', 'LOCATION'], ...operations.map((o) => [o.id, o.description, o.status.toUpperCase(), o.mayCancel ? 'YES' : 'NO', o.location])]));
        return;
      }
      const op = await c.rpc<Op>(argv.action === 'cancel' ? 'CancelOperation' : 'GetOperation', argv.action === 'cancel' ? { id: argv.id } : { id: argv.id, waitSeconds: argv.wait }, 60_000 + argv.wait * 1000, 'operations');
      console.log(JSON.stringify({ id: op.id, description: op.description, status: op.status, may_cancel: op.mayCancel, err: op.error, location: op.location, metadata: op.metadata ?? {} }, null, 2));
    }))
    .command('monitor [server]', 'Print the cluster\'s events as they happen, one JSON object a line (Ctrl-C ends)', (y) => y
      .positional('server', { type: 'string', describe: 'REMOTE: to watch that remote (as lxc monitor prod:)' })
      .option('type', { type: 'string', array: true, default: [] as string[], describe: 'lifecycle, operation (all when absent)' })
      .option('instance', { type: 'string', default: '', describe: 'Only events about this instance' }),
    (argv) => new Promise<void>((resolve, reject) => {
      const c = openClient();
      const stream = c.events.WatchEvents({ types: argv.type, instance: argv.instance });
      stream.on('data', (e: { type: string; timestampUnixMs: number | string; location: string; metadataJson: string }) => {
        console.log(JSON.stringify({ type: e.type, timestamp: new Date(Number(e.timestampUnixMs)).toISOString(), location: e.location, metadata: JSON.parse(e.metadataJson || '{}') }));
      });
      stream.on('error', (e: GrpcJs.ServiceError) => { c.close(); if (e.code === Status.CANCELLED) resolve(); else reject(c.toError(e)); });
      stream.on('end', () => { c.close(); resolve(); });
      process.once('SIGINT', () => stream.cancel());
      process.once('SIGTERM', () => stream.cancel());
    }))
    .command('console <name>', 'Show the console log of an instance', (y) => y.positional('name', { type: 'string', demandOption: true }),
      async (argv) => withClient(async (c) => {
        process.stdout.write((await c.rpc<ConsoleLogResponse__Output>('ConsoleLog', { name: argv.name })).log);
      }))
    .completion('completion', 'Print a bash completion script (berth completion >> ~/.bashrc, or > /etc/bash_completion.d/berth)')
    .strict()
    // yargs' validation failures (unknown command or flag, bad choice, missing argument) are usage
    // errors (exit code 2); errors of the handlers pass through as they are.
    .fail((msg: string | null, err: Error | undefined) => { throw err ?? new UsageError(msg ?? 'invalid arguments'); })
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
    .demandCommand(1, 'name a command; see berth --help')
    .help()
    .alias('help', 'h')
    .parseAsync();
}

main().catch(reportAndExit);
