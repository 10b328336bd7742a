/**
 * A small YAML subset, enough for LXD's metadata.yaml (as written by LXD, distrobuilder,
 * go-yaml and people by hand):
 * - block mappings and block sequences nested by indentation (spaces only), including the
 *   "compact" form where a sequence sits at its key's indentation (`when:\n- create`)
 *   and sequences of mappings (`- key: v\n  other: w`);
 * - plain, 'single-quoted' and "double-quoted" scalars (one line each), block scalars
 *   (`|`, `>`, with `-`/`+` chomping), flow sequences and mappings on one line
 *   (`[a, b]`, `{a: b}`), comments, a leading `---` and a trailing `...`;
 * - scalar types: null (`~`, `null`, empty), booleans (`true`/`false`, any case of those),
 *   decimal integers; everything else is a string. Quoted scalars are always strings.
 * What it does not handle it refuses with the line number: anchors, aliases, tags,
 * multi-line plain or quoted scalars, several documents, tabs in indentation, duplicate keys.
 */
import { InvalidArgumentError } from '../errors';

export type YamlValue = string | number | boolean | null | YamlValue[] | YamlMap;
export interface YamlMap { [key: string]: YamlValue }

interface Line { no: number; indent: number; text: string; raw: string }

class YamlError extends Error {}

function newMap(): YamlMap {
  return Object.create(null) as YamlMap;
}

