/**
 * `berth list` without yargs (its start-up is most of the command's time): taken only for
 * `list`/`ls` with nothing but `--format F` / `-f F` / `--format=F` (table, json, yaml, csv)
 * and `--target M` / `--target=M`, each at most once. Anything else (a REMOTE:, --remote,
 * --quiet, --help, an unknown option, a bad format) goes to the full parser, which answers
 * exactly as before. The output and the exit codes are those of main.ts's `list`.
 */
import type { ListInstancesResponse__Output } from '@berth/proto';
import { reportAndExit } from './exit';
import { formatList } from './format';
import type { ApiInstance } from './format';
import { withClient } from './remotes';

const FORMATS = ['table', 'json', 'yaml', 'csv'];

export interface ListArgs {
  format: string;
  target: string;
}

/** The options of a plain `berth list`, or undefined when the full parser must take it. */
export function parseListArgs(args: readonly string[]): ListArgs | undefined {
  if (args[0] !== 'list' && args[0] !== 'ls') return undefined;
  const out: Partial<ListArgs> = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const key = flag === '--format' || flag === '-f' ? 'format' : flag === '--target' ? 'target' : undefined;
    if (!key || out[key] !== undefined) return undefined;
    const value = flag !== a ? a.slice(eq + 1) : args[++i];
    if (value === undefined || value.startsWith('-')) return undefined;
    out[key] = value;
  }
  if (out.format !== undefined && !FORMATS.includes(out.format)) return undefined;
  return { format: out.format ?? 'table', target: out.target ?? '' };
}

/** Runs `berth list` when parseListArgs takes `args`; false when the full parser must. */
export function listFastPath(args: readonly string[]): boolean {
  const o = parseListArgs(args);
  if (!o) return false;
  withClient(async (c) => {
    const { instances } = await c.rpc<ListInstancesResponse__Output>('ListInstances', { location: o.target });
    process.stdout.write(formatList(instances as ApiInstance[], o.format));
  }).catch(reportAndExit);
  return true;
}
