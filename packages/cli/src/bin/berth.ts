#!/usr/bin/env node
import * as grpc from '@grpc/grpc-js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type {
  ConsoleLogResponse__Output, Feature__Output, Instance__Output, InstanceState__Output, ListInstancesResponse__Output,
  Image__Output, JoinToken__Output, ListImagesResponse__Output, ListMembersResponse__Output, ListSnapshotsResponse__Output,
  OperationResponse__Output, ServerInfo__Output,
} from '@berth/proto';
import { ApiError, BerthClient } from '../client';

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

/** Runs fn with a client of the local daemon, closing it after. */
async function withClient<T>(fn: (c: BerthClient) => Promise<T>): Promise<T> {
  const c = new BerthClient();
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function parseConfig(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`-c ${p}: expected key=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line, fmt(rows[0]!), line, ...rows.slice(1).map(fmt), line].join('\n');
}

const stateChange = (action: string) => async (argv: { name: string; force?: boolean; timeout?: number; stateful?: boolean }): Promise<void> =>
  withClient(async (c) => {
    await c.rpc<OperationResponse__Output>('ChangeState', { name: argv.name, action, force: argv.force ?? false, stateful: argv.stateful ?? false, timeoutSeconds: argv.timeout ?? 0 });
  });

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('berth')
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
      if (argv.format === 'json') {
        console.log(JSON.stringify({ ...inst, state: st, snapshots: snaps.snapshots }, null, 2));
        return;
      }
      console.log([
        `name:      ${inst.name}`, `status:    ${st.status}`, `image:     ${inst.imageFingerprint.slice(0, 12)}`,
        `pid:       ${st.pid}`, `processes: ${st.processes}`, `memory:    ${st.memoryUsageBytes} bytes`,
        `cpu:       ${(st.cpuUsageNs / 1e9).toFixed(2)} s`, `disk:      ${st.diskUsageBytes} bytes`,
        `config:    ${Object.entries(inst.config).map(([k, v]) => `${k}=${v}`).join(', ') || '-'}`,
        `snapshots: ${snaps.snapshots.map((s) => s.name).join(', ') || '-'}`,
      ].join('\n'));
    }))
    .command('launch <image> <name>', 'Create and start an instance from an image', (y) => y
      .positional('image', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true })
      .option('config', { alias: 'c', type: 'string', array: true, default: [] as string[], describe: 'key=value (LXD key names)' })
      .option('target', { type: 'string', default: '', describe: 'Cluster member to run it on (the leader places it otherwise)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Cluster: show where it would go and why, each member\'s verdict; create nothing' }),
    async (argv) => withClient(async (c) => {
      const op = await c.rpc<OperationResponse__Output>('CreateInstance', { name: argv.name, image: argv.image, config: parseConfig(argv.config), start: true, target: argv.target, storagePool: '', dryRun: argv['dry-run'] });
      if (argv['dry-run']) {
        const md = op.operation?.metadata ?? {};
        const chosen = op.operation?.resources['location'];
        console.log(chosen ? `${argv.name} would go to ${chosen}` : `${argv.name} fits nowhere: ${md['why'] ?? ''}`);
        const rows = Object.entries(md).filter(([k]) => k.startsWith('verdict.')).map(([k, v]) => [k.slice('verdict.'.length), ...v.split(/: (.*)/s).slice(0, 2)]);
        if (rows.length) console.log(table([['MEMBER', 'VERDICT', 'WHY'], ...rows.map((r) => [r[0] ?? '', r[1] ?? '', r[2] ?? ''])]));
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
      await c.rpc<OperationResponse__Output>('CreateInstance', { name: argv.name, image: argv.image, config: parseConfig(argv.config), start: false, target: argv.target, storagePool: '', dryRun: false });
      console.log(`Created ${argv.name}`);
    }))
    .command(['list', 'ls'], 'List instances', (y) => y.option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
      async (argv) => withClient(async (c) => {
        const { instances } = await c.rpc<ListInstancesResponse__Output>('ListInstances', { location: '' });
        if (argv.format === 'json') {
          console.log(JSON.stringify(instances, null, 2));
          return;
        }
        const clustered = instances.some((i) => i.location);
        console.log(table([['NAME', 'STATUS', 'IMAGE', ...(clustered ? ['LOCATION'] : [])], ...instances.map((i) => [i.name, i.status.toUpperCase(), i.imageFingerprint.slice(0, 12), ...(clustered ? [i.location] : [])])]));
      }))
    .command('exec <name> [command..]', 'Run a command in an instance (berth exec c1 -- ps; -t for a terminal)', (y) => y
      .positional('name', { type: 'string', demandOption: true }).positional('command', { type: 'string', array: true, default: [] as string[] })
      .option('tty', { alias: 't', type: 'boolean', describe: 'Give the command a terminal (default: when stdin is one)' }),
    async (argv) => withClient(async (c) => {
      const cmd = argv.command.length > 0 ? argv.command : (argv['--'] as string[] | undefined) ?? [];
      if (cmd.length === 0) throw new Error('name the command to run: berth exec NAME -- COMMAND [ARGS...]');
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
    .command('config set <name> <pairs..>', 'Set config keys (key=value; "key=" removes); limits apply live', (y) => y
      .positional('name', { type: 'string', demandOption: true }).positional('pairs', { type: 'string', array: true, demandOption: true }),
    async (argv) => withClient(async (c) => {
      await c.rpc<OperationResponse__Output>('UpdateInstance', { name: argv.name, config: parseConfig(argv.pairs) });
    }))
    .command('image <action> [args..]', 'list | import FILE [--alias A] | export IMAGE FILE | alias IMAGE ALIAS | delete IMAGE', (y) => y
      .positional('action', { choices: ['list', 'import', 'export', 'alias', 'delete'] as const, demandOption: true })
      .positional('args', { type: 'string', array: true, default: [] as string[] })
      .option('alias', { type: 'string', array: true, default: [] as string[] }),
    async (argv) => withClient(async (c) => {
      const [a, b] = argv.args.map(String);
      const need = (n: number, usage: string): void => { if (argv.args.length < n) throw new Error(`usage: berth image ${usage}`); };
      switch (argv.action) {
        case 'list': {
          const { images } = await c.rpc<ListImagesResponse__Output>('ListImages', {}, 30_000, 'images');
          console.log(table([['ALIASES', 'FINGERPRINT', 'DESCRIPTION', 'ARCH', 'SIZE'], ...images.map((i) => [i.aliases.join(','), i.fingerprint.slice(0, 12), i.description, i.architecture, `${(i.sizeBytes / 1048576).toFixed(2)}MiB`])]));
          break;
        }
        case 'import': {
          need(1, 'import FILE [--alias A]');
          const img = await c.importImage(a!, argv.alias);
          console.log(`Image imported with fingerprint: ${img.fingerprint}`);
          break;
        }
        case 'export':
          need(2, 'export IMAGE FILE');
          await c.exportImage(a!, b!);
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
      }
    }))
    .command('publish <source>', 'Make an image of an instance or a snapshot (NAME or NAME/SNAPSHOT)', (y) => y
      .positional('source', { type: 'string', demandOption: true }).option('alias', { type: 'string', array: true, default: [] as string[] }),
    async (argv) => withClient(async (c) => {
      const [instance, snapshot] = argv.source.split('/');
      const r = await c.rpc<OperationResponse__Output>('PublishImage', { instance, snapshot: snapshot ?? '', aliases: argv.alias, public: false, properties: {} }, 300_000, 'images');
      console.log(`Instance published with fingerprint: ${r.operation?.resources['images'] ?? ''}`);
    }))
    .command('cluster <action> [name]', 'list | show NAME | add NAME (prints a join token for `berthd join`) | remove NAME [--force]', (y) => y
      .positional('action', { choices: ['list', 'show', 'add', 'remove'] as const, demandOption: true })
      .positional('name', { type: 'string' })
      .option('force', { type: 'boolean', default: false, describe: 'remove: also drop the records of its instances' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
    (argv) => withClient(async (c) => {
      if (argv.action === 'remove') {
        if (!argv.name) throw new Error('berth cluster remove NAME: the member\'s name is missing');
        await c.rpc<OperationResponse__Output>('RemoveMember', { name: argv.name, force: argv.force }, 90_000, 'cluster');
        console.log(`Member ${argv.name} removed`);
        return;
      }
      if (argv.action === 'add') {
        if (!argv.name) throw new Error('berth cluster add NAME: the new member\'s name is missing');
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
        leader: m.leader, cpus: Number(m.cpus), memory_bytes: Number(m.memoryBytes), instances: Number(m.instances),
      }));
      if (argv.format === 'json' || argv.action === 'show') console.log(JSON.stringify(argv.action === 'show' ? json[0] : json, null, argv.action === 'show' ? 2 : 0));
      else console.log(table([['NAME', 'URL', 'ROLES', 'STATUS', 'INSTANCES', 'CPUS', 'MEMORY'], ...json.map((m) => [m.server_name, m.url, m.roles.join(', '), m.status, String(m.instances), String(m.cpus), `${(m.memory_bytes / 2 ** 30).toFixed(1)}GiB`])]));
    }))
    .command('operation <action> [id]', 'list | show ID [--wait S] | cancel ID: the cluster\'s asynchronous operations', (y) => y
      .positional('action', { choices: ['list', 'show', 'cancel'] as const, demandOption: true })
      .positional('id', { type: 'string' })
      .option('wait', { type: 'number', default: 0, describe: 'show: wait up to S seconds for it to end' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
    (argv) => withClient(async (c) => {
      type Op = { id: string; description: string; status: string; mayCancel: boolean; error: string; location: string; createdAtUnixMs: number | string };
      if (argv.action !== 'list' && !argv.id) throw new Error(`berth operation ${argv.action} ID: the operation's id is missing`);
      if (argv.action === 'list') {
        const { operations } = await c.rpc<{ operations: Op[] }>('ListOperations', {}, 30_000, 'operations');
        if (argv.format === 'json') console.log(JSON.stringify(operations.map((o) => ({ id: o.id, description: o.description, status: o.status, may_cancel: o.mayCancel, err: o.error, location: o.location, created_at: new Date(Number(o.createdAtUnixMs)).toISOString() }))));
        else console.log(table([['ID', 'DESCRIPTION', 'STATUS', 'CANCELABLE', 'LOCATION'], ...operations.map((o) => [o.id, o.description, o.status.toUpperCase(), o.mayCancel ? 'YES' : 'NO', o.location])]));
        return;
      }
      const op = await c.rpc<Op>(argv.action === 'cancel' ? 'CancelOperation' : 'GetOperation', argv.action === 'cancel' ? { id: argv.id } : { id: argv.id, waitSeconds: argv.wait }, 60_000 + argv.wait * 1000, 'operations');
      console.log(JSON.stringify({ id: op.id, description: op.description, status: op.status, may_cancel: op.mayCancel, err: op.error, location: op.location }, null, 2));
    }))
    .command('monitor', 'Print the cluster\'s events as they happen, one JSON object a line (Ctrl-C ends)', (y) => y
      .option('type', { type: 'string', array: true, default: [] as string[], describe: 'lifecycle, operation (all when absent)' })
      .option('instance', { type: 'string', default: '', describe: 'Only events about this instance' }),
    (argv) => new Promise<void>((resolve, reject) => {
      const c = new BerthClient();
      const stream = c.events.WatchEvents({ types: argv.type, instance: argv.instance });
      stream.on('data', (e: { type: string; timestampUnixMs: number | string; location: string; metadataJson: string }) => {
        console.log(JSON.stringify({ type: e.type, timestamp: new Date(Number(e.timestampUnixMs)).toISOString(), location: e.location, metadata: JSON.parse(e.metadataJson || '{}') }));
      });
      stream.on('error', (e: grpc.ServiceError) => { c.close(); if (e.code === grpc.status.CANCELLED) resolve(); else reject(c.toError(e)); });
      stream.on('end', () => { c.close(); resolve(); });
      process.once('SIGINT', () => stream.cancel());
      process.once('SIGTERM', () => stream.cancel());
    }))
    .command('console <name>', 'Show the console log of an instance', (y) => y.positional('name', { type: 'string', demandOption: true }),
      async (argv) => withClient(async (c) => {
        process.stdout.write((await c.rpc<ConsoleLogResponse__Output>('ConsoleLog', { name: argv.name })).log);
      }))
    .strict()
    .fail(false)
    .parserConfiguration({ 'populate--': true })
    .demandCommand(1, 'name a command; see berth --help')
    .help()
    .parseAsync();
}

main().catch((e: unknown) => {
  console.error(`Error: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof ApiError && e.field) process.exitCode = 1;
  if (e instanceof Error && e.name === 'YError') console.error('See: berth --help');
  process.exit(1);
});
