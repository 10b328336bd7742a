#!/usr/bin/env -S node --initial-old-space-size=128
/**
 * raft-store: run a member, or talk to a cluster through etcd's v3 API.
 *
 * The first line is how a member's node runs (bench/raft.ts starts members with the flags it
 * names, too): `--initial-old-space-size=128` lets V8 skip full collections while the old
 * generation is below 128 MB. A member's live heap is small (~18 MB under load) but it promotes
 * ~8 MB/s (the log's in-memory entries, the key cache), and V8 sizes the next full collection
 * from the live heap: without the floor, one every ~0.65 s, a 5-10 ms pause each, most of a
 * member's stalls beside scavenges (see design.md, "The runtime").
 *
 *   raft-store start --id 1 --cluster c1 --data-dir /var/lib/rs1 \
 *     --peer-listen 10.0.0.1:2380 --client-listen 10.0.0.1:2379 \
 *     --peer 1=10.0.0.1:2380=10.0.0.1:2379 --peer 2=... --peer 3=...
 *   raft-store --endpoints 10.0.0.1:2379 put k v | get k [END] [--prefix|--from-key] [--limit N] | del k | cas k old new
 *   raft-store --endpoints ... txn < TEXT   (etcdctl's txn text: compares, success, failure; txn-text.ts)
 *   raft-store --endpoints ... watch k [--prefix] | status | member list|add|remove|promote | move-leader ID
 *   raft-store recover --data-dir /var/lib/rs1 [--voters 1,2] [--dry-run]   (offline; see design.md)
 *   TLS (etcd's names; tls-flags.ts): start ... --cert-file F --key-file F [--client-cert-auth
 *     --trusted-ca-file F] [--peer-cert-file F --peer-key-file F --peer-trusted-ca-file F];
 *     client commands --cacert F [--cert F --key F]
 */
import * as fs from 'node:fs';
import yargs from 'yargs';
import { loadBerthV1 } from '@berth/proto';
import { hideBin } from 'yargs/helpers';
import { EtcdClient } from '../client/etcd-client';
import type { MemberRecord } from '../kv/types';
import { Member } from '../member';
import { describeRecovery, recoverAsSoleMember } from '../storage/recover';
import { clientCredentials, memberTls } from './tls-flags';
import { quietIpServerNameWarning } from '../client/ip-servername';
import { formatTxnResponse, parseTxn } from './txn-text';
import type { ClientTlsFlags } from './tls-flags';

function parsePeer(s: string): MemberRecord {
  const m = /^(\d+)=([^=]+:\d+)=([^=]+:\d+)$/.exec(s);
  if (!m) throw new Error(`--peer must be ID=PEER_HOST:PORT=CLIENT_HOST:PORT, got "${s}"`);
  return { id: Number(m[1]), address: m[2]!, clientAddress: m[3]! };
}

type ClientArgv = { endpoints: string; timeout: number } & ClientTlsFlags;

function client(argv: ClientArgv): EtcdClient {
  return new EtcdClient({ endpoints: argv.endpoints.split(',').filter(Boolean), timeoutMs: argv.timeout, credentials: clientCredentials(argv) });
}

