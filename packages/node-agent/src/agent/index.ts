export { Agent } from './agent';
export type { AgentOptions, InstanceRecord, InstanceView, SnapshotRecord } from './agent';
export { limitsFromConfig, parseAllowance, parseCpuset, parseMemory, validateConfig, validateInstanceName } from './config';
