#!/usr/bin/env node
import { startCpuProfile } from '../daemon/cpu-profile';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatCapabilities, probeHost } from '../capabilities';
import { Daemon, DEFAULT_DATA_DIR } from '../daemon/daemon';
import { initCluster } from '../cluster/cluster-member';
import { joinCluster } from '../cluster/join';
import { retireClusterState } from '../cluster/files';
import { recoverMember } from '../cluster/recover';
import { quietIpServerNameWarning } from '@berth/raft-store';

// grpc-js hands Node the member's IP as the TLS server name when dialling by address (DEP0123).
quietIpServerNameWarning();

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
    }).option('images-address', {
      type: 'string',
      describe: 'HOST:PORT where berthd serves its public images as a simplestreams image server (https, a self-signed certificate to pin)',
    }).option('data-address', {
      type: 'string',
      describe: 'HOST:PORT where this cluster member takes data links (bulk bytes of moves and image transfers, TLS with the member certificates); default: the cluster address\'s host, any free port; "off": none (the bytes go on the gRPC streams)',
    }).option('images-auto-update-interval', {
      type: 'number', default: 6,
      describe: 'images.auto_update_interval: hours between refreshes of images copied with --auto-update (0: never)',
    }).check((a) => {
      const h = a['images-auto-update-interval'];
      if (!Number.isFinite(h) || h < 0) throw new Error(`--images-auto-update-interval: hours >= 0, not ${String(h)}`);
      return true;
    }), async (argv) => {
      const daemon: Daemon = new Daemon({
        dataDir: argv['data-dir'],
        storageDriver: argv.storage,
        imagesAutoUpdateIntervalMs: argv['images-auto-update-interval'] * 3600_000,
        imagesAddress: argv['images-address'],
        dataAddress: argv['data-address'] === 'off' ? false : argv['data-address'],
        // Removed from the cluster: stop, keep the cluster state aside, and say what now.
        onRemoved: (why) => {
          console.error(`berthd: ${why}; stopping`);
          daemon.stop().then(() => {
            const kept = retireClusterState(argv['data-dir']);
            console.error(`berthd: this host's cluster state is kept in ${kept}; its containers stay as they are. `
              + 'Started again, berthd serves this host alone; `berthd join TOKEN` (a token from `berth cluster add NAME` on a member) makes it a member anew.');
            process.exit(0);
          }, (e: unknown) => {
            console.error(`berthd: stop failed: ${String(e)}`);
            process.exit(1);
          });
        },
      });
      const profiled = startCpuProfile(process.env['BERTH_CPU_PROFILE']);
      await daemon.start();
      const c = daemon.cluster?.config;
      console.log(`berthd ${process.pid} serving on unix://${daemon.socket}${c ? `, member ${c.name} of cluster ${c.clusterId} on ${c.address} and ${c.clusterAddress}` : ''}`);
      if (daemon.imageServer) console.log(`berthd: public images served on ${daemon.imageServer.server.url} (simplestreams; certificate SHA-256 ${daemon.imageServer.fingerprint})`);
      const env = argv['data-dir'] === DEFAULT_DATA_DIR ? '' : `BERTH_DIR=${argv['data-dir']} `;
      console.log('Try, in another terminal (in the repository):');
      for (const cmd of ['info', 'launch busybox c1', 'exec c1 -- ps', 'list', 'snapshot c1', 'stop c1', 'delete c1']) console.log(`  ${env}npx berth ${cmd}`);
      console.log('  npx berthd check');
      let stopping = false;
      const stop = (sig: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`berthd: ${sig}, stopping`);
        daemon.stop().then(() => profiled()).then(() => process.exit(0), (e: unknown) => {
          console.error(`berthd: stop failed: ${String(e)}`);
          process.exit(1);
        });
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    })
    .command('init', 'Make this host the first member of a new cluster (then run berthd)', (y) => y
      .option('name', { type: 'string', demandOption: true, describe: 'This member\'s name' })
      .option('address', { type: 'string', demandOption: true, describe: 'host:port where joiners (and later API clients) reach it, e.g. 10.0.0.1:8443' })
      .option('cluster-address', { type: 'string', demandOption: true, describe: 'host:port for member-to-member traffic (mutual TLS), e.g. 10.0.0.1:8444' })
      .option('max-voters', { type: 'number', default: 3, describe: 'cluster.max_voters: Raft voters kept (odd); other members are stand-by learners' })
      .option('offline-threshold', { type: 'number', default: 20, describe: 'cluster.offline_threshold in seconds' }),
    (argv) => {
      const c = initCluster(argv['data-dir'], { name: argv.name, address: argv.address, clusterAddress: argv['cluster-address'], maxVoters: argv['max-voters'], offlineThresholdMs: argv['offline-threshold'] * 1000 });
      console.log(`cluster ${c.clusterId} made; ${c.name} is its first member. Start berthd; add members with: berth cluster add NAME`);
    })
    .command('join <token>', 'Join a cluster with a token from `berth cluster add` (then run berthd)', (y) => y
      .positional('token', { type: 'string', demandOption: true })
      .option('name', { type: 'string', describe: 'This member\'s name (the token\'s, by default)' })
      .option('address', { type: 'string', demandOption: true, describe: 'host:port of this member\'s join/API listener' })
      .option('cluster-address', { type: 'string', demandOption: true, describe: 'host:port of this member\'s member-to-member listener' }),
    async (argv) => {
      const c = await joinCluster(argv['data-dir'], { token: argv.token, name: argv.name, address: argv.address, clusterAddress: argv['cluster-address'] });
      console.log(`joined cluster ${c.clusterId} as ${c.name} (member ${c.memberId}); start berthd now`);
    })
    .command('recover', 'Offline, berthd stopped: make this surviving member the only voter after a majority of voters is lost for good', (y) => y
      .option('yes', { alias: 'force', type: 'boolean', default: false, describe: 'Do not ask for confirmation' }),
    async (argv) => {
      await recoverMember(argv['data-dir'], { yes: argv.yes });
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
