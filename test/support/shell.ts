import { spawnSync } from 'node:child_process';
import { toolEnv } from '@berth/node-agent';

export interface Shell {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a shell script with berth's tool PATH, synchronously: for checks in tests. */
export function sh(script: string, timeoutMs = 30_000): Shell {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: toolEnv(), timeout: timeoutMs });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}
