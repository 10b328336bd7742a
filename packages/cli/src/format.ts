/**
 * The CLI's output formats, as lxc's `--format table|json|yaml|csv`, and the LXD-shaped JSON of
 * an instance. Pure functions (no client, nothing heavy): bin/berth.ts and the tests use them.
 */

/** lxc's boxed table: the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (r: string[]): string => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line, fmt(rows[0]!), line, ...rows.slice(1).map(fmt), line].join('\n');
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR or LF; quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV rows (no header, as lxc's --format csv), lines ended by LF; empty string for no rows. */
export function csv(rows: string[][]): string {
  return rows.map((r) => `${r.map(csvField).join(',')}\n`).join('');
}

// Plain scalars YAML would read back as something else (or not at all) are double-quoted.
const YAML_SPECIAL = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\.inf|\.Inf|\.INF)|\.nan|\.NaN|\.NAN)$/;
const YAML_NUMBER = /^[-+]?(?:\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+|\d+(?::[0-5]?\d)+(?:\.\d*)?)$/;

/** A string as a YAML scalar: plain when that reads back as the same string, else JSON-quoted. */
export function yamlScalar(s: string): string {
  // Dates and times too: YAML 1.1 readers (go-yaml, js-yaml) would make them timestamps.
  if (s === '' || YAML_SPECIAL.test(s) || YAML_NUMBER.test(s) || /^\d{4}-\d\d?-\d\d?(?:[Tt\s]|$)/.test(s) || /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(s) || /\s$/.test(s)
    || /: |:$| #|[\x00-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(s) || /^(?:---|\.\.\.)/.test(s)) {
    return JSON.stringify(s);
  }
  return s;
}

function yamlKey(k: string): string {
  return yamlScalar(k);
}

type Json = string | number | boolean | null | undefined | Json[] | { [k: string]: Json };

/**
 * A JSON-like value as a YAML document (block style, 2-space indent, as lxc prints it): maps and
 * sequences in block style, empty ones as {} / [], strings plain or double-quoted.
 */
export function toYaml(value: unknown): string {
  const out: string[] = [];
  const scalar = (v: Json): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return yamlScalar(v);
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? '.inf' : v < 0 ? '-.inf' : '.nan';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (Array.isArray(v)) return '[]';
    return '{}';
  };
  const isBlock = (v: Json): boolean => (Array.isArray(v) ? v.length > 0 : typeof v === 'object' && v !== null && Object.keys(v).length > 0);
  const emit = (v: Json, indent: string): void => {
    if (Array.isArray(v)) {
      for (const item of v) {
        if (!isBlock(item)) {
          out.push(`${indent}- ${scalar(item)}`);
          continue;
        }
        // "- " then the nested node's first line on the same line, the rest indented under it.
        const start = out.length;
        emit(item, `${indent}  `);
        out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
      }
      return;
    }
    for (const [k, item] of Object.entries(v as Record<string, Json>)) {
      if (item === undefined) continue;
      if (isBlock(item)) {
        out.push(`${indent}${yamlKey(k)}:`);
        emit(item, Array.isArray(item) ? indent : `${indent}  `);
      } else {
        out.push(`${indent}${yamlKey(k)}: ${scalar(item)}`);
      }
    }
  };
  const v = value as Json;
  if (!isBlock(v)) return `${scalar(v)}\n`;
  emit(v, '');
  return `${out.join('\n')}\n`;
}

/** LXD's status codes (shared/api/status_code.go) for the statuses berth reports. */
const STATUS_CODE: Record<string, number> = {
  Started: 101, Stopped: 102, Running: 103, Pending: 105, Starting: 106, Stopping: 107, Freezing: 109, Frozen: 110, Thawed: 111, Error: 112, Ready: 113,
};

/** An instance as the API gives it (camelCase, int64 as numbers). */
export interface ApiInstance {
  name: string;
  status: string;
  location: string;
  config: Record<string, string>;
  imageFingerprint: string;
  stateful: boolean;
  createdAtUnixMs: number | string;
  description: string;
}

/**
 * An instance with LXD's field names (api.Instance): name, description, status, status_code
 * (0 when LXD has none for it, e.g. Unknown), type, location, config, devices, ephemeral,
 * profiles, stateful, created_at (RFC 3339); plus berth's image_fingerprint. berth has no
 * devices, profiles or ephemeral instances: those are empty / false.
 */
export function lxdInstance(i: ApiInstance): Record<string, unknown> {
  const created = Number(i.createdAtUnixMs);
  return {
    name: i.name,
    description: i.description,
    status: i.status,
    status_code: STATUS_CODE[i.status] ?? 0,
    type: 'container',
    location: i.location,
    config: sortedObject(i.config),
    devices: {},
    ephemeral: false,
    profiles: [],
    stateful: i.stateful,
    created_at: created > 0 ? new Date(created).toISOString() : '1970-01-01T00:00:00Z',
    image_fingerprint: i.imageFingerprint,
  };
}

export function sortedObject(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}

/** `berth list`'s columns (table and csv): NAME STATUS IMAGE [LOCATION] — LOCATION when clustered. */
export function listRows(instances: ApiInstance[]): { header: string[]; rows: string[][] } {
  const clustered = instances.some((i) => i.location);
  return {
    header: ['NAME', 'STATUS', 'IMAGE', ...(clustered ? ['LOCATION'] : [])],
    rows: instances.map((i) => [i.name, i.status.toUpperCase(), i.imageFingerprint.slice(0, 12), ...(clustered ? [i.location] : [])]),
  };
}

/** `berth list --format F`: the text to print (ends with a newline, except an empty csv). */
export function formatList(instances: ApiInstance[], format: string): string {
  switch (format) {
    case 'json': return `${JSON.stringify(instances.map(lxdInstance), null, 2)}\n`;
    case 'yaml': return toYaml(instances.map(lxdInstance));
    case 'csv': return csv(listRows(instances).rows);
    default: {
      const { header, rows } = listRows(instances);
      return `${table([header, ...rows])}\n`;
    }
  }
}

/** Bytes as lxc prints them (1024-based, two decimals): 1.50MiB. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v.toFixed(2)}${units[u]}`;
}
