/**
 * `raft-store txn`: a transaction written as etcdctl's `txn` reads it from standard input,
 * three blocks separated by an empty line:
 *
 *   mod("key1") > "0"              compares: value|version|create|mod|lease("KEY") =|!=|>|< "X"
 *   value("key2") = "x"
 *
 *   put key1 "new value"           success: put KEY VALUE | get KEY [RANGE_END] [--prefix] [--limit=N]
 *   get key2                                | del KEY [RANGE_END] [--prefix]
 *
 *   put key1 "created"             failure: the same requests
 *
 * Words are separated by spaces; a word in double quotes may hold spaces and JSON escapes
 * (\" \\ \n \t \uXXXX). A missing block is empty (no compares: the success requests run).
 * Contract: parseTxn either returns the whole request or throws TxnTextError naming the line
 * and what is wrong; nothing is sent for a text that does not parse.
 */
import type { etcd } from '@berth/proto';
import { prefixEnd } from '../kv/keys';

export class TxnTextError extends Error {
  override readonly name = 'TxnTextError';
}

const TARGETS: Record<string, { target: etcd.Compare['target']; field: 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease' }> = {
  value: { target: 'VALUE', field: 'value' },
  version: { target: 'VERSION', field: 'version' },
  create: { target: 'CREATE', field: 'createRevision' },
  mod: { target: 'MOD', field: 'modRevision' },
  lease: { target: 'LEASE', field: 'lease' },
};
const RESULTS: Record<string, etcd.Compare['result']> = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '>': 'GREATER', '<': 'LESS' };

/** The words of a line: plain runs of non-spaces, or double-quoted strings (JSON escapes). */
function words(line: string, lineNo: number): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === ' ' || line[i] === '\t') { i++; continue; }
    if (line[i] === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) throw new TxnTextError(`line ${lineNo}: a quoted word is not closed: ${line.slice(i)}`);
      try {
        out.push(JSON.parse(line.slice(i, j + 1)) as string);
      } catch {
        throw new TxnTextError(`line ${lineNo}: bad escape in ${line.slice(i, j + 1)}`);
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

function compare(line: string, lineNo: number): etcd.Compare {
  const m = /^\s*([a-z]+)\("((?:[^"\\]|\\.)*)"\)\s*(=|!=|>|<)\s*(.*?)\s*$/.exec(line);
  if (!m) throw new TxnTextError(`line ${lineNo}: not a compare (TARGET("KEY") OP "VALUE", TARGET one of ${Object.keys(TARGETS).join(', ')}, OP one of = != > <): ${line}`);
  const t = TARGETS[m[1]!];
  if (!t) throw new TxnTextError(`line ${lineNo}: unknown compare target "${m[1]}" (one of ${Object.keys(TARGETS).join(', ')})`);
  let key: Buffer;
  try {
    key = Buffer.from(JSON.parse(`"${m[2]}"`) as string);
  } catch {
    throw new TxnTextError(`line ${lineNo}: bad escape in the key "${m[2]}"`);
  }
  const rhs = words(m[4]!, lineNo);
  if (rhs.length !== 1) throw new TxnTextError(`line ${lineNo}: a compare takes one value after ${m[3]}, got ${rhs.length}: ${line}`);
  const c: etcd.Compare = { key, target: t.target, result: RESULTS[m[3]!]! };
  if (t.field === 'value') {
    c.value = Buffer.from(rhs[0]!);
  } else {
    const n = Number(rhs[0]);
    if (!/^\d+$/.test(rhs[0]!) || !Number.isSafeInteger(n)) throw new TxnTextError(`line ${lineNo}: ${m[1]} compares with a whole number, not "${rhs[0]}"`);
    c[t.field] = n;
  }
  return c;
}

function request(line: string, lineNo: number): etcd.RequestOp {
  const w = words(line, lineNo);
  const [verb, ...args] = w;
  const flags = args.filter((a) => a.startsWith('--'));
  const pos = args.filter((a) => !a.startsWith('--'));
  const prefix = flags.includes('--prefix');
  let limit = 0;
  for (const f of flags) {
    if (f === '--prefix') continue;
    const lm = /^--limit=(\d+)$/.exec(f);
    if (lm && verb === 'get') { limit = Number(lm[1]); continue; }
    throw new TxnTextError(`line ${lineNo}: ${verb} does not take ${f}`);
  }
  const range = (): { key: Buffer; rangeEnd: Buffer } => {
    if (pos.length < 1 || pos.length > 2) throw new TxnTextError(`line ${lineNo}: ${verb} takes KEY [RANGE_END], got ${pos.length} words: ${line}`);
    const key = Buffer.from(pos[0]!);
    if (prefix && pos.length === 2) throw new TxnTextError(`line ${lineNo}: ${verb} takes --prefix or RANGE_END, not both`);
    return { key, rangeEnd: prefix ? prefixEnd(key) ?? Buffer.from([0]) : pos.length === 2 ? Buffer.from(pos[1]!) : Buffer.alloc(0) };
  };
  switch (verb) {
    case 'put':
      if (flags.length > 0) throw new TxnTextError(`line ${lineNo}: put does not take ${flags[0]}`);
      if (pos.length !== 2) throw new TxnTextError(`line ${lineNo}: put takes KEY VALUE, got ${pos.length} words: ${line}`);
      return { requestPut: { key: Buffer.from(pos[0]!), value: Buffer.from(pos[1]!) } };
    case 'get': return { requestRange: { ...range(), limit } };
    case 'del': return { requestDeleteRange: range() };
    default: throw new TxnTextError(`line ${lineNo}: not a request (put, get or del): ${line}`);
  }
}

/**
 * Parses the text of a transaction (see the file's comment). As etcdctl reads it: each empty
 * line ends a block, so a text starting with an empty line has no compares, and two empty lines
 * in a row leave the success requests empty.
 */
export function parseTxn(text: string): etcd.TxnRequest {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const blocks: Array<Array<{ line: string; no: number }>> = [[], [], []];
  let b = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') { b++; return; }
    if (b > 2) throw new TxnTextError(`line ${i + 1}: a transaction has three blocks (compares, success, failure), each ended by an empty line; this is a fourth`);
    blocks[b]!.push({ line, no: i + 1 });
  });
  const [cmps, succ, fail] = blocks as [typeof blocks[0], typeof blocks[0], typeof blocks[0]];
  return {
    compare: cmps.map((l) => compare(l.line, l.no)),
    success: succ.map((l) => request(l.line, l.no)),
    failure: fail.map((l) => request(l.line, l.no)),
  };
}

/** etcdctl's output of a transaction: SUCCESS or FAILURE, then each response. */
export function formatTxnResponse(r: etcd.TxnResponse__Output): string {
  const out: string[] = [r.succeeded ? 'SUCCESS' : 'FAILURE', ''];
  for (const op of r.responses) {
    if (op.responsePut) out.push('OK');
    else if (op.responseDeleteRange) out.push(String(op.responseDeleteRange.deleted));
    else if (op.responseRange) for (const kv of op.responseRange.kvs) out.push(Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString());
    else if (op.responseTxn) out.push(formatTxnResponse(op.responseTxn));
  }
  return out.join('\n');
}
