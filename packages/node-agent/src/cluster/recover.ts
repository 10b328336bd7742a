/**
 * `berthd recover` (and `berth cluster recover`, which runs it): rebuilds a working cluster
 * from this surviving member after a majority of voters is lost for good, like LXD's
 * `lxd cluster recover-from-quorum-loss`. Offline: berthd must be stopped on this folder.
 * See packages/control-plane/design.md, "Recovering from quorum loss".
 *
 * What it does: the member's raft-store becomes the sole voter of a new configuration, with a
 * new term, keeping (and committing) every entry it holds (raft-store recoverAsSoleMember).
 * What it leaves: the berth records in the store (members, instances, ...) as they are; the
 * lost members show Offline once berthd runs again and are removed with
 * `berth cluster remove --force NAME`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { describeRecovery, recoverAsSoleMember } from '@berth/raft-store';
import type { RecoveryReport } from '@berth/raft-store';
import { isBerthdOf } from '../daemon/daemon';
import { clusterDir, isClustered, readMember } from './files';

export interface RecoverOptions {
  /** Skip the confirmation. */
  yes?: boolean;
  /** Asks the operator; resolves true to proceed. Default: a yes/no question on stdin. */
  confirm?: (question: string) => Promise<boolean>;
  /** Where the plan and the result are told (default: stdout). */
  print?: (text: string) => void;
}

/** Refuses unless `dataDir` is a cluster member's folder with no berthd running on it. */
export function checkRecoverable(dataDir: string): void {
  if (!isClustered(dataDir)) throw new Error(`${dataDir} is not a cluster member's data folder (no cluster/member.json): nothing to recover`);
  let pid = 0;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'berthd.pid'), 'utf8').trim());
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pid > 0 && pid !== process.pid && isBerthdOf(pid, dataDir)) {
    throw new Error(`berthd (pid ${pid}) is running on ${dataDir}: stop it first (recovery is offline only; e.g. systemctl stop berthd)`);
  }
}

export async function recoverMember(dataDir: string, o: RecoverOptions = {}): Promise<RecoveryReport> {
  const print = o.print ?? ((t: string) => console.log(t));
  checkRecoverable(dataDir);
  const { config } = readMember(dataDir);
  const raftDir = path.join(clusterDir(dataDir), 'raft');
  const names = new Map([[config.memberId, config.name]]);
  const plan = await recoverAsSoleMember(raftDir, { clusterId: config.clusterId, memberId: config.memberId, dryRun: true });
  if (plan.removed.length === 0 && plan.before.voters.length === 1) {
    print(`${config.name} is already the only voter of its cluster: recovering again only starts a new term.`);
  }
  print([
    `Recovering member ${config.name} of cluster ${config.clusterId} from the loss of a majority of its voters:`,
    describeRecovery(plan, names),
    '',
    `${config.name} becomes the only voter, with everything its store holds. Writes it held that were never committed`,
    'are committed now; writes that only the lost members received are gone. Use it only when the lost members are',
    'gone for good: never start them again with their data (wipe their data folder and join them anew with a token).',
    'The lost members keep their records: after berthd starts they show Offline; remove them with',
    '`berth cluster remove --force NAME` (the records of their instances go with --force).',
  ].join('\n'));
  if (!o.yes) {
    const ok = await (o.confirm ?? askYesNo)('Do you want to proceed? (yes/no): ');
    if (!ok) throw new Error('recovery cancelled: nothing was changed');
  }
  // Checked again: the folder may have been taken while the operator read the plan.
  checkRecoverable(dataDir);
  const r = await recoverAsSoleMember(raftDir, { clusterId: config.clusterId, memberId: config.memberId });
  print(`Recovered: ${config.name} is the only voter (term ${r.after.term}, commit ${r.after.commit}). Start berthd now.`);
  return r;
}

/** One line from stdin: "yes" or "y" (any case) proceeds; anything else, or no input, does not. */
function askYesNo(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    let answered = false;
    rl.question(question, (a) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(a.trim()));
    });
    rl.on('close', () => { if (!answered) resolve(false); });
  });
}
