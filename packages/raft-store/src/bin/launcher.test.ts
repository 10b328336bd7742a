/**
 * The `raft-store` command runs as operators run it (the file executed, its first line naming
 * node and node's flags): a member gets V8's old-generation floor (design.md, "The runtime").
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.join(__dirname, 'raft-store.js');

describe('the raft-store launcher', () => {
  it('runs as an executable, and node gets the flags its first line names', () => {
    const first = fs.readFileSync(BIN, 'utf8').split('\n', 1)[0]!;
    expect(first).toBe('#!/usr/bin/env -S node --initial-old-space-size=128');
    expect(fs.statSync(BIN).mode & 0o111).not.toBe(0);
    // A preload reports the running process's node flags and stops it before the command runs.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
    try {
      const preload = path.join(dir, 'report.js');
      fs.writeFileSync(preload, "process.stdout.write(JSON.stringify(process.execArgv)); process.exit(0);\n");
      const r = spawnSync(BIN, ['--help'], { env: { ...process.env, NODE_OPTIONS: `--require ${preload}` }, encoding: 'utf8', timeout: 20_000 });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(['--initial-old-space-size=128']);
      // And without the preload the command itself runs through that line.
      const help = spawnSync(BIN, ['--help'], { encoding: 'utf8', timeout: 20_000 });
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('raft-store start');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
