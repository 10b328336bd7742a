// @berth/node-agent: the per-host agent and the berthd daemon.
export { Daemon, DEFAULT_DATA_DIR, socketPath } from './daemon/daemon';
export type { DaemonOptions } from './daemon/daemon';
export { formatCapabilities, parseCgroupMounts, probeHost } from './capabilities';
export type { CgroupInfo, CriuInfo, Feature, HostCapabilities, ToolInfo } from './capabilities';
export { toolEnv, berthBinDir, berthLibDir, criuTcpPushLib, criuPipeClampLib, criuLateFreezeLib, criuKdatCacheLib, criuTarDir, criuLazyConnectLib, criuFilePoolLib, criuNftUnlockLib, criuTlsPacketLib } from './host/paths';
export { criuToolEnv, criuKdatFile, CRIU_GNUTLS_CONF } from './runtime/criu-env';
export { runTool } from './host/run';
export type { ToolResult } from './host/run';
export { API_EXTENSIONS, BERTH_VERSION } from './version';
export * as runtime from './runtime';
export * as images from './images';
export { AgentError, AlreadyExistsError, FailedPreconditionError, InternalError, InvalidArgumentError, NotFoundError, NotSupportedError } from './errors';
export { Reverter } from './reverter';
export * as storage from './storage';
export * as agent from './agent';
