/**
 * LXD's metadata.yaml: parsing, validation, writing.
 *
 *   architecture: x86_64          # mandatory; LXD name (Debian/Go aliases are normalized)
 *   creation_date: 1424284563     # mandatory; seconds since the epoch
 *   expiry_date: 1924284563       # optional
 *   properties: {os: ..., release: ..., description: ..., name: ...}   # string map
 *   templates:                    # optional: file in the instance -> rule
 *     /etc/hostname:
 *       when: [create, copy]      # create | copy | start | rename
 *       template: hostname.tpl    # a file in templates/
 *       create_only: false
 *       properties: {k: v}
 * Unknown top-level keys are ignored (as LXD does); malformed known keys are refused.
 */
import { InvalidArgumentError } from '../errors';
import { normalizeArchivePath } from './safe-extract';
import { parseYaml, yamlString, type YamlMap, type YamlValue } from './yaml';

export const LXD_ARCHITECTURES = [
  'i686', 'x86_64', 'armv6l', 'armv7l', 'armv8l', 'aarch64', 'ppc', 'ppc64', 'ppc64le',
  's390x', 'mips', 'mips64', 'riscv32', 'riscv64', 'loongarch64',
] as const;

/** Other names of LXD's architectures (Debian's dpkg names, Go's GOARCH, uname variants). */
const ARCH_ALIASES: Record<string, string> = {
  amd64: 'x86_64', x86_64: 'x86_64', x64: 'x86_64',
  i386: 'i686', i486: 'i686', i586: 'i686', i686: 'i686', '386': 'i686', ia32: 'i686',
  arm64: 'aarch64', aarch64: 'aarch64',
  armhf: 'armv7l', armv7l: 'armv7l', armv7: 'armv7l', arm: 'armv7l',
  armel: 'armv6l', armv6l: 'armv6l', armv6: 'armv6l',
  armv8l: 'armv8l',
  ppc64el: 'ppc64le', ppc64le: 'ppc64le', ppc64: 'ppc64', powerpc: 'ppc', ppc: 'ppc',
  s390x: 's390x',
  mips: 'mips', mipsel: 'mips', mips64: 'mips64', mips64el: 'mips64',
  riscv32: 'riscv32', riscv64: 'riscv64',
  loong64: 'loongarch64', loongarch64: 'loongarch64',
};

/** The LXD name of an architecture name (dpkg's, Node's process.arch, uname -m), or null. */
export function lxdArchitecture(name: string): string | null {
  return ARCH_ALIASES[name] ?? null;
}

export type TemplateTrigger = 'create' | 'copy' | 'start' | 'rename';
const TRIGGERS: readonly string[] = ['create', 'copy', 'start', 'rename'];

export interface TemplateRule {
  when: TemplateTrigger[];
  /** File name inside templates/. */
  template: string;
  createOnly: boolean;
  properties: Record<string, string>;
  uid?: string;
  gid?: string;
  mode?: string;
}

export interface ImageMetadata {
  architecture: string;
  /** Seconds since the epoch. */
  creationDate: number;
  expiryDate?: number;
  properties: Record<string, string>;
  /** Path in the instance -> rule. */
  templates: Record<string, TemplateRule>;
}

const FIELD = 'metadata.yaml';

function bad(msg: string): never {
  throw new InvalidArgumentError(FIELD, msg);
}

