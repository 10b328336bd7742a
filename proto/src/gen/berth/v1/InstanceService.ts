// Original file: proto/berth/v1/instances.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChangeStateRequest as _berth_v1_ChangeStateRequest, ChangeStateRequest__Output as _berth_v1_ChangeStateRequest__Output } from '../../berth/v1/ChangeStateRequest';
import type { ConsoleLogRequest as _berth_v1_ConsoleLogRequest, ConsoleLogRequest__Output as _berth_v1_ConsoleLogRequest__Output } from '../../berth/v1/ConsoleLogRequest';
import type { ConsoleLogResponse as _berth_v1_ConsoleLogResponse, ConsoleLogResponse__Output as _berth_v1_ConsoleLogResponse__Output } from '../../berth/v1/ConsoleLogResponse';
import type { CopyInstanceRequest as _berth_v1_CopyInstanceRequest, CopyInstanceRequest__Output as _berth_v1_CopyInstanceRequest__Output } from '../../berth/v1/CopyInstanceRequest';
import type { CreateInstanceRequest as _berth_v1_CreateInstanceRequest, CreateInstanceRequest__Output as _berth_v1_CreateInstanceRequest__Output } from '../../berth/v1/CreateInstanceRequest';
import type { CreateSnapshotRequest as _berth_v1_CreateSnapshotRequest, CreateSnapshotRequest__Output as _berth_v1_CreateSnapshotRequest__Output } from '../../berth/v1/CreateSnapshotRequest';
import type { DeleteInstanceRequest as _berth_v1_DeleteInstanceRequest, DeleteInstanceRequest__Output as _berth_v1_DeleteInstanceRequest__Output } from '../../berth/v1/DeleteInstanceRequest';
import type { ExecInput as _berth_v1_ExecInput, ExecInput__Output as _berth_v1_ExecInput__Output } from '../../berth/v1/ExecInput';
import type { ExecOutput as _berth_v1_ExecOutput, ExecOutput__Output as _berth_v1_ExecOutput__Output } from '../../berth/v1/ExecOutput';
import type { GetInstanceRequest as _berth_v1_GetInstanceRequest, GetInstanceRequest__Output as _berth_v1_GetInstanceRequest__Output } from '../../berth/v1/GetInstanceRequest';
import type { Instance as _berth_v1_Instance, Instance__Output as _berth_v1_Instance__Output } from '../../berth/v1/Instance';
import type { InstanceState as _berth_v1_InstanceState, InstanceState__Output as _berth_v1_InstanceState__Output } from '../../berth/v1/InstanceState';
import type { ListInstancesRequest as _berth_v1_ListInstancesRequest, ListInstancesRequest__Output as _berth_v1_ListInstancesRequest__Output } from '../../berth/v1/ListInstancesRequest';
import type { ListInstancesResponse as _berth_v1_ListInstancesResponse, ListInstancesResponse__Output as _berth_v1_ListInstancesResponse__Output } from '../../berth/v1/ListInstancesResponse';
import type { ListSnapshotsRequest as _berth_v1_ListSnapshotsRequest, ListSnapshotsRequest__Output as _berth_v1_ListSnapshotsRequest__Output } from '../../berth/v1/ListSnapshotsRequest';
import type { ListSnapshotsResponse as _berth_v1_ListSnapshotsResponse, ListSnapshotsResponse__Output as _berth_v1_ListSnapshotsResponse__Output } from '../../berth/v1/ListSnapshotsResponse';
import type { MoveInstanceRequest as _berth_v1_MoveInstanceRequest, MoveInstanceRequest__Output as _berth_v1_MoveInstanceRequest__Output } from '../../berth/v1/MoveInstanceRequest';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from '../../berth/v1/OperationResponse';
import type { RenameInstanceRequest as _berth_v1_RenameInstanceRequest, RenameInstanceRequest__Output as _berth_v1_RenameInstanceRequest__Output } from '../../berth/v1/RenameInstanceRequest';
import type { SnapshotRef as _berth_v1_SnapshotRef, SnapshotRef__Output as _berth_v1_SnapshotRef__Output } from '../../berth/v1/SnapshotRef';
import type { UpdateInstanceRequest as _berth_v1_UpdateInstanceRequest, UpdateInstanceRequest__Output as _berth_v1_UpdateInstanceRequest__Output } from '../../berth/v1/UpdateInstanceRequest';

