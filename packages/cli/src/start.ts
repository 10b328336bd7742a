// Loaded first by bin/berth.ts: the compile cache must be in place before anything else loads.
import { enableCompileCache } from './compile-cache';

enableCompileCache();