function isMap(v: YamlValue | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarString(v: YamlValue | undefined, what: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return bad(`${what} must be a string`);
}

function stringMap(v: YamlValue | undefined, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isMap(v)) bad(`${what} must be a mapping of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) out[k] = scalarString(val, `${what}.${k}`);
  return out;
}

function timestamp(v: YamlValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(`${what} must be a non-negative integer (seconds since the epoch)`);
  return v;
}

/**
 * Parses and validates metadata.yaml. `templateFiles` (names under templates/) lets it check
 * that every rule's template exists in the image.
 */
export function parseMetadata(data: Buffer | string, templateFiles?: Set<string>): ImageMetadata {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (typeof data !== 'string' && !Buffer.from(text, 'utf8').equals(data)) bad('is not valid UTF-8');
  const doc = parseYaml(text, FIELD);
  if (!isMap(doc)) bad('must be a mapping (architecture, creation_date, properties, templates)');
  if (doc['architecture'] === undefined) bad('architecture is missing');
  const archName = scalarString(doc['architecture'], 'architecture');
  const architecture = lxdArchitecture(archName) ?? bad(`architecture ${JSON.stringify(archName)} is not one LXD knows (${LXD_ARCHITECTURES.join(', ')})`);
  if (doc['creation_date'] === undefined) bad('creation_date is missing');
  const meta: ImageMetadata = {
    architecture,
    creationDate: timestamp(doc['creation_date'], 'creation_date'),
    properties: stringMap(doc['properties'], 'properties'),
    templates: {},
  };
  if (doc['expiry_date'] !== undefined && doc['expiry_date'] !== null) meta.expiryDate = timestamp(doc['expiry_date'], 'expiry_date');
  const tpl = doc['templates'];
  if (tpl !== undefined && tpl !== null) {
    if (!isMap(tpl)) bad('templates must be a mapping of file paths to rules');
    for (const [target, rule] of Object.entries(tpl)) {
      const what = `templates[${JSON.stringify(target)}]`;
      if (!target.startsWith('/')) bad(`${what}: the path must be absolute`);
      const tparts = normalizeArchivePath(target.slice(1));
      if (typeof tparts === 'string' || tparts.length === 0) bad(`${what}: bad path`);
      if (!isMap(rule)) bad(`${what} must be a mapping (when, template, ...)`);
      const whenV = rule['when'];
      const when = Array.isArray(whenV) ? whenV : whenV === undefined || whenV === null ? [] : [whenV];
      const triggers: TemplateTrigger[] = [];
      for (const w of when) {
        if (typeof w !== 'string' || !TRIGGERS.includes(w)) bad(`${what}.when: ${JSON.stringify(w)} is not one of ${TRIGGERS.join(', ')}`);
        triggers.push(w as TemplateTrigger);
      }
      const template = scalarString(rule['template'], `${what}.template`);
      if (template === '') bad(`${what}.template is missing`);
      const fparts = normalizeArchivePath(template);
      if (typeof fparts === 'string' || fparts.length === 0) bad(`${what}.template ${JSON.stringify(template)} is not a file name inside templates/`);
      if (templateFiles && !templateFiles.has(fparts.join('/'))) bad(`${what}.template ${JSON.stringify(template)} is not in the image's templates/`);
      const co = rule['create_only'];
      if (co !== undefined && co !== null && typeof co !== 'boolean') bad(`${what}.create_only must be true or false`);
      const r: TemplateRule = {
        when: triggers,
        template: fparts.join('/'),
        createOnly: co === true,
        properties: stringMap(rule['properties'], `${what}.properties`),
      };
      for (const k of ['uid', 'gid', 'mode'] as const) {
        if (rule[k] !== undefined && rule[k] !== null) r[k] = scalarString(rule[k], `${what}.${k}`);
      }
      meta.templates[target] = r;
    }
  }
  return meta;
}

/** Writes metadata.yaml for an image (keys sorted, strings always quoted: stable bytes). */
export function formatMetadata(meta: ImageMetadata): string {
  const lines: string[] = [`architecture: ${yamlString(meta.architecture)}`, `creation_date: ${meta.creationDate}`];
  if (meta.expiryDate !== undefined) lines.push(`expiry_date: ${meta.expiryDate}`);
  const props = Object.keys(meta.properties).sort();
  lines.push(props.length === 0 ? 'properties: {}' : 'properties:');
  for (const k of props) lines.push(`  ${yamlString(k)}: ${yamlString(meta.properties[k]!)}`);
  const tpls = Object.keys(meta.templates).sort();
  lines.push(tpls.length === 0 ? 'templates: {}' : 'templates:');
  for (const t of tpls) {
    const r = meta.templates[t]!;
    lines.push(`  ${yamlString(t)}:`);
    lines.push(`    when: [${r.when.map(yamlString).join(', ')}]`);
    lines.push(`    template: ${yamlString(r.template)}`);
    lines.push(`    create_only: ${r.createOnly}`);
    const rp = Object.keys(r.properties).sort();
    lines.push(rp.length === 0 ? '    properties: {}' : '    properties:');
    for (const k of rp) lines.push(`      ${yamlString(k)}: ${yamlString(r.properties[k]!)}`);
    for (const k of ['uid', 'gid', 'mode'] as const) if (r[k] !== undefined) lines.push(`    ${k}: ${yamlString(r[k]!)}`);
  }
  return `${lines.join('\n')}\n`;
}
