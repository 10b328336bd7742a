/**
 * The exit codes of `berth`, the one place where an error becomes one (bin/berth.ts's last
 * catch). Scripts can rely on them:
 *
 *   0  success
 *   1  failure: the server refused or failed the request (or a local step failed)
 *   2  usage: unknown command or flag, a missing or invalid argument (nothing was sent)
 *   3  the daemon or remote cannot be reached (the message says where the CLI looked)
 *   4  not found: the instance, snapshot, image, member, operation... does not exist
 *
 * `berth exec` exits with the command's own exit code, as `lxc exec` does (so 1-4 there are
 * the command's unless the message on stderr starts with "Error:").
 */
import { Status } from './wire';

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, UNREACHABLE: 3, NOT_FOUND: 4 } as const;

/** A mistake in how berth was called, found before anything was sent (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeFor(e: unknown): number {
  const err = e as { name?: unknown; code?: unknown } | null;
  if (err === null || typeof err !== 'object') return EXIT.FAILURE;
  // yargs' own validation errors (strict mode, choices, demanded arguments) are YErrors.
  if (err.name === 'YError' || err.name === 'UsageError') return EXIT.USAGE;
  if (err.name === 'DaemonUnreachableError' || err.name === 'RemoteUnreachableError') return EXIT.UNREACHABLE;
  if (err.name === 'ApiError' && err.code === Status.NOT_FOUND) return EXIT.NOT_FOUND;
  return EXIT.FAILURE;
}

/** Prints a command's failure as berth does ("Error: ...", a usage hint) and exits with its code. */
export function reportAndExit(e: unknown): never {
  console.error(`Error: ${e instanceof Error ? e.message : String(e)}`);
  const code = exitCodeFor(e);
  if (code === EXIT.USAGE) console.error('See: berth --help (or berth COMMAND --help)');
  process.exit(code);
}
