#!/usr/bin/env node
// The `berth` command. `berth list` is what operators and scripts run most: it has a path that
// loads only the client and the formatter (fast-list.ts); everything else, and any `list`
// with options that path does not take, goes through the full command set (main.ts, yargs).
import '../start'; // first: the compile cache (../compile-cache.ts) is in place before anything else loads
import { listFastPath } from '../fast-list';

// eslint-disable-next-line @typescript-eslint/no-require-imports
if (!listFastPath(process.argv.slice(2))) require('./main');
