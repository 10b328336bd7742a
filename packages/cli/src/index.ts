// @berth/cli: the `berth` command and the client it is built on.
export { BerthClient, DaemonUnreachableError, localDataDir } from './client';