/** Strips a trailing comment (" #...") outside quotes; returns the trimmed text. */
function stripComment(s: string): string {
  let inS = false;
  let inD = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inD) {
      if (c === '\\') i++;
      else if (c === '"') inD = false;
    } else if (inS) {
      if (c === "'") {
        if (s[i + 1] === "'") i++;
        else inS = false;
      }
    } else if (c === '"' && (i === 0 || /[\s[{,:-]/.test(s[i - 1]!))) inD = true;
    else if (c === "'" && (i === 0 || /[\s[{,:-]/.test(s[i - 1]!))) inS = true;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

function resolvePlain(s: string, no: number): YamlValue {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
    return s;
  }
  if (/^[&*!|>%@`]/.test(s)) throw new YamlError(`line ${no}: unsupported YAML (anchors, aliases, tags, directives and reserved characters are not handled): ${s.slice(0, 40)}`);
  if (/: |:$/.test(s)) throw new YamlError(`line ${no}: a plain value may not contain ": " (quote it)`);
  return s;
}

/** Parses a double-quoted scalar starting at s[0] === '"'; returns value and the rest. */
function parseDouble(s: string, no: number): [string, string] {
  let out = '';
  let i = 1;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') return [out, s.slice(i + 1)];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '"': '"', '\\': '\\', '/': '/', ' ': ' ', a: '\x07', b: '\b', e: '\x1b', f: '\f', v: '\v' };
    if (e !== undefined && simple[e] !== undefined) out += simple[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new YamlError(`line ${no}: bad \\${e} escape`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else throw new YamlError(`line ${no}: unknown escape \\${e ?? ''}`);
  }
  throw new YamlError(`line ${no}: unterminated double-quoted string (multi-line quoted strings are not supported)`);
}

function parseSingle(s: string, no: number): [string, string] {
  let out = '';
  for (let i = 1; i < s.length; i++) {
    if (s[i] === "'") {
      if (s[i + 1] === "'") {
        out += "'";
        i++;
      } else return [out, s.slice(i + 1)];
    } else out += s[i];
  }
  throw new YamlError(`line ${no}: unterminated single-quoted string (multi-line quoted strings are not supported)`);
}

/** Flow collections on one line: [a, "b", {c: d}] and {k: v}. */
function parseFlow(s: string, no: number): [YamlValue, string] {
  s = s.trimStart();
  if (s.startsWith('"')) return parseDouble(s, no);
  if (s.startsWith("'")) return parseSingle(s, no);
  if (s.startsWith('[')) {
    const arr: YamlValue[] = [];
    let rest = s.slice(1).trimStart();
    if (rest.startsWith(']')) return [arr, rest.slice(1)];
    for (;;) {
      const [v, r] = parseFlow(rest, no);
      arr.push(v);
      rest = r.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (rest.startsWith(']')) return [arr, rest.slice(1)];
      else throw new YamlError(`line ${no}: expected "," or "]" in a flow sequence`);
      if (rest.startsWith(']')) return [arr, rest.slice(1)];
    }
  }
  if (s.startsWith('{')) {
    const map = newMap();
    let rest = s.slice(1).trimStart();
    if (rest.startsWith('}')) return [map, rest.slice(1)];
    for (;;) {
      let key: string;
      if (rest.startsWith('"')) [key, rest] = parseDouble(rest, no);
      else if (rest.startsWith("'")) [key, rest] = parseSingle(rest, no);
      else {
        const m = /^([^,:{}[\]]+?)\s*(?=:)/.exec(rest);
        if (!m) throw new YamlError(`line ${no}: expected a key in a flow mapping`);
        key = m[1]!;
        rest = rest.slice(m[0].length);
      }
      rest = rest.trimStart();
      if (!rest.startsWith(':')) throw new YamlError(`line ${no}: expected ":" in a flow mapping`);
      const [v, r] = parseFlow(rest.slice(1), no);
      if (key in map) throw new YamlError(`line ${no}: duplicate key ${JSON.stringify(key)}`);
      map[key] = v;
      rest = r.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (rest.startsWith('}')) return [map, rest.slice(1)];
      else throw new YamlError(`line ${no}: expected "," or "}" in a flow mapping`);
      if (rest.startsWith('}')) return [map, rest.slice(1)];
    }
  }
  const m = /^[^,\]}]*/.exec(s)!;
  return [resolvePlain(m[0].trim(), no), s.slice(m[0].length)];
}

/** A value on the same line as its key or dash. */
function parseInline(s: string, no: number): YamlValue {
  if (s.startsWith('"') || s.startsWith("'") || s.startsWith('[') || s.startsWith('{')) {
    const [v, rest] = parseFlow(s, no);
    if (rest.trim() !== '') throw new YamlError(`line ${no}: unexpected text after a value: ${rest.trim().slice(0, 40)}`);
    return v;
  }
  return resolvePlain(s, no);
}

/** Splits "key: value" (key plain or quoted); null when the text is not a mapping entry. */
function splitKey(text: string, no: number): [string, string] | null {
  if (text.startsWith('"') || text.startsWith("'")) {
    const [k, rest] = text.startsWith('"') ? parseDouble(text, no) : parseSingle(text, no);
    const m = /^\s*:(\s|$)/.exec(rest);
    if (!m) return null;
    return [k, rest.slice(m[0].length).trim()];
  }
  if (text.startsWith('[') || text.startsWith('{')) return null;
  const m = /:(\s|$)/.exec(text);
  if (!m) return null;
  const key = text.slice(0, m.index).trimEnd();
  if (key.startsWith('? ')) throw new YamlError(`line ${no}: complex keys are not supported`);
  if (/^[&*!]/.test(key)) throw new YamlError(`line ${no}: anchors, aliases and tags are not supported`);
  return [key, text.slice(m.index + 1).trim()];
}

function isSeqItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

class Parser {
  private i = 0;
  private readonly lines: Line[];

  constructor(private readonly raw: string[]) {
    this.lines = [];
    raw.forEach((r, idx) => {
      const no = idx + 1;
      const lead = /^[ \t]*/.exec(r)![0];
      const text = stripComment(r.slice(lead.length));
      this.lines.push({ no, indent: lead.length, text, raw: r });
    });
  }

  /** The next line with content (skips blank and comment-only lines). */
  private peek(): Line | undefined {
    while (this.i < this.lines.length && this.lines[this.i]!.text === '') this.i++;
    const l = this.lines[this.i];
    if (l && l.raw.slice(0, l.indent).includes('\t')) {
      throw new YamlError(`line ${l.no}: tabs are not allowed in indentation`);
    }
    return l;
  }

  parseDocument(): YamlValue {
    let l = this.peek();
    if (l && l.indent === 0 && (l.text === '---' || l.text.startsWith('--- '))) {
      if (l.text !== '---') throw new YamlError(`line ${l.no}: content after "---" is not supported`);
      this.i++;
      l = this.peek();
    }
    if (!l) return null;
    const v = this.parseNode(l.indent);
    const end = this.peek();
    if (end && end.indent === 0 && end.text === '...') {
      this.i++;
      const after = this.peek();
      if (after) throw new YamlError(`line ${after.no}: content after the end of the document`);
    } else if (end) {
      if (end.text === '---') throw new YamlError(`line ${end.no}: several documents are not supported`);
      throw new YamlError(`line ${end.no}: bad indentation or unexpected content`);
    }
    return v;
  }

  private parseNode(indent: number): YamlValue {
    const l = this.peek()!;
    if (isSeqItem(l.text)) return this.parseSeq(l.indent);
    if (splitKey(l.text, l.no)) return this.parseMap(l.indent);
    this.i++;
    if (l.text.startsWith('|') || l.text.startsWith('>')) throw new YamlError(`line ${l.no}: a block scalar must follow a key`);
    const v = parseInline(l.text, l.no);
    const next = this.peek();
    if (next && next.indent >= indent && next.indent > 0 && !isSeqItem(next.text) && !splitKey(next.text, next.no)) {
      throw new YamlError(`line ${next.no}: multi-line plain scalars are not supported (quote the value or use "|")`);
    }
    return v;
  }

  /** The value after "key:" or "-" when nothing followed on that line. */
  private parseNested(parentIndent: number, allowCompactSeq: boolean): YamlValue {
    const next = this.peek();
    if (!next) return null;
    if (next.indent > parentIndent) return this.parseNode(next.indent);
    if (allowCompactSeq && next.indent === parentIndent && isSeqItem(next.text)) return this.parseSeq(parentIndent);
    return null;
  }

  private parseBlockScalar(header: string, parentIndent: number, no: number): string {
    const m = /^([|>])([-+]?)$/.exec(header);
    if (!m) throw new YamlError(`line ${no}: unsupported block scalar header "${header}" (indentation indicators are not handled)`);
    const folded = m[1] === '>';
    const chomp = m[2];
    const body: string[] = [];
    let contentIndent = -1;
    this.i++; // past the header line (the caller did not advance)
    while (this.i < this.lines.length) {
      const l = this.lines[this.i]!;
      const blank = l.raw.trim() === '';
      if (!blank) {
        if (l.indent <= parentIndent) break;
        if (contentIndent < 0) contentIndent = l.indent;
        if (l.indent < contentIndent) throw new YamlError(`line ${l.no}: bad indentation in a block scalar`);
      }
      body.push(blank ? '' : l.raw.slice(contentIndent));
      this.i++;
    }
    // Trailing blank lines belong to chomping, not to the next node.
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === '') {
      body.pop();
      trailing++;
    }
    let text: string;
    if (folded) {
      text = '';
      let prevBlank = false;
      body.forEach((line, idx) => {
        if (idx === 0) text = line;
        else if (line === '') {
          text += '\n';
          prevBlank = true;
          return;
        } else if (prevBlank) text += line;
        else if (/^\s/.test(line) || /^\s/.test(body[idx - 1]!)) text += `\n${line}`;
        else text += ` ${line}`;
        prevBlank = false;
      });
    } else text = body.join('\n');
    if (body.length === 0) return '';
    if (chomp === '-') return text;
    if (chomp === '+') return `${text}\n${'\n'.repeat(trailing)}`;
    return `${text}\n`;
  }

  private parseMap(indent: number): YamlMap {
    const map = newMap();
    for (;;) {
      const l = this.peek();
      if (!l || l.indent < indent) return map;
      if (l.indent === 0 && (l.text === '---' || l.text === '...')) return map; // end of the document
      if (l.indent > indent) throw new YamlError(`line ${l.no}: bad indentation`);
      if (isSeqItem(l.text)) return map; // a compact sequence belongs to the caller
      const kv = splitKey(l.text, l.no);
      if (!kv) throw new YamlError(`line ${l.no}: expected "key: value"`);
      const [key, rest] = kv;
      if (key in map) throw new YamlError(`line ${l.no}: duplicate key ${JSON.stringify(key)}`);
      if (key === '<<') throw new YamlError(`line ${l.no}: merge keys are not supported`);
      if (rest.startsWith('|') || rest.startsWith('>')) {
        map[key] = this.parseBlockScalar(rest, indent, l.no);
        continue;
      }
      this.i++;
      map[key] = rest === '' ? this.parseNested(indent, true) : parseInline(rest, l.no);
      if (rest !== '') this.noContinuation(indent, l.no);
    }
  }

  /** After "key: value" on one line, a deeper line would be a multi-line plain scalar. */
  private noContinuation(indent: number, no: number): void {
    const next = this.peek();
    if (next && next.indent > indent) throw new YamlError(`line ${next.no}: unexpected indentation after line ${no} (multi-line values are not supported unquoted; use "|")`);
  }

  private parseSeq(indent: number): YamlValue[] {
    const arr: YamlValue[] = [];
    for (;;) {
      const l = this.peek();
      if (!l || l.indent < indent) return arr;
      if (l.indent > indent) throw new YamlError(`line ${l.no}: bad indentation`);
      if (!isSeqItem(l.text)) return arr;
      const rest = l.text === '-' ? '' : l.text.slice(1).replace(/^ +/, '');
      if (rest === '') {
        this.i++;
        arr.push(this.parseNested(indent, false));
        continue;
      }
      const itemIndent = indent + (l.text.length - rest.length);
      if (isSeqItem(rest) || splitKey(rest, l.no)) {
        // "- key: v" or "- - x": the rest of the line is the first line of a nested node.
        this.lines[this.i] = { no: l.no, indent: itemIndent, text: rest, raw: ' '.repeat(itemIndent) + rest };
        arr.push(this.parseNode(itemIndent));
        continue;
      }
      if (rest.startsWith('|') || rest.startsWith('>')) throw new YamlError(`line ${l.no}: block scalars in sequences are not supported`);
      this.i++;
      arr.push(parseInline(rest, l.no));
      this.noContinuation(indent, l.no);
    }
  }
}

/**
 * Parses a YAML document of the subset above. Errors are InvalidArgumentError(field, "line N: ...").
 */
export function parseYaml(text: string, field = 'yaml'): YamlValue {
  if (text.startsWith('\ufeff')) text = text.slice(1);
  if (text.includes('\0')) throw new InvalidArgumentError(field, 'has a NUL byte');
  const lines = text.split(/\r?\n/);
  for (const [idx, l] of lines.entries()) {
    if (/^%/.test(l)) throw new InvalidArgumentError(field, `line ${idx + 1}: YAML directives are not supported`);
  }
  try {
    return new Parser(lines).parseDocument();
  } catch (e) {
    if (e instanceof YamlError) throw new InvalidArgumentError(field, e.message);
    throw e;
  }
}

/** Writes a string as a YAML double-quoted scalar (JSON's escapes are valid YAML). */
export function yamlString(s: string): string {
  return JSON.stringify(s);
}
