// The dependency direction of the design: raft-store imports none of the other
// packages; control-plane may use raft-store; node-agent composes them; the CLI speaks
// only the generated API client — and makes its own client certificate and reads trust
// tokens with control-plane's PKI module (node:crypto and a DER encoder, nothing of the
// cluster), which it may load by its path. Checked on the sources (imports and requires), so
// a stray import fails here.
import * as fs from 'node:fs';
import * as path from 'node:path';

const repo = path.dirname(require.resolve('../../../package.json'));

const allowed: Record<string, string[]> = {
  'raft-store': ['@berth/proto'],
  'control-plane': ['@berth/raft-store', '@berth/proto'],
  'node-agent': ['@berth/raft-store', '@berth/control-plane', '@berth/proto'],
  cli: ['@berth/proto'],
};

/** Deeper paths a package may load beside the packages above (the package itself stays out of its manifest). */
const allowedPaths: Record<string, string[]> = {
  cli: ['@berth/control-plane/dist/pki/'],
};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('package dependency direction', () => {
  for (const [pkg, ok] of Object.entries(allowed)) {
    it(`${pkg} imports only ${ok.join(', ')} of berth's packages`, () => {
      const bad: string[] = [];
      const src = path.join(repo, 'packages', pkg, 'src');
      for (const file of sources(src)) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from |require\()'((@berth\/[^'/]+)[^']*)'/g)) {
          const [, spec, name] = m;
          if (ok.includes(name!) || (allowedPaths[pkg] ?? []).some((p) => spec!.startsWith(p))) continue;
          bad.push(`${path.relative(repo, file)} imports ${spec}`);
        }
      }
      const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'packages', pkg, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(manifest.dependencies ?? {})) {
        const byPath = (allowedPaths[pkg] ?? []).some((p) => p.startsWith(`${dep}/`));
        if (dep.startsWith('@berth/') && !ok.includes(dep) && !byPath) bad.push(`package.json depends on ${dep}`);
      }
      expect(bad).toEqual([]);
    });
  }

  it('every package has src/, a tsconfig with references and a README', () => {
    for (const dir of ['proto', ...Object.keys(allowed).map((p) => `packages/${p}`)]) {
      for (const f of ['src', 'tsconfig.json', 'README.md', 'package.json']) {
        expect([dir, fs.existsSync(path.join(repo, dir, f))]).toEqual([dir, true]);
      }
    }
  });
});