async function withClient<T>(argv: ClientArgv, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
  const c = client(argv);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const text = (b: Buffer | Uint8Array | string): string => Buffer.from(b as Uint8Array).toString();

quietIpServerNameWarning();

async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('raft-store')
    .option('endpoints', { type: 'string', default: '127.0.0.1:2379', describe: 'Client addresses, comma-separated' })
    .option('timeout', { type: 'number', default: 10_000, describe: 'Request timeout, ms' })
    .option('cacert', { type: 'string', describe: 'Client commands: TLS to the endpoints, trusting this CA (PEM)' })
    .option('cert', { type: 'string', describe: 'Client commands: this client\'s certificate (PEM; with --key)' })
    .option('key', { type: 'string', describe: 'Client commands: the private key of --cert (PEM)' })
    .command('start', 'Run a member in the foreground', (y) => y
      .option('id', { type: 'number', demandOption: true })
      .option('cluster', { type: 'string', demandOption: true, describe: 'Cluster name; a member refuses a data folder of another cluster' })
      .option('data-dir', { type: 'string', demandOption: true })
      .option('peer-listen', { type: 'string', demandOption: true })
      .option('client-listen', { type: 'string', demandOption: true })
      .option('peer', { type: 'string', array: true, default: [] as string[], describe: 'Founding member ID=PEER=CLIENT (repeat); with --join: existing members to reach' })
      .option('join', { type: 'boolean', default: false, describe: 'Join a running cluster (after `member add`) instead of founding one' })
      .option('tick-ms', { type: 'number', default: 100 })
      .option('election-ticks', { type: 'number', default: 10 })
      .option('snapshot-entries', { type: 'number', default: 10_000 })
      .option('lease-reads', { type: 'boolean', default: false, describe: 'Serve linearizable reads on the leader\'s lease, without a heartbeat round (assumes bounded clock drift between members). Give it to EVERY member: it also turns off leader-loss elections, which a lease relies on no member making' })
      .option('leader-loss-election', { type: 'boolean', default: true, describe: 'Campaign within a few ticks when the connection to the leader breaks (off with --lease-reads)' })
      .option('cert-file', { type: 'string', describe: 'Client port: serve TLS with this certificate (PEM; with --key-file)' })
      .option('key-file', { type: 'string', describe: 'Client port: the private key of --cert-file (PEM)' })
      .option('client-cert-auth', { type: 'boolean', default: false, describe: 'Client port: require a client certificate of --trusted-ca-file' })
      .option('trusted-ca-file', { type: 'string', describe: 'Client port: the CA of accepted client certificates (PEM; with --client-cert-auth)' })
      .option('peer-cert-file', { type: 'string', describe: 'Mutual TLS between members: this member\'s certificate (PEM; needs --peer-key-file, --peer-trusted-ca-file and the client port on TLS)' })
      .option('peer-key-file', { type: 'string', describe: 'The private key of --peer-cert-file (PEM)' })
      .option('peer-trusted-ca-file', { type: 'string', describe: 'The CA of the other members\' certificates (PEM)' }),
    async (argv) => {
      const peers = argv.peer.map(parsePeer);
      const tlsOptions = memberTls(argv);
      const member = await Member.start({
        ...tlsOptions,
        id: argv.id, clusterId: argv.cluster, dataDir: argv['data-dir'], peerAddress: argv['peer-listen'], clientAddress: argv['client-listen'],
        bootstrap: !argv.join && peers.length > 0 ? peers : undefined,
        peers: argv.join ? peers : undefined,
        node: {
          tickMs: argv['tick-ms'], snapshotEntries: argv['snapshot-entries'],
          raft: { electionTick: argv['election-ticks'], heartbeatTick: 1, readOnlyOption: argv['lease-reads'] ? 'lease-based' : 'safe', leaderLossElection: argv['leader-loss-election'] && !argv['lease-reads'] },
        },
      });
      console.log(`raft-store member ${argv.id} of ${argv.cluster}: peers on ${argv['peer-listen']}${tlsOptions.peerTls ? ' (mutual TLS)' : ''}, clients on ${argv['client-listen']}${tlsOptions.clientTls ? (tlsOptions.clientTls.requestCert ? ' (TLS, client certificates required)' : ' (TLS)') : ''}`);
      member.node.onLeaderChange = (leader, term) => console.log(`${new Date().toISOString()} leader ${leader || 'none'} (term ${term})`);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        member.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      const watchFailure = setInterval(() => {
        if (member.node.failed) {
          console.error(`raft-store: member stopped: ${member.node.failed.message}`);
          process.exit(2);
        }
      }, 500);
      watchFailure.unref();
    })
    .command('recover', 'Offline: make this stopped member the sole voter of a new configuration after a majority is lost for good, keeping (and committing) all its entries', (y) => y
      .option('data-dir', { type: 'string', demandOption: true, describe: 'The stopped member\'s data folder' })
      .option('voters', { type: 'string', describe: 'Ids to keep as voters, comma-separated (default: this member alone)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would change; write nothing' }),
    async (argv) => {
      const voters = argv.voters?.split(',').filter(Boolean).map((v) => {
        const id = Number(v);
        if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`--voters: "${v}" is not a member id`);
        return id;
      });
      const r = await recoverAsSoleMember(argv['data-dir'], { voters, dryRun: argv['dry-run'] });
      console.log(describeRecovery(r));
      if (!r.dryRun) console.log('Recovered. Start this member alone; never start the removed members again with their old data (wipe them and add them back).');
    })
    .command('put <KEY> <VALUE>', 'Write a key', (y) => y.positional('KEY', { type: 'string', demandOption: true }).positional('VALUE', { type: 'string', demandOption: true }),
      async (argv) => withClient(argv, async (c) => {
        const r = await c.put(argv.KEY, argv.VALUE);
        console.log(`OK (revision ${r.header?.revision})`);
      }))
    .command('get <KEY> [RANGE_END]', 'Read a key, a prefix (--prefix) or the keys in [KEY, RANGE_END)', (y) => y.positional('KEY', { type: 'string', demandOption: true })
      .positional('RANGE_END', { type: 'string', describe: 'The end of the range, not included' })
      .option('prefix', { type: 'boolean', default: false }).option('from-key', { type: 'boolean', default: false, describe: 'Every key from KEY on' })
      .option('serializable', { type: 'boolean', default: false })
      .option('limit', { type: 'number', default: 0, describe: 'At most this many keys (0: no limit)' }),
    async (argv) => withClient(argv, async (c) => {
      if ([argv.prefix, argv['from-key'], argv.RANGE_END !== undefined].filter(Boolean).length > 1) throw new Error('get takes one of --prefix, --from-key and RANGE_END');
      if (!Number.isSafeInteger(argv.limit) || argv.limit < 0) throw new Error(`--limit must be a whole number >= 0, got ${argv.limit}`);
      const rangeEnd = argv['from-key'] ? Buffer.from([0]) : argv.RANGE_END;
      const r = await c.get(argv.KEY, { prefix: argv.prefix, rangeEnd, limit: argv.limit, serializable: argv.serializable });
      for (const kv of r.kvs) console.log(`${text(kv.key)}\n${text(kv.value)}`);
    }))
    .command('del <KEY>', 'Delete a key or a prefix', (y) => y.positional('KEY', { type: 'string', demandOption: true }).option('prefix', { type: 'boolean', default: false }),
      async (argv) => withClient(argv, async (c) => console.log((await c.delete(argv.KEY, { prefix: argv.prefix })).deleted)))
    .command('cas <KEY> <EXPECTED> <VALUE>', 'Set KEY to VALUE if it holds EXPECTED ("" = absent)', (y) => y.positional('KEY', { type: 'string', demandOption: true })
      .positional('EXPECTED', { type: 'string', demandOption: true }).positional('VALUE', { type: 'string', demandOption: true }),
    async (argv) => withClient(argv, async (c) => {
      const ok = await c.cas(argv.KEY, argv.EXPECTED === '' ? null : argv.EXPECTED, argv.VALUE);
      console.log(ok ? 'SUCCEEDED' : 'FAILED');
      if (!ok) process.exitCode = 1;
    }))
    .command('txn', 'A transaction read from standard input, as etcdctl txn reads it: compares, an empty line, success requests, an empty line, failure requests (see txn-text.ts)', (y) => y,
      async (argv) => {
        const text = fs.readFileSync(0, 'utf8');
        const req = parseTxn(text); // a text that does not parse sends nothing
        await withClient(argv, async (c) => {
          const r = await c.txn(req);
          console.log(formatTxnResponse(r)); // exit 0 on FAILURE too, as etcdctl
        });
      })
    .command('watch <KEY>', 'Print changes until interrupted', (y) => y.positional('KEY', { type: 'string', demandOption: true })
      .option('prefix', { type: 'boolean', default: false }).option('rev', { type: 'number', default: 0 }),
    async (argv) => {
      const c = client(argv);
      await new Promise<void>((resolve) => {
        c.watch(argv.KEY, { prefix: argv.prefix, startRevision: argv.rev }, (events) => {
          for (const ev of events) console.log(`${ev.type} ${text(ev.kv?.key ?? '')} ${text(ev.kv?.value ?? '')}`);
        }, (reason) => {
          console.error(`watch canceled: ${reason}`);
          process.exitCode = 1;
          resolve();
        });
        process.on('SIGINT', () => resolve());
      });
      c.close();
    })
    .command('status', 'Term, leader, commit and applied index of each endpoint', (y) => y.option('verbose', { type: 'boolean', default: false, describe: 'Per-peer progress and metrics (JSON), from berth.v1.StoreAdmin' }),
      async (argv) => withClient(argv, async (c) => {
      const eps = argv.endpoints.split(',');
      if (argv.verbose) {
        const v1 = loadBerthV1();
        for (const ep of eps) {
          const admin = new v1.StoreAdmin(ep, clientCredentials(argv));
          const st = await new Promise((resolve, reject) => admin.Status({}, { deadline: Date.now() + argv.timeout }, (e, r) => (e ? reject(e) : resolve(r))));
          console.log(JSON.stringify({ endpoint: ep, ...(st as object) }, null, 2));
          admin.close();
        }
        return;
      }
      for (let i = 0; i < eps.length; i++) {
        try {
          const s = await c.status(i);
          console.log(`${eps[i]}: member ${s.header?.memberId} term ${s.raftTerm} leader ${s.leader} commit ${s.raftIndex} applied ${s.raftAppliedIndex}${s.isLearner ? ' learner' : ''}`);
        } catch (e) {
          console.log(`${eps[i]}: unreachable (${(e as Error).message})`);
        }
      }
    }))
    .command('member <action> [arg]', 'list | add PEER_URL [--learner] | remove ID | promote ID', (y) => y
      .positional('action', { choices: ['list', 'add', 'remove', 'promote'] as const, demandOption: true })
      .positional('arg', { type: 'string' }).option('learner', { type: 'boolean', default: true }),
    async (argv) => withClient(argv, async (c) => {
      if (argv.action === 'list') {
        for (const m of (await c.memberList()).members) console.log(`${m.ID}, ${m.isLearner ? 'learner' : 'voter'}, ${m.name}, ${m.peerURLs.join(' ')}, ${m.clientURLs.join(' ')}`);
      } else if (argv.action === 'add') {
        if (!argv.arg) throw new Error('member add needs the new member\'s peer URL');
        const r = await c.memberAdd(argv.arg, argv.learner);
        console.log(`added member ${r.member?.ID}`);
      } else {
        const id = Number(argv.arg);
        if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`member ${argv.action} needs a member id, got "${argv.arg}"`);
        if (argv.action === 'remove') await c.memberRemove(id);
        else await c.memberPromote(id);
        console.log(`${argv.action}d member ${id}`);
      }
    }))
    .command('move-leader <id>', 'Transfer leadership (send to the current leader\'s endpoint)', (y) => y.positional('id', { type: 'number', demandOption: true }),
      async (argv) => withClient(argv, async (c) => {
        await c.moveLeader(0, argv.id);
        console.log(`leadership moved to ${argv.id}`);
      }))
    .strict()
    .fail(false)
    .demandCommand(1, 'name a command; see raft-store --help')
    .help()
    .parseAsync();
}

main().catch((e: unknown) => {
  console.error(`Error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
