// Public API of @berth/raft-store.

// The Raft core (pure, deterministic; see design.md).
export { RawNode } from './core/raw-node';
export type { ProgressStatus, Status } from './core/raw-node';
export { DEFAULT_CONFIG, makeConfig, validateConfig } from './core/config';
export type { RaftConfig } from './core/config';
export type { LogStorage } from './core/storage';
export { InMemoryLogStore } from './core/inmem-log-store';
export { DedupTable } from './core/dedup-table';
export type { DedupSession, DedupVerdict } from './core/dedup-table';
export { CAMPAIGN_TRANSFER, EMPTY_CONF_STATE, NONE, entrySize, isEmptySnapshot, payloadSize } from './core/messages';
export type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMetadata,
  SoftState,
} from './core/messages';
export type { ReadOnlyOption } from './core/read-only';
export type { ProgressState } from './core/progress';
export {
  CompactedError,
  ConfChangeRefusedError,
  ConfigError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RaftInvariantError,
  ReadyProtocolError,
  SnapshotOutOfDateError,
  TransferRefusedError,
  UnavailableError,
} from './core/errors';
export type { ConfChangeRefusedReason, ProposalDropReason } from './core/errors';

// The durable log, the state machine, the running member and its transports.
export { LevelLogStore, LogStoreCorruptError, ForeignClusterError } from './storage/level-log-store';
export type { LogIdentity, LogWrite } from './storage/level-log-store';
export { describeRecovery, recoverAsSoleMember, RecoveryRefusedError } from './storage/recover';
export type { RecoveryOptions, RecoveryRefusal, RecoveryReport } from './storage/recover';
export { MvccStore, CompactedError as WatchCompactedError, prefixEnd } from './kv';
export type {
  AppliedEntry, Command, CommandResult, Compare, KeyValue, Lease, MemberRecord, PutRequest, RangeRequest, RangeResponse,
  TxnRequest, TxnResponse, WatchEvent, WatchOptions,
} from './kv';
export { RaftNode } from './node/raft-node';
export type { NodeMetrics, NodeStatus, RaftNodeOptions } from './node/raft-node';
export { NotLeaderNodeError, ProposalLostError, StoppedError, TimeoutError } from './node/errors';
export type { Transport, TransportHandlers } from './node/transport';
export { InMemNetwork, InMemTransport } from './node/inmem-transport';
export { GrpcTransport } from './node/grpc-transport';

// etcd's v3 API, served and spoken.
export { EtcdApi, numericClusterId } from './api/etcd-server';
export { EtcdClient, EtcdError } from './client/etcd-client';
export { quietIpServerNameWarning } from './client/ip-servername';

// Checking histories for linearizability.
export { checkLinearizable, assertLinearizable, createRecorder, kvModel } from './check';
export { Member } from './member';
export type { MemberOptions } from './member';
