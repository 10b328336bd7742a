#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { Feature__Output, ServerInfo__Output } from '@berth/proto';
import { BerthClient } from '../client';

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

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('berth')
    .command('info', 'Show the daemon and what its host can do', (y) => y.option('format', {
      choices: ['text', 'json'] as const, default: 'text' as const,
    }), async (argv) => {
      const client = new BerthClient();
      try {
        const info = await client.serverInfo();
        console.log(argv.format === 'json' ? JSON.stringify(info, null, 2) : formatInfo(info));
      } finally {
        client.close();
      }
    })
    .strict()
    .fail(false)
    .demandCommand(1, 'name a command; see berth --help')
    .help()
    .parseAsync();
}

main().catch((e: unknown) => {
  console.error(`Error: ${e instanceof Error ? e.message : String(e)}`);
  if (e instanceof Error && e.name === 'YError') console.error('See: berth --help');
  process.exit(1);
});
