/**
 * The yargs instance bin/berth.ts defines its commands on, with what the CLI's start-up time
 * does not need cut out. yargs stays the parser; what changes is only when work happens.
 *
 * - yargs renders the running command's whole help text (cliui, string-width's emoji regex,
 *   ansi-styles) right after starting its handler, to show it should the handler fail later.
 *   berth's `.fail()` throws instead of showing help, so that text is never used: it is no longer
 *   made up front (it is still made, fresh, whenever help is shown).
 */
import yargs from 'yargs';
import type { Argv } from 'yargs';

/** yargs over `args` (process.argv without node and the script), as `yargs(args)`. */
export function cliParser(args: string[]): Argv {
  const y = yargs(args);
  // The usage instance is one object for the parser's life (reset() returns it), so this holds
  // for every command. getInternalMethods() is yargs 17's; without it, yargs keeps its default.
  const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
  return y;
}
