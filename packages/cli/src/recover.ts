/**
 * `berth cluster recover`: offline, so not an API call. It runs `berthd recover` on the data
 * folder (BERTH_DIR or --data-dir), which asks for confirmation unless --yes; see
 * packages/control-plane/design.md, "Recovering from quorum loss".
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** berthd's entry point: the workspace's node-agent package when it is there, else `berthd` on PATH. */
export function berthdCommand(): { command: string; args: string[] } {
  const candidates: string[] = [];
  try {
    candidates.push(path.join(path.dirname(require.resolve('@berth/node-agent/package.json')), 'dist', 'bin', 'berthd.js'));
  } catch {
    // not installed next to the CLI
  }
  candidates.push(path.resolve(__dirname, '..', '..', 'node-agent', 'dist', 'bin', 'berthd.js'));
  const js = candidates.find((c) => fs.existsSync(c));
  return js ? { command: process.execPath, args: [js] } : { command: 'berthd', args: [] };
}

/** Runs `berthd --data-dir DIR recover [--yes]` with this terminal; resolves with its exit code. */
export function recoverOffline(dataDir: string, yes: boolean): number {
  const { command, args } = berthdCommand();
  const r = spawnSync(command, [...args, '--data-dir', dataDir, 'recover', ...(yes ? ['--yes'] : [])], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run berthd recover: ${r.error.message}`);
  return r.status ?? 1;
}