export interface InstanceServiceClient extends grpc.Client {
  ChangeState(argument: _berth_v1_ChangeStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  ChangeState(argument: _berth_v1_ChangeStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  ChangeState(argument: _berth_v1_ChangeStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  ChangeState(argument: _berth_v1_ChangeStateRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  changeState(argument: _berth_v1_ChangeStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  changeState(argument: _berth_v1_ChangeStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  changeState(argument: _berth_v1_ChangeStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  changeState(argument: _berth_v1_ChangeStateRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  ConsoleLog(argument: _berth_v1_ConsoleLogRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  ConsoleLog(argument: _berth_v1_ConsoleLogRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  ConsoleLog(argument: _berth_v1_ConsoleLogRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  ConsoleLog(argument: _berth_v1_ConsoleLogRequest, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  consoleLog(argument: _berth_v1_ConsoleLogRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  consoleLog(argument: _berth_v1_ConsoleLogRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  consoleLog(argument: _berth_v1_ConsoleLogRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  consoleLog(argument: _berth_v1_ConsoleLogRequest, callback: grpc.requestCallback<_berth_v1_ConsoleLogResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A new instance from another one (its files, config and snapshots), stopped unless asked.
   */
  CopyInstance(argument: _berth_v1_CopyInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CopyInstance(argument: _berth_v1_CopyInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CopyInstance(argument: _berth_v1_CopyInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CopyInstance(argument: _berth_v1_CopyInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A new instance from another one (its files, config and snapshots), stopped unless asked.
   */
  copyInstance(argument: _berth_v1_CopyInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  copyInstance(argument: _berth_v1_CopyInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  copyInstance(argument: _berth_v1_CopyInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  copyInstance(argument: _berth_v1_CopyInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  CreateInstance(argument: _berth_v1_CreateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _berth_v1_CreateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _berth_v1_CreateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateInstance(argument: _berth_v1_CreateInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _berth_v1_CreateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _berth_v1_CreateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _berth_v1_CreateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createInstance(argument: _berth_v1_CreateInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  CreateSnapshot(argument: _berth_v1_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _berth_v1_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _berth_v1_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  CreateSnapshot(argument: _berth_v1_CreateSnapshotRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _berth_v1_CreateSnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _berth_v1_CreateSnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _berth_v1_CreateSnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  createSnapshot(argument: _berth_v1_CreateSnapshotRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteInstance(argument: _berth_v1_DeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _berth_v1_DeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _berth_v1_DeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteInstance(argument: _berth_v1_DeleteInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _berth_v1_DeleteInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _berth_v1_DeleteInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _berth_v1_DeleteInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteInstance(argument: _berth_v1_DeleteInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  DeleteSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _berth_v1_SnapshotRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteSnapshot(argument: _berth_v1_SnapshotRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _berth_v1_SnapshotRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteSnapshot(argument: _berth_v1_SnapshotRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  Exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ExecInput, _berth_v1_ExecOutput__Output>;
  Exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ExecInput, _berth_v1_ExecOutput__Output>;
  exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ExecInput, _berth_v1_ExecOutput__Output>;
  exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ExecInput, _berth_v1_ExecOutput__Output>;
  
  GetInstance(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _berth_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  GetInstance(argument: _berth_v1_GetInstanceRequest, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _berth_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  getInstance(argument: _berth_v1_GetInstanceRequest, callback: grpc.requestCallback<_berth_v1_Instance__Output>): grpc.ClientUnaryCall;
  
  GetInstanceState(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  GetInstanceState(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  GetInstanceState(argument: _berth_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  GetInstanceState(argument: _berth_v1_GetInstanceRequest, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  getInstanceState(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  getInstanceState(argument: _berth_v1_GetInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  getInstanceState(argument: _berth_v1_GetInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  getInstanceState(argument: _berth_v1_GetInstanceRequest, callback: grpc.requestCallback<_berth_v1_InstanceState__Output>): grpc.ClientUnaryCall;
  
  ListInstances(argument: _berth_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _berth_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _berth_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  ListInstances(argument: _berth_v1_ListInstancesRequest, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _berth_v1_ListInstancesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _berth_v1_ListInstancesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _berth_v1_ListInstancesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  listInstances(argument: _berth_v1_ListInstancesRequest, callback: grpc.requestCallback<_berth_v1_ListInstancesResponse__Output>): grpc.ClientUnaryCall;
  
  ListSnapshots(argument: _berth_v1_ListSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _berth_v1_ListSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _berth_v1_ListSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  ListSnapshots(argument: _berth_v1_ListSnapshotsRequest, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _berth_v1_ListSnapshotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _berth_v1_ListSnapshotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _berth_v1_ListSnapshotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  listSnapshots(argument: _berth_v1_ListSnapshotsRequest, callback: grpc.requestCallback<_berth_v1_ListSnapshotsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Moves an instance to another member (cold: a running one is stopped, moved, started).
   */
  MoveInstance(argument: _berth_v1_MoveInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  MoveInstance(argument: _berth_v1_MoveInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  MoveInstance(argument: _berth_v1_MoveInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  MoveInstance(argument: _berth_v1_MoveInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Moves an instance to another member (cold: a running one is stopped, moved, started).
   */
  moveInstance(argument: _berth_v1_MoveInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  moveInstance(argument: _berth_v1_MoveInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  moveInstance(argument: _berth_v1_MoveInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  moveInstance(argument: _berth_v1_MoveInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  RenameInstance(argument: _berth_v1_RenameInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RenameInstance(argument: _berth_v1_RenameInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RenameInstance(argument: _berth_v1_RenameInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RenameInstance(argument: _berth_v1_RenameInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  renameInstance(argument: _berth_v1_RenameInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  renameInstance(argument: _berth_v1_RenameInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  renameInstance(argument: _berth_v1_RenameInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  renameInstance(argument: _berth_v1_RenameInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  RestoreSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreSnapshot(argument: _berth_v1_SnapshotRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreSnapshot(argument: _berth_v1_SnapshotRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreSnapshot(argument: _berth_v1_SnapshotRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreSnapshot(argument: _berth_v1_SnapshotRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreSnapshot(argument: _berth_v1_SnapshotRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  UpdateInstance(argument: _berth_v1_UpdateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  UpdateInstance(argument: _berth_v1_UpdateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  UpdateInstance(argument: _berth_v1_UpdateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  UpdateInstance(argument: _berth_v1_UpdateInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  updateInstance(argument: _berth_v1_UpdateInstanceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  updateInstance(argument: _berth_v1_UpdateInstanceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  updateInstance(argument: _berth_v1_UpdateInstanceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  updateInstance(argument: _berth_v1_UpdateInstanceRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface InstanceServiceHandlers extends grpc.UntypedServiceImplementation {
  ChangeState: grpc.handleUnaryCall<_berth_v1_ChangeStateRequest__Output, _berth_v1_OperationResponse>;
  
  ConsoleLog: grpc.handleUnaryCall<_berth_v1_ConsoleLogRequest__Output, _berth_v1_ConsoleLogResponse>;
  
  /**
   * A new instance from another one (its files, config and snapshots), stopped unless asked.
   */
  CopyInstance: grpc.handleUnaryCall<_berth_v1_CopyInstanceRequest__Output, _berth_v1_OperationResponse>;
  
  CreateInstance: grpc.handleUnaryCall<_berth_v1_CreateInstanceRequest__Output, _berth_v1_OperationResponse>;
  
  CreateSnapshot: grpc.handleUnaryCall<_berth_v1_CreateSnapshotRequest__Output, _berth_v1_OperationResponse>;
  
  DeleteInstance: grpc.handleUnaryCall<_berth_v1_DeleteInstanceRequest__Output, _berth_v1_OperationResponse>;
  
  DeleteSnapshot: grpc.handleUnaryCall<_berth_v1_SnapshotRef__Output, _berth_v1_OperationResponse>;
  
  Exec: grpc.handleBidiStreamingCall<_berth_v1_ExecInput__Output, _berth_v1_ExecOutput>;
  
  GetInstance: grpc.handleUnaryCall<_berth_v1_GetInstanceRequest__Output, _berth_v1_Instance>;
  
  GetInstanceState: grpc.handleUnaryCall<_berth_v1_GetInstanceRequest__Output, _berth_v1_InstanceState>;
  
  ListInstances: grpc.handleUnaryCall<_berth_v1_ListInstancesRequest__Output, _berth_v1_ListInstancesResponse>;
  
  ListSnapshots: grpc.handleUnaryCall<_berth_v1_ListSnapshotsRequest__Output, _berth_v1_ListSnapshotsResponse>;
  
  /**
   * Moves an instance to another member (cold: a running one is stopped, moved, started).
   */
  MoveInstance: grpc.handleUnaryCall<_berth_v1_MoveInstanceRequest__Output, _berth_v1_OperationResponse>;
  
  RenameInstance: grpc.handleUnaryCall<_berth_v1_RenameInstanceRequest__Output, _berth_v1_OperationResponse>;
  
  RestoreSnapshot: grpc.handleUnaryCall<_berth_v1_SnapshotRef__Output, _berth_v1_OperationResponse>;
  
  UpdateInstance: grpc.handleUnaryCall<_berth_v1_UpdateInstanceRequest__Output, _berth_v1_OperationResponse>;
  
}

export interface InstanceServiceDefinition extends grpc.ServiceDefinition {
  ChangeState: MethodDefinition<_berth_v1_ChangeStateRequest, _berth_v1_OperationResponse, _berth_v1_ChangeStateRequest__Output, _berth_v1_OperationResponse__Output>
  ConsoleLog: MethodDefinition<_berth_v1_ConsoleLogRequest, _berth_v1_ConsoleLogResponse, _berth_v1_ConsoleLogRequest__Output, _berth_v1_ConsoleLogResponse__Output>
  CopyInstance: MethodDefinition<_berth_v1_CopyInstanceRequest, _berth_v1_OperationResponse, _berth_v1_CopyInstanceRequest__Output, _berth_v1_OperationResponse__Output>
  CreateInstance: MethodDefinition<_berth_v1_CreateInstanceRequest, _berth_v1_OperationResponse, _berth_v1_CreateInstanceRequest__Output, _berth_v1_OperationResponse__Output>
  CreateSnapshot: MethodDefinition<_berth_v1_CreateSnapshotRequest, _berth_v1_OperationResponse, _berth_v1_CreateSnapshotRequest__Output, _berth_v1_OperationResponse__Output>
  DeleteInstance: MethodDefinition<_berth_v1_DeleteInstanceRequest, _berth_v1_OperationResponse, _berth_v1_DeleteInstanceRequest__Output, _berth_v1_OperationResponse__Output>
  DeleteSnapshot: MethodDefinition<_berth_v1_SnapshotRef, _berth_v1_OperationResponse, _berth_v1_SnapshotRef__Output, _berth_v1_OperationResponse__Output>
  Exec: MethodDefinition<_berth_v1_ExecInput, _berth_v1_ExecOutput, _berth_v1_ExecInput__Output, _berth_v1_ExecOutput__Output>
  GetInstance: MethodDefinition<_berth_v1_GetInstanceRequest, _berth_v1_Instance, _berth_v1_GetInstanceRequest__Output, _berth_v1_Instance__Output>
  GetInstanceState: MethodDefinition<_berth_v1_GetInstanceRequest, _berth_v1_InstanceState, _berth_v1_GetInstanceRequest__Output, _berth_v1_InstanceState__Output>
  ListInstances: MethodDefinition<_berth_v1_ListInstancesRequest, _berth_v1_ListInstancesResponse, _berth_v1_ListInstancesRequest__Output, _berth_v1_ListInstancesResponse__Output>
  ListSnapshots: MethodDefinition<_berth_v1_ListSnapshotsRequest, _berth_v1_ListSnapshotsResponse, _berth_v1_ListSnapshotsRequest__Output, _berth_v1_ListSnapshotsResponse__Output>
  MoveInstance: MethodDefinition<_berth_v1_MoveInstanceRequest, _berth_v1_OperationResponse, _berth_v1_MoveInstanceRequest__Output, _berth_v1_OperationResponse__Output>
  RenameInstance: MethodDefinition<_berth_v1_RenameInstanceRequest, _berth_v1_OperationResponse, _berth_v1_RenameInstanceRequest__Output, _berth_v1_OperationResponse__Output>
  RestoreSnapshot: MethodDefinition<_berth_v1_SnapshotRef, _berth_v1_OperationResponse, _berth_v1_SnapshotRef__Output, _berth_v1_OperationResponse__Output>
  UpdateInstance: MethodDefinition<_berth_v1_UpdateInstanceRequest, _berth_v1_OperationResponse, _berth_v1_UpdateInstanceRequest__Output, _berth_v1_OperationResponse__Output>
}
