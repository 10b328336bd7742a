#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatCapabilities, probeHost } from '../capabilities';
import { Daemon, DEFAULT_DATA_DIR } from '../daemon/daemon';

/** berthd: the daemon every berth host runs, and its host-level commands. */
async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('berthd')
    .option('data-dir', {
      type: 'string',
      default: process.env['BERTH_DIR'] ?? DEFAULT_DATA_DIR,
      describe: 'Folder for this daemon\'s state and its unix socket (BERTH_DIR)',
    })
    .command('$0', 'Run the daemon in the foreground', (y) => y.option('storage', {
      choices: ['dir', 'btrfs'] as const, default: 'dir' as const,
      describe: 'Driver of the default storage pool when it is first created (btrfs: on a loop file berth makes)',
    }), async (argv) => {
      const daemon = new Daemon({ dataDir: argv['data-dir'], storageDriver: argv.storage });
      await daemon.start();
      console.log(`berthd ${process.pid} serving on unix://${daemon.socket}`);
      const env = argv['data-dir'] === DEFAULT_DATA_DIR ? '' : `BERTH_DIR=${argv['data-dir']} `;
      console.log('Try, in another terminal (in the repository):');
      for (const cmd of ['info', 'launch busybox c1', 'exec c1 -- ps', 'list', 'snapshot c1', 'stop c1', 'delete c1']) console.log(`  ${env}npx berth ${cmd}`);
      console.log('  npx berthd check');
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`berthd: ${sig}, stopping`);
        daemon.stop().then(() => process.exit(0), (e: unknown) => {
          console.error(`berthd: stop failed: ${String(e)}`);
          process.exit(1);
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    })
    .command('check', 'Probe and report what this host can do', (y) => y.option('format', {
      choices: ['text', 'json'] as const, default: 'text' as const,
    }), async (argv) => {
      const report = await probeHost();
      console.log(argv.format === 'json' ? JSON.stringify(report, null, 2) : formatCapabilities(report));
    })
    .strict()
    .fail(false)
    .demandCommand(0)
    .help()
    .parseAsync();
}

main().catch((e: unknown) => {
  console.error(`berthd: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
