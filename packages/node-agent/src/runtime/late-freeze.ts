/**
 * A live move's freeze at CRIU's own moment (deploy/criu-late-freeze.c, preloaded into CRIU):
 * the container runs on through runc's and CRIU's start-up and is frozen when CRIU opens its
 * freezer to freeze it, yet stays frozen after a --leave-running dump, as when berth paused it
 * first. See node-agent design.md, "Runtime driver".
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { criuLateFreezeLib, migrationTestFault } from '../host/paths';

export interface LateFreeze {
  /** For CRIU's environment: the library's two variables (LD_PRELOAD is the caller's: `lib`). */
  env: Record<string, string>;
  lib: string;
  /** Resolves when the library said it froze the container (never, if CRIU did not get there). */
  frozen: Promise<void>;
  heard: () => boolean;
  close: () => void;
}

/** unix socket paths are at most 107 bytes; a longer work folder freezes the old way. */
const MAX_SOCKET_PATH = 100;

/**
 * Sets up a late freeze of the container whose cgroup v1 freezer folder is `freezerDir`, with
 * its notice socket in `work` (CRIU's work folder, removed by the caller). Undefined where it
 * cannot be done (library not built, no v1 freezer, path too long): the caller pauses first.
 */
export async function lateFreeze(freezerDir: string, work: string, dataDir?: string): Promise<LateFreeze | undefined> {
  const lib = criuLateFreezeLib();
  const state = freezerDir ? path.join(freezerDir, 'freezer.state') : '';
  const sock = path.join(work, 'frozen.sock');
  if (!lib || !state || !fs.existsSync(state) || Buffer.byteLength(sock) > MAX_SOCKET_PATH) return undefined;
  let heard = false;
  let said!: () => void;
  const frozen = new Promise<void>((resolve) => { said = resolve; });
  const server = net.createServer((c) => {
    c.destroy();
    if (!heard) {
      heard = true;
      said();
    }
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(sock, () => resolve(true));
  });
  if (!listening) return undefined;
  return {
    // (Test fault: the helper aimed at a file CRIU never opens, so it misses CRIU's freeze.)
    env: { BERTH_CRIU_FREEZE_LATE: dataDir && migrationTestFault(dataDir, 'late-freeze-miss') ? `${state}.berth-test-miss` : state, BERTH_CRIU_FROZEN_SOCKET: sock },
    lib,
    frozen,
    heard: () => heard,
    close: () => { server.close(); },
  };
}
