/**
 * Runs simulator seeds from the command line.
 *
 *   node packages/raft-store/dist/sim/run-seeds.js --seeds 5000 --start 1 [--nodes 3|5] [--profile chaos]
 *   node packages/raft-store/dist/sim/run-seeds.js --seed 1234 --nodes 5 --profile chaos --trace
 *
 * Without --nodes/--profile, seed s uses nodes 3 or 5 and a profile chosen from s (see
 * seedPlan), so a seed number alone names a run. Exit code 1 if any seed fails.
 */
import { PROFILE_NAMES } from './profiles';
import type { SimBug, SimOptions, SimResult } from './simulation';
import { runSimulation } from './simulation';

/** The default (nodes, profile) of a seed: deterministic, spread over all profiles. */
export function seedPlan(seed: number): { nodes: number; profile: string } {
  return { nodes: seed % 2 === 0 ? 3 : 5, profile: PROFILE_NAMES[Math.floor(seed / 2) % PROFILE_NAMES.length]! };
}

export function formatFailure(r: SimResult): string {
  return [
    `FAILED seed ${r.seed} (nodes ${r.nodes}, profile ${r.profile}): ${r.violation}`,
    `replay: ${r.replay}`,
    `last events:`,
    ...r.trace.map((l) => `  ${l}`),
  ].join('\n');
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(argv: string[]): number {
  const one = arg(argv, 'seed');
  const nodesArg = arg(argv, 'nodes');
  const profileArg = arg(argv, 'profile');
  const bug = arg(argv, 'bug') as SimBug | undefined;
  const trace = argv.includes('--trace');
  const optsFor = (seed: number): SimOptions => {
    const plan = seedPlan(seed);
    return {
      seed,
      nodes: nodesArg ? Number(nodesArg) : plan.nodes,
      profile: profileArg ?? plan.profile,
      ...(bug ? { bug } : {}),
      ...(trace ? { verbose: true, traceLength: 200 } : {}),
    };
  };
  if (one !== undefined) {
    const r = runSimulation(optsFor(Number(one)));
    if (!r.ok) console.log(formatFailure(r));
    else console.log(`seed ${r.seed} ok: ${JSON.stringify(r.stats)}`);
    return r.ok ? 0 : 1;
  }
  const n = Number(arg(argv, 'seeds') ?? '100');
  const start = Number(arg(argv, 'start') ?? '1');
  const t0 = Date.now();
  let failed = 0;
  let events = 0;
  let acked = 0;
  let forwarded = 0;
  let dropped = 0;
  for (let s = start; s < start + n; s++) {
    const r = runSimulation(optsFor(s));
    events += r.stats.events;
    acked += r.stats.ackedWrites;
    forwarded += r.stats.forwardedWrites;
    dropped += r.stats.droppedForwards;
    if (!r.ok) {
      failed++;
      console.log(formatFailure(r));
      if (argv.includes('--stop-on-failure')) break;
    }
  }
  const secs = (Date.now() - t0) / 1000;
  console.log(`${n} seeds from ${start}: ${failed} failed, ${events} events, ${acked} writes acknowledged (${forwarded} by a follower through its leader; ${dropped} forwarded proposals reported dropped), ${secs.toFixed(1)} s`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
