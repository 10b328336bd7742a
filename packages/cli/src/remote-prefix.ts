/**
 * LXD's `REMOTE:NAME` form of instance arguments: `berth list prod:`, `berth info prod:c1`,
 * `berth exec prod:c1 -- ps`, `berth launch busybox prod:c1`. The prefix selects the remote for
 * that call, as `--remote prod` does (lxc's ParseRemote): everything before the first `:` is a
 * remote name (instance names never hold one), the rest the instance (or `NAME/SNAPSHOT`).
 *
 * Rules (each break is a usage error, exit code 2, nothing sent):
 * - the remote must be `local` or one of `berth remote list`; the error names it and lists them;
 * - every prefixed argument of one command, and `--remote` if given, name the same remote
 *   (berth does not copy or move between remotes);
 * - only `info`, `list`, `monitor` and `cluster list` take a bare `REMOTE:` (the server itself,
 *   all its instances, its events, its members).
 */
import { UsageError } from './exit';
import { LOCAL, loadConfig, selectRemote, unknownRemote } from './remotes';

/**
 * The positionals that name an instance, by command (the words yargs leaves in argv._).
 * `list`'s `server` positional takes `REMOTE:` only.
 */
const INSTANCE_ARGS: Record<string, string[]> = {
  info: ['name'], launch: ['name'], init: ['name'], exec: ['name'], console: ['name'],
  start: ['name'], stop: ['name'], restart: ['name'], pause: ['name'], resume: ['name'], delete: ['name'], rm: ['name'],
  snapshot: ['name'], restore: ['name'], move: ['name', 'new-name'], copy: ['source', 'name'], rename: ['name', 'new-name'],
  publish: ['source'], list: ['server'], ls: ['server'], monitor: ['server'], 'cluster list': ['name'], 'cluster show': ['name'],
  'config get': ['name'], 'config set': ['name'], 'config unset': ['name'], 'config show': ['name'],
};
const BARE_REMOTE_OK = new Set(['info', 'list', 'ls', 'monitor', 'cluster list']);

/** `prod:c1` -> {remote: 'prod', name: 'c1'}; `c1` -> {name: 'c1'}. */
export function splitRemote(ref: string): { remote?: string; name: string } {
  const i = ref.indexOf(':');
  return i < 0 ? { name: ref } : { remote: ref.slice(0, i), name: ref.slice(i + 1) };
}

const camel = (k: string): string => k.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * yargs middleware (after the one that applies --remote): strips `REMOTE:` from the command's
 * instance arguments and selects that remote. `knownRemotes` is for tests (default: the CLI's
 * config, read only when a prefix is there).
 */
export function applyRemotePrefixes(argv: Record<string, unknown>, knownRemotes?: () => string[]): void {
  const words = (argv['_'] as unknown[] | undefined ?? []).map(String);
  // `berth cluster ACTION`: the action is a positional, not a subcommand.
  if (words[0] === 'cluster' && words.length === 1 && typeof argv['action'] === 'string') words.push(argv['action']);
  const command = INSTANCE_ARGS[`${words[0]} ${words[1]}`] ? `${words[0]} ${words[1]}` : words[0] ?? '';
  const keys = INSTANCE_ARGS[command];
  if (!keys) return;
  let chosen: { remote: string; from: string } | undefined;
  for (const key of keys) {
    const value = argv[key];
    if (typeof value !== 'string' || !value.includes(':')) {
      if (key === 'server' && typeof value === 'string') throw new UsageError(`berth ${command} ${value}: give a remote as REMOTE: (e.g. berth list local:); filters are not supported`);
      continue;
    }
    const { remote, name } = splitRemote(value);
    if (!remote) throw new UsageError(`${value}: the remote's name is missing before ":"`);
    if (remote !== LOCAL) {
      const known = knownRemotes ? knownRemotes() : Object.keys(loadConfig().remotes);
      if (!known.includes(remote)) throw unknownRemote(remote, known, ` in "${value}"`);
    }
    if (name === '' && !BARE_REMOTE_OK.has(command)) throw new UsageError(`${value}: the ${command.startsWith('cluster') ? 'member' : 'instance'}'s name is missing after "${remote}:"`);
    if (chosen && chosen.remote !== remote) throw new UsageError(`${chosen.from} and ${value} name different remotes: berth ${command} works within one remote`);
    chosen = { remote, from: value };
    argv[key] = name === '' && key !== 'server' ? undefined : name;
    if (camel(key) !== key) argv[camel(key)] = argv[key];
  }
  if (!chosen) return;
  const flag = argv['remote'];
  if (typeof flag === 'string' && flag !== '' && flag !== chosen.remote) throw new UsageError(`${chosen.from} names remote "${chosen.remote}" but --remote says "${flag}"`);
  selectRemote(chosen.remote);
}
