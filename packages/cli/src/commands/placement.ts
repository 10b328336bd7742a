/**
 * Placement's explanations: `berth placement explain IMAGE NAME [-c K=V] [--target T]
 * [--placement spread|pack]` (the same as `berth launch ... --dry-run`): where the leader
 * would place it now, and each member's verdict and score. Nothing is created.
 */
import type { Argv } from 'yargs';
import type { OperationResponse__Output } from '@berth/proto';
import type { BerthClient } from '../client';
import { table } from '../format';

/** `--placement pack` is the instance key placement.strategy=pack. */
export function withPlacement(config: Record<string, string>, placement: string | undefined): Record<string, string> {
  if (!placement) return config;
  const set = config['placement.strategy'];
  if (set && set !== placement) throw new Error(`--placement ${placement} contradicts -c placement.strategy=${set}`);
  return { ...config, 'placement.strategy': placement };
}

/** Prints a dry run's answer: where it would go (or why nowhere), then one row per member. */
export function printPlacement(name: string, op: OperationResponse__Output, format = 'table'): void {
  const md = op.operation?.metadata ?? {};
  const chosen = op.operation?.resources['location'];
  const rows = Object.keys(md).filter((k) => k.startsWith('verdict.')).sort().map((k) => {
    const member = k.slice('verdict.'.length);
    const [verdict, why] = (md[k] ?? '').split(/: (.*)/s);
    return { member, verdict: verdict ?? '', score: md[`score.${member}`] ?? '', why: why ?? '' };
  });
  if (format === 'json') {
    console.log(JSON.stringify({ instance: name, chosen: chosen ?? null, strategy: md['strategy'] ?? 'spread', why: md['why'] ?? null, note: md['note'] ?? null, verdicts: rows }));
    return;
  }
  console.log(chosen ? `${name} would go to ${chosen} (${md['strategy'] ?? 'spread'})` : `${name} fits nowhere: ${md['why'] ?? ''}`);
  if (md['note']) console.log(`note: ${md['note']}`);
  if (rows.length) console.log(table([['MEMBER', 'VERDICT', 'SCORE', 'WHY'], ...rows.map((r) => [r.member, r.verdict, r.score, r.why])]));
}

/** `berth placement explain ...`, registered by bin/berth.ts with the client it opens. */
export function placementCommand(withClient: <T>(fn: (c: BerthClient) => Promise<T>) => Promise<T>, parseConfig: (pairs: string[]) => Record<string, string>) {
  return {
    command: 'placement <action> <image> <name>',
    describe: 'explain IMAGE NAME [-c K=V] [--target MEMBER|@GROUP] [--placement spread|pack]: where the cluster would place it and why (as launch --dry-run)',
    builder: (y: Argv) => y
      .positional('action', { choices: ['explain'] as const, demandOption: true })
      .positional('image', { type: 'string', demandOption: true })
      .positional('name', { type: 'string', demandOption: true })
      .option('config', { alias: 'c', type: 'string', array: true, default: [] as string[], describe: 'key=value (LXD key names)' })
      .option('target', { type: 'string', default: '', describe: 'A member, or @GROUP' })
      .option('placement', { choices: ['spread', 'pack'] as const, describe: 'placement.strategy for it' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const }),
    handler: async (argv: { image: string; name: string; config: string[]; target: string; placement?: string | undefined; format: string }): Promise<void> => withClient(async (c) => {
      const config = withPlacement(parseConfig(argv.config), argv.placement);
      const op = await c.rpc<OperationResponse__Output>('CreateInstance', { name: argv.name, image: argv.image, config, start: true, target: argv.target, storagePool: '', dryRun: true });
      printPlacement(argv.name, op, argv.format);
    }),
  };
}
