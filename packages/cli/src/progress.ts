/**
 * Progress of long operations (move, evacuate, restore, image import/export, publish), as lxc
 * shows it: one line rewritten in place on a terminal, e.g. "Moving c1 to member3: 12s" or
 * "Importing image: 41.00MiB/120.00MiB (34%)". Only when stdout is a terminal (and not with
 * --quiet): scripts and tests that read stdout never see it. The line is erased when done.
 */
import { humanBytes } from './format';

export interface Progress {
  /** Replaces what follows the label (e.g. bytes done). */
  update(detail: string): void;
  /** Erases the line. */
  done(): void;
}

const NONE: Progress = { update: () => undefined, done: () => undefined };
let quiet = false;

/** `--quiet` (global): no progress at all. */
export function setQuiet(q: boolean): void {
  quiet = q;
}

/** Whether progress lines are drawn (stdout a terminal, no --quiet): else nothing need be fetched for them. */
export function progressShown(out: NodeJS.WriteStream = process.stdout): boolean {
  return !quiet && !!out.isTTY;
}

export function progress(label: string, out: NodeJS.WriteStream = process.stdout): Progress {
  if (!progressShown(out)) return NONE;
  const frames = ['|', '/', '-', '\\'];
  const start = Date.now();
  let detail = '';
  let frame = 0;
  let last = 0;
  const draw = (): void => {
    const secs = Math.floor((Date.now() - start) / 1000);
    const line = `${frames[frame++ % frames.length]} ${label}${detail ? `: ${detail}` : ''} (${secs}s)`;
    out.write(`\r${line.slice(0, Math.max(10, (out.columns ?? 80) - 1))}\x1b[K`);
    last = Date.now();
  };
  const timer = setInterval(draw, 250);
  timer.unref();
  draw();
  return {
    update: (d: string) => {
      detail = d;
      if (Date.now() - last > 100) draw();
    },
    done: () => {
      clearInterval(timer);
      out.write('\r\x1b[K');
    },
  };
}

/** "41.00MiB/120.00MiB (34%)", or "41.00MiB" when the total is unknown. */
export function bytesDetail(done: number, total?: number): string {
  if (!total) return humanBytes(done);
  return `${humanBytes(done)}/${humanBytes(total)} (${Math.floor((done / total) * 100)}%)`;
}

/** bytesDetail with the rate since `startMs` and the time left: "41.00MiB/120.00MiB (34%), 12.00MiB/s, ETA 7s". */
export function transferDetail(done: number, total: number, startMs: number, now = Date.now()): string {
  const rate = done / Math.max((now - startMs) / 1000, 0.001);
  const eta = rate > 0 && total > done ? Math.ceil((total - done) / rate) : 0;
  return `${bytesDetail(done, total)}, ${humanBytes(rate)}/s, ETA ${eta}s`;
}

/** Runs fn with a progress line for label. */
export async function withProgress<T>(label: string, fn: (p: Progress) => Promise<T>): Promise<T> {
  const p = progress(label);
  try {
    return await fn(p);
  } finally {
    p.done();
  }
}

/**
 * The progress of moves from their operation's metadata (node-agent cluster/moves.ts writes
 * `move.<instance>.phase|bytes|total|rate_bps|eta_s`): "images 41.0MiB/120.0MiB (34%),
 * 12.00MiB/s, ETA 7s" for one instance, "c1: volume ... | c2: restore" for several (`names`
 * absent: every instance the metadata has).
 */
export function moveProgressDetail(m: Record<string, string> | undefined, names?: string[]): string {
  if (!m) return '';
  const all = names ?? [...new Set(Object.keys(m).filter((k) => k.startsWith('move.') && k.endsWith('.phase')).map((k) => k.slice(5, -6)))].sort();
  return all.flatMap((n) => {
    const phase = m[`move.${n}.phase`];
    if (!phase || phase === 'done') return [];
    const bytes = Number(m[`move.${n}.bytes`] ?? 0);
    const total = Number(m[`move.${n}.total`] ?? 0);
    const detail = bytes > 0 ? ` ${bytesDetail(bytes, total)}, ${humanBytes(Number(m[`move.${n}.rate_bps`] ?? 0))}/s, ETA ${Math.ceil(Number(m[`move.${n}.eta_s`] ?? 0))}s` : '';
    return [`${all.length === 1 ? '' : `${n}: `}${phase}${detail}`];
  }).join(' | ');
}

/**
 * An image pull between members from its operation's metadata (node-agent cluster/images.ts
 * writes `progress.bytes|total|rate_bps|eta_s|peers`): "41.00MiB/120.00MiB (34%), 12.00MiB/s,
 * ETA 7s from member1", or "starting".
 */
export function pullProgressDetail(m: Record<string, string> | undefined): string {
  const total = Number(m?.['progress.total'] ?? 0);
  if (!m || !total) return 'starting';
  return `${bytesDetail(Number(m['progress.bytes'] ?? 0), total)}, ${humanBytes(Number(m['progress.rate_bps'] ?? 0))}/s, ETA ${Math.ceil(Number(m['progress.eta_s'] ?? 0))}s from ${m['progress.peers'] ?? '?'}`;
}
