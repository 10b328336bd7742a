/**
 * A V8 code cache for the CLI's CommonJS modules, as Node 22's module.enableCompileCache()
 * (which Node 20 lacks): compiling yargs and the CLI's own modules is a good part of what
 * `berth list` spends above Node's own start.
 *
 * Contract:
 * - enableCompileCache() (bin/berth.ts calls it before loading anything else) compiles every
 *   CommonJS module loaded after it with vm.Script, handing V8 the code it made for the same
 *   file and source in an earlier run; what runs is the module's source as read now.
 * - Entries are keyed by file name, size, modification and change time: a rebuilt or edited
 *   file is compiled afresh (V8 itself checks little more than the source's length). The code
 *   is taken at the process's exit, so it holds the functions that run compiled lazily too.
 * - One file per Node version and architecture, `berth-cli-<version>-<arch>.cache`, in
 *   $BERTH_CACHE_DIR, else $XDG_CACHE_HOME/berth, else ~/.cache/berth. V8's code cache is
 *   trusted input, so the folder must be the user's own and writable by nobody else (it is
 *   made 0700); otherwise, or with BERTH_NO_COMPILE_CACHE=1, nothing is cached.
 * - It is rewritten (atomically: a temp file renamed over it) only when this run compiled
 *   something it did not hold; any failure to read or write it only costs the cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import Module = require('node:module');

interface Entry { hash: string; data: Buffer }
interface IndexRow { file: string; hash: string; length: number }

/** What the cache did in this process (for tests and `BERTH_COMPILE_CACHE_DEBUG=1`). */
export const compileCacheStats = { file: '', hits: 0, misses: 0, rejected: 0, written: false, disabled: '' };

const MAX_ENTRIES = 400;

/**
 * What identifies a file's source: its size and its modification and change times (a write of
 * any kind moves ctime, which no one can set back). Hashing the source costs more than
 * the cache saves here (4-6 ms for yargs and the CLI).
 */
function sourceKey(filename: string, content: string): string | undefined {
  try {
    const st = fs.statSync(filename);
    return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${content.length}`;
  } catch {
    return undefined;
  }
}

export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['BERTH_CACHE_DIR']) return env['BERTH_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return path.join(env['XDG_CACHE_HOME'], 'berth');
  return path.join(env['HOME'] || require('node:os').homedir(), '.cache', 'berth');
}

/** The folder, made if missing; undefined (and why) when it is not safe to use. */
function privateDir(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.statSync(dir);
    const uid = process.getuid?.() ?? st.uid;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
      compileCacheStats.disabled = `${dir} is not a folder of this user's only`;
      return undefined;
    }
    return dir;
  } catch (e) {
    compileCacheStats.disabled = `${dir}: ${(e as Error).message}`;
    return undefined;
  }
}

/** File layout: 4-byte big-endian index length, the index as JSON, then the entries' code back to back. */
function readCache(file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return out;
  }
  try {
    const n = buf.readUInt32BE(0);
    const index = JSON.parse(buf.toString('utf8', 4, 4 + n)) as IndexRow[];
    let at = 4 + n;
    for (const row of index) {
      if (at + row.length > buf.length) break;
      out.set(row.file, { hash: row.hash, data: buf.subarray(at, at + row.length) });
      at += row.length;
    }
  } catch {
    out.clear(); // a damaged file is as good as none
  }
  return out;
}

function writeCache(file: string, entries: Map<string, Entry>): void {
  const rows = [...entries].slice(-MAX_ENTRIES);
  const index = Buffer.from(JSON.stringify(rows.map(([f, e]) => ({ file: f, hash: e.hash, length: e.data.length }))));
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(index.length, 0);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([head, index, ...rows.map(([, e]) => e.data)]), { mode: 0o600 });
    fs.renameSync(tmp, file);
    compileCacheStats.written = true;
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

type Compile = (this: Module, content: string, filename: string) => unknown;

export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  if (env['BERTH_NO_COMPILE_CACHE'] === '1') {
    compileCacheStats.disabled = 'BERTH_NO_COMPILE_CACHE=1';
    return;
  }
  const dir = privateDir(compileCacheDir(env));
  if (!dir) return;
  const file = path.join(dir, `berth-cli-${process.version}-${process.arch}.cache`);
  compileCacheStats.file = file;
  const entries = readCache(file);
  const fresh: Array<{ file: string; hash: string; script: vm.Script }> = [];
  const proto = Module.prototype as unknown as { _compile: Compile };
  const original = proto._compile;

  proto._compile = function compileWithCache(this: Module, content: string, filename: string): unknown {
    let script: vm.Script;
    const hash = sourceKey(filename, content);
    if (hash === undefined) return original.call(this, content, filename);
    const known = entries.get(filename);
    const cachedData = known?.hash === hash ? known.data : undefined;
    try {
      // A hashbang is only valid at the very start of a script, not inside the module wrapper.
      const source = content.startsWith('#!') ? `//${content.slice(2)}` : content;
      script = new vm.Script(Module.wrap(source), { filename, ...(cachedData ? { cachedData } : {}) });
    } catch {
      return original.call(this, content, filename); // let Node report the syntax error its own way
    }
    if (cachedData && !script.cachedDataRejected) compileCacheStats.hits++;
    else {
      if (cachedData) compileCacheStats.rejected++;
      compileCacheStats.misses++;
      fresh.push({ file: filename, hash, script });
    }
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...a: unknown[]) => unknown;
    const mod = this as Module & { require: (id: string) => unknown };
    // What Node's own makeRequireFunction gives a module.
    const req = ((id: string) => mod.require(id)) as NodeJS.Require;
    const resolve = ((request: string, options?: { paths?: string[] }) => (Module as unknown as { _resolveFilename: (r: string, m: Module, main: boolean, o?: unknown) => string })._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
    resolve.paths = (request: string) => (Module as unknown as { _resolveLookupPaths: (r: string, m: Module) => string[] | null })._resolveLookupPaths(request, mod);
    req.resolve = resolve;
    req.main = process.mainModule;
    req.extensions = (Module as unknown as { _extensions: NodeJS.RequireExtensions })._extensions;
    req.cache = (Module as unknown as { _cache: NodeJS.Dict<NodeModule> })._cache;
    return wrapper.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  };

  process.once('exit', () => {
    const debug = (): void => {
      if (env['BERTH_COMPILE_CACHE_DEBUG'] === '1') process.stderr.write(`compile cache: ${JSON.stringify(compileCacheStats)}\n`);
    };
    if (fresh.length === 0) return debug();
    for (const f of fresh) {
      try {
        entries.delete(f.file); // re-inserted last: the most recently made are kept when pruning
        entries.set(f.file, { hash: f.hash, data: f.script.createCachedData() });
      } catch {
        // no code for this one
      }
    }
    writeCache(file, entries);
    debug();
  });
}
