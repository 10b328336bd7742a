/**
 * Developer aid: BERTH_CPU_PROFILE=DIR in berthd's environment samples its CPU (V8's profiler,
 * through node:inspector) from start to stop and writes DIR/berthd-<pid>.cpuprofile when it
 * stops cleanly (SIGTERM/SIGINT). `node bench/dist/cpuprofile.js FILE` summarises one; Chrome's
 * DevTools open it. Off (nothing loaded) without the variable. (node's --cpu-prof cannot be
 * given through NODE_OPTIONS, and berthd is started by tools that do not pass node flags.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function startCpuProfile(dir: string | undefined): () => Promise<void> {
  if (!dir) return async () => undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Session } = require('node:inspector') as typeof import('node:inspector');
  const s = new Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 500 });
  s.post('Profiler.start');
  return () => new Promise<void>((resolve) => {
    s.post('Profiler.stop', (err, r) => {
      try {
        if (!err) {
          fs.mkdirSync(dir, { recursive: true });
          fs.writeFileSync(path.join(dir, `berthd-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
        }
      } finally {
        s.disconnect();
        resolve();
      }
    });
  });
}
