#!/usr/bin/env node
/**
 * npm run bench:placement — placement throughput through Raft with simulated members.
 *
 * A 3-member raft-store cluster (real RaftNodes, LevelDB and gRPC on 127.0.0.1): the leader
 * in this process, where the Placer runs as it does in the leading berthd, the two followers
 * as `raft-store start` processes (so the three apply on both cores, as separate hosts
 * would); 1,000 SIMULATED members (records and liveness keys only: no berthd, no agent, no
 * containers — placement reads nothing else), then 100,000 instance intents written in txns
 * of 500, then the leader's Placer (control-plane) drains the backlog: each pass places up to
 * --batch intents in one txn, i.e. one Raft commit. Reports placements per second committed,
 * the spread over members, and the target (5,000/s) and reference (Nomad's
 * 1-million-container test: about 3,750/s on 5 servers; a published figure, not run here).
 *
 *   npm run bench:placement -- [--members 1000] [--instances 100000] [--batch 1000] [--in-flight 2] [--cold] [--keep]
 *
 * Output: progress on stderr; a table, then one JSON line (the last line) on stdout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterStore, P_INSTANCES, P_LIVE, P_MEMBERS, Placer } from '@berth/control-plane';
import type { InstanceIntent } from '@berth/control-plane';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Member } from '@berth/raft-store';
import type { RaftNode } from '@berth/raft-store';
import { freePort } from '@berth/raft-store/dist/testing';
import { positiveInt } from './common';

const RAFT_BIN = path.resolve(__dirname, '..', '..', 'packages/raft-store/dist/bin/raft-store.js');

/** Member 1 here, members 2 and 3 as processes; member 1 made the leader. */
/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

