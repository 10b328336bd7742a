export { probeHost, parseCgroupMounts } from './probe';
export { formatCapabilities } from './format';
export type { CgroupInfo, CgroupLayout, CriuInfo, CriuSource, Feature, HostCapabilities, ToolInfo } from './types';