async function startCluster(dir: string): Promise<{ leader: RaftNode; pids: number[]; stop: () => Promise<void> }> {
  const peers = [];
  for (let id = 1; id <= 3; id++) peers.push({ id, address: `127.0.0.1:${await freePort()}`, clientAddress: `127.0.0.1:${await freePort()}` });
  const children: ChildProcess[] = [];
  let here: Member | undefined;
  const stop = async (): Promise<void> => {
    for (const c of children) c.kill('SIGKILL');
    await here?.stop();
  };
  try {
    for (const p of peers.slice(1)) {
      const args = [RAFT_BIN, 'start', '--id', String(p.id), '--cluster', 'berth-bench-placement', '--data-dir', path.join(dir, `m${p.id}`),
        '--peer-listen', p.address, '--client-listen', p.clientAddress, '--tick-ms', '100', '--election-ticks', '10'];
      for (const q of peers) args.push('--peer', `${q.id}=${q.address}=${q.clientAddress}`);
      const fd = fs.openSync(path.join(dir, `m${p.id}.log`), 'a');
      children.push(spawn(process.execPath, args, { stdio: ['ignore', fd, fd] }));
      fs.closeSync(fd);
    }
    here = await Member.start({ id: 1, clusterId: 'berth-bench-placement', dataDir: path.join(dir, 'm1'), peerAddress: peers[0]!.address, clientAddress: peers[0]!.clientAddress, bootstrap: peers, node: { tickMs: 100 } });
    const node = here.node;
    const deadline = Date.now() + 30_000;
    while (!node.isLeader) {
      if (Date.now() > deadline) throw new Error('member 1 did not become the leader within 30 s');
      const lead = node.leaderId;
      if (lead && lead !== 1) {
        const ep = peers.find((p) => p.id === lead)!.clientAddress;
        spawnSync(process.execPath, [RAFT_BIN, '--endpoints', ep, 'move-leader', '1'], { timeout: 10_000 });
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    return { leader: node, pids: children.map((c) => c.pid!), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface Options { members: number; instances: number; batch: number; inFlight: number; cold: boolean; keep: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { members: 1000, instances: 100_000, batch: 1000, inFlight: 2, cold: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): number => positiveInt(a, argv[++i]);
    if (a === '--members') o.members = v();
    else if (a === '--instances') o.instances = v();
    else if (a === '--batch') o.batch = v();
    else if (a === '--in-flight') o.inFlight = v();
    else if (a === '--cold') o.cold = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      console.log('npm run bench:placement -- [--members 1000] [--instances 100000] [--batch 1000] [--in-flight 2] [--cold] [--keep]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (s: string): void => { process.stderr.write(`${s}\n`); };
const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const json = (v: unknown): Buffer => b(JSON.stringify(v));

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-placement-'));
  const cluster = await startCluster(dir);
  try {
    const leader = cluster.leader;
    const store = new ClusterStore(leader);
    log(`3-member raft-store cluster up (leader here, followers as processes); writing ${o.members} simulated members`);
    const lease = await leader.submitLeaseGrant(3600);
    for (let i = 0; i < o.members; i += 250) {
      const ops = [];
      for (let j = i; j < Math.min(o.members, i + 250); j++) {
        const name = `sim${String(j + 1).padStart(4, '0')}`;
        ops.push({ requestPut: { key: b(P_MEMBERS + name), value: json({ name, id: j + 1, address: `${name}:8443`, clusterAddress: `${name}:8444`, joinedAt: 0 }) } });
        ops.push({ requestPut: { key: b(P_LIVE + name), value: json({ at: Date.now(), cpus: 8, memoryBytes: 32 << 30, instances: 0, criu: j % 2 === 0 }), lease: lease.id } });
      }
      const r = await leader.submit({ txn: { compare: [], success: ops, failure: [] } });
      if (!r.ok) throw new Error(`writing members failed: ${r.message}`);
    }
    // The leading berthd's placer keeps its view from when it became leader (loaded once, then
    // kept by the watch): here too, unless --cold (the view is loaded with the backlog waiting,
    // and that load is counted in the placement time).
    const placer = new Placer(store, { batch: o.batch, inFlight: o.inFlight });
    if (!o.cold) await placer.warm();
    log(`writing ${o.instances} instance intents (txns of 500)`);
    const t0 = performance.now();
    for (let i = 0; i < o.instances; i += 500) {
      const ops = [];
      for (let j = i; j < Math.min(o.instances, i + 500); j++) {
        const intent: InstanceIntent = { name: `i${String(j).padStart(6, '0')}`, image: 'busybox', config: j % 10 === 0 ? { 'migration.stateful': 'true' } : {}, desired: 'Running', createdAt: Date.now() };
        ops.push({ requestPut: { key: b(P_INSTANCES + intent.name), value: json(intent) } });
      }
      const r = await leader.submit({ txn: { compare: [], success: ops, failure: [] } });
      if (!r.ok) throw new Error(`writing intents failed: ${r.message}`);
    }
    const createS = (performance.now() - t0) / 1000;
    log(`intents written in ${createS.toFixed(1)} s; placing`);
    let placed = 0;
    const cpu0 = [cpuSeconds(process.pid), ...cluster.pids.map(cpuSeconds)];
    const p0 = performance.now();
    // As the leading berthd does: runOnce drains what waits (passes of --batch, --in-flight
    // txns at once), again while it placed something.
    for (;;) {
      const n = await placer.runOnce();
      if (n === 0) break;
      placed += n;
      log(`  ${placed} placed`);
    }
    const passMs = [...placer.stats.passMs];
    const placeS = (performance.now() - p0) / 1000;
    const cpu = [cpuSeconds(process.pid), ...cluster.pids.map(cpuSeconds)].map((v, i) => v - cpu0[i]!);
    const rate = placed / placeS;
    // Every member's copy agrees (the placements are committed and applied everywhere).
    const counts = new Map<string, number>();
    let stateful = 0;
    let statefulOnCriu = 0;
    for (const { value } of await store.instances()) {
      if (!value.location) continue;
      counts.set(value.location, (counts.get(value.location) ?? 0) + 1);
      if (value.config['migration.stateful'] === 'true') {
        stateful++;
        if (Number(value.location.slice(3)) % 2 === 1) statefulOnCriu++; // sim0001 is j=0: CRIU
      }
    }
    const per = [...counts.values()];
    for (let i = 0; i < 50 && (leader.status().progress ?? []).some((p) => p.id !== 1 && p.match < leader.status().commitIndex); i++) await new Promise((r) => setTimeout(r, 100));
    // A follower applied it all too: its copy has no pending intent left.
    const commit = leader.status().commitIndex;
    const progress = leader.status().progress ?? [];
    const followersMatch = progress.filter((p) => p.id !== 1 && p.match >= commit).length;
    passMs.sort((x, y) => x - y);
    const fig = {
      members: o.members,
      instances: o.instances,
      placed,
      intents_written_per_s: o.instances / createS,
      placements_per_s: rate,
      view: o.cold ? 'cold (loaded with the backlog, counted)' : 'warm (loaded before the intents, kept by the watch)',
      cpu_s_leader: cpu[0]!,
      cpu_s_followers: cpu.slice(1),
      cpu_ms_per_1000_placements: (1e6 * cpu.reduce((x, y) => x + y, 0)) / Math.max(1, placed),
      passes: passMs.length,
      view_loads: placer.stats.loads,
      refused_txns: placer.stats.refused,
      pass_p50_ms: passMs[Math.floor(passMs.length / 2)] ?? 0,
      pass_max_ms: passMs[passMs.length - 1] ?? 0,
      per_member_min: Math.min(...per),
      per_member_max: Math.max(...per),
      stateful_on_criu_members: `${statefulOnCriu}/${stateful}`,
      followers_caught_up: followersMatch,
      target_per_s: 5000,
      ratio_to_target: rate / 5000,
      nomad_reference_per_s: 3750,
      ratio_to_nomad_reference: rate / 3750,
    };
    const rows: Array<[string, string]> = [
      ['simulated members (records only, no agent)', String(o.members)],
      ['instance intents', String(o.instances)],
      ['intents written per s (txns of 500)', fig.intents_written_per_s.toFixed(0)],
      ['placements committed per s', rate.toFixed(0)],
      ['placer view', fig.view],
      ['CPU s while placing: leader / followers', `${fig.cpu_s_leader.toFixed(1)} / ${fig.cpu_s_followers.map((x) => x.toFixed(1)).join(', ')}`],
      ['CPU ms per 1,000 placements (3 members)', fig.cpu_ms_per_1000_placements.toFixed(0)],
      ['passes (one txn = one Raft commit each)', String(fig.passes)],
      ['pass p50 / max ms', `${fig.pass_p50_ms.toFixed(1)} / ${fig.pass_max_ms.toFixed(1)}`],
      ['instances per member min / max (spread)', `${fig.per_member_min} / ${fig.per_member_max}`],
      ['stateful instances on CRIU members', fig.stateful_on_criu_members],
      ['followers holding every placement (match = commit)', `${followersMatch}/2`],
      ['target 5,000/s: ratio', fig.ratio_to_target.toFixed(2)],
      ['Nomad reference 3,750/s (published, not run here): ratio', fig.ratio_to_nomad_reference.toFixed(2)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
    console.log(JSON.stringify({ bench: 'placement', date: new Date().toISOString(), host: { cores: os.cpus().length, loadavg: os.loadavg() }, config: { ...o, raftMembers: 3, leaderInProcess: true }, figures: fig }));
  } finally {
    await cluster.stop();
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:placement failed: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
