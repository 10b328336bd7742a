import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { CancelOperationRequest as _berth_v1_CancelOperationRequest, CancelOperationRequest__Output as _berth_v1_CancelOperationRequest__Output } from './berth/v1/CancelOperationRequest';
import type { CgroupInfo as _berth_v1_CgroupInfo, CgroupInfo__Output as _berth_v1_CgroupInfo__Output } from './berth/v1/CgroupInfo';
import type { ChangeStateRequest as _berth_v1_ChangeStateRequest, ChangeStateRequest__Output as _berth_v1_ChangeStateRequest__Output } from './berth/v1/ChangeStateRequest';
import type { ClusterJoinClient as _berth_v1_ClusterJoinClient, ClusterJoinDefinition as _berth_v1_ClusterJoinDefinition } from './berth/v1/ClusterJoin';
import type { ClusterServiceClient as _berth_v1_ClusterServiceClient, ClusterServiceDefinition as _berth_v1_ClusterServiceDefinition } from './berth/v1/ClusterService';
import type { ConfigMap as _berth_v1_ConfigMap, ConfigMap__Output as _berth_v1_ConfigMap__Output } from './berth/v1/ConfigMap';
import type { ConsoleLogRequest as _berth_v1_ConsoleLogRequest, ConsoleLogRequest__Output as _berth_v1_ConsoleLogRequest__Output } from './berth/v1/ConsoleLogRequest';
import type { ConsoleLogResponse as _berth_v1_ConsoleLogResponse, ConsoleLogResponse__Output as _berth_v1_ConsoleLogResponse__Output } from './berth/v1/ConsoleLogResponse';
import type { CopyInstanceRequest as _berth_v1_CopyInstanceRequest, CopyInstanceRequest__Output as _berth_v1_CopyInstanceRequest__Output } from './berth/v1/CopyInstanceRequest';
import type { CreateInstanceRequest as _berth_v1_CreateInstanceRequest, CreateInstanceRequest__Output as _berth_v1_CreateInstanceRequest__Output } from './berth/v1/CreateInstanceRequest';
import type { CreateSnapshotRequest as _berth_v1_CreateSnapshotRequest, CreateSnapshotRequest__Output as _berth_v1_CreateSnapshotRequest__Output } from './berth/v1/CreateSnapshotRequest';
import type { CriuInfo as _berth_v1_CriuInfo, CriuInfo__Output as _berth_v1_CriuInfo__Output } from './berth/v1/CriuInfo';
import type { DeleteInstanceRequest as _berth_v1_DeleteInstanceRequest, DeleteInstanceRequest__Output as _berth_v1_DeleteInstanceRequest__Output } from './berth/v1/DeleteInstanceRequest';
import type { Empty as _berth_v1_Empty, Empty__Output as _berth_v1_Empty__Output } from './berth/v1/Empty';
import type { EvacuateRequest as _berth_v1_EvacuateRequest, EvacuateRequest__Output as _berth_v1_EvacuateRequest__Output } from './berth/v1/EvacuateRequest';
import type { Event as _berth_v1_Event, Event__Output as _berth_v1_Event__Output } from './berth/v1/Event';
import type { EventServiceClient as _berth_v1_EventServiceClient, EventServiceDefinition as _berth_v1_EventServiceDefinition } from './berth/v1/EventService';
import type { ExecInput as _berth_v1_ExecInput, ExecInput__Output as _berth_v1_ExecInput__Output } from './berth/v1/ExecInput';
import type { ExecOutput as _berth_v1_ExecOutput, ExecOutput__Output as _berth_v1_ExecOutput__Output } from './berth/v1/ExecOutput';
import type { ExecStart as _berth_v1_ExecStart, ExecStart__Output as _berth_v1_ExecStart__Output } from './berth/v1/ExecStart';
import type { Feature as _berth_v1_Feature, Feature__Output as _berth_v1_Feature__Output } from './berth/v1/Feature';
import type { GetInstanceRequest as _berth_v1_GetInstanceRequest, GetInstanceRequest__Output as _berth_v1_GetInstanceRequest__Output } from './berth/v1/GetInstanceRequest';
import type { GetOperationRequest as _berth_v1_GetOperationRequest, GetOperationRequest__Output as _berth_v1_GetOperationRequest__Output } from './berth/v1/GetOperationRequest';
import type { GetServerInfoRequest as _berth_v1_GetServerInfoRequest, GetServerInfoRequest__Output as _berth_v1_GetServerInfoRequest__Output } from './berth/v1/GetServerInfoRequest';
import type { HostCapabilities as _berth_v1_HostCapabilities, HostCapabilities__Output as _berth_v1_HostCapabilities__Output } from './berth/v1/HostCapabilities';
import type { Instance as _berth_v1_Instance, Instance__Output as _berth_v1_Instance__Output } from './berth/v1/Instance';
import type { InstanceServiceClient as _berth_v1_InstanceServiceClient, InstanceServiceDefinition as _berth_v1_InstanceServiceDefinition } from './berth/v1/InstanceService';
import type { InstanceState as _berth_v1_InstanceState, InstanceState__Output as _berth_v1_InstanceState__Output } from './berth/v1/InstanceState';
import type { JoinPeer as _berth_v1_JoinPeer, JoinPeer__Output as _berth_v1_JoinPeer__Output } from './berth/v1/JoinPeer';
import type { JoinRequest as _berth_v1_JoinRequest, JoinRequest__Output as _berth_v1_JoinRequest__Output } from './berth/v1/JoinRequest';
import type { JoinResponse as _berth_v1_JoinResponse, JoinResponse__Output as _berth_v1_JoinResponse__Output } from './berth/v1/JoinResponse';
import type { JoinToken as _berth_v1_JoinToken, JoinToken__Output as _berth_v1_JoinToken__Output } from './berth/v1/JoinToken';
import type { ListInstancesRequest as _berth_v1_ListInstancesRequest, ListInstancesRequest__Output as _berth_v1_ListInstancesRequest__Output } from './berth/v1/ListInstancesRequest';
import type { ListInstancesResponse as _berth_v1_ListInstancesResponse, ListInstancesResponse__Output as _berth_v1_ListInstancesResponse__Output } from './berth/v1/ListInstancesResponse';
import type { ListMemberGroupsRequest as _berth_v1_ListMemberGroupsRequest, ListMemberGroupsRequest__Output as _berth_v1_ListMemberGroupsRequest__Output } from './berth/v1/ListMemberGroupsRequest';
import type { ListMemberGroupsResponse as _berth_v1_ListMemberGroupsResponse, ListMemberGroupsResponse__Output as _berth_v1_ListMemberGroupsResponse__Output } from './berth/v1/ListMemberGroupsResponse';
import type { ListMembersRequest as _berth_v1_ListMembersRequest, ListMembersRequest__Output as _berth_v1_ListMembersRequest__Output } from './berth/v1/ListMembersRequest';
import type { ListMembersResponse as _berth_v1_ListMembersResponse, ListMembersResponse__Output as _berth_v1_ListMembersResponse__Output } from './berth/v1/ListMembersResponse';
import type { ListOperationsRequest as _berth_v1_ListOperationsRequest, ListOperationsRequest__Output as _berth_v1_ListOperationsRequest__Output } from './berth/v1/ListOperationsRequest';
import type { ListOperationsResponse as _berth_v1_ListOperationsResponse, ListOperationsResponse__Output as _berth_v1_ListOperationsResponse__Output } from './berth/v1/ListOperationsResponse';
import type { ListSnapshotsRequest as _berth_v1_ListSnapshotsRequest, ListSnapshotsRequest__Output as _berth_v1_ListSnapshotsRequest__Output } from './berth/v1/ListSnapshotsRequest';
import type { ListSnapshotsResponse as _berth_v1_ListSnapshotsResponse, ListSnapshotsResponse__Output as _berth_v1_ListSnapshotsResponse__Output } from './berth/v1/ListSnapshotsResponse';
import type { Member as _berth_v1_Member, Member__Output as _berth_v1_Member__Output } from './berth/v1/Member';
import type { MemberGroup as _berth_v1_MemberGroup, MemberGroup__Output as _berth_v1_MemberGroup__Output } from './berth/v1/MemberGroup';
import type { MemberGroupRef as _berth_v1_MemberGroupRef, MemberGroupRef__Output as _berth_v1_MemberGroupRef__Output } from './berth/v1/MemberGroupRef';
import type { MemberGroupsChange as _berth_v1_MemberGroupsChange, MemberGroupsChange__Output as _berth_v1_MemberGroupsChange__Output } from './berth/v1/MemberGroupsChange';
import type { MemberRef as _berth_v1_MemberRef, MemberRef__Output as _berth_v1_MemberRef__Output } from './berth/v1/MemberRef';
import type { MemberRolesChange as _berth_v1_MemberRolesChange, MemberRolesChange__Output as _berth_v1_MemberRolesChange__Output } from './berth/v1/MemberRolesChange';
import type { MoveInstanceRequest as _berth_v1_MoveInstanceRequest, MoveInstanceRequest__Output as _berth_v1_MoveInstanceRequest__Output } from './berth/v1/MoveInstanceRequest';
import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from './berth/v1/Operation';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from './berth/v1/OperationResponse';
import type { OperationServiceClient as _berth_v1_OperationServiceClient, OperationServiceDefinition as _berth_v1_OperationServiceDefinition } from './berth/v1/OperationService';
import type { RenameInstanceRequest as _berth_v1_RenameInstanceRequest, RenameInstanceRequest__Output as _berth_v1_RenameInstanceRequest__Output } from './berth/v1/RenameInstanceRequest';
import type { ServerInfo as _berth_v1_ServerInfo, ServerInfo__Output as _berth_v1_ServerInfo__Output } from './berth/v1/ServerInfo';
import type { ServerServiceClient as _berth_v1_ServerServiceClient, ServerServiceDefinition as _berth_v1_ServerServiceDefinition } from './berth/v1/ServerService';
import type { Snapshot as _berth_v1_Snapshot, Snapshot__Output as _berth_v1_Snapshot__Output } from './berth/v1/Snapshot';
import type { SnapshotRef as _berth_v1_SnapshotRef, SnapshotRef__Output as _berth_v1_SnapshotRef__Output } from './berth/v1/SnapshotRef';
import type { ToolInfo as _berth_v1_ToolInfo, ToolInfo__Output as _berth_v1_ToolInfo__Output } from './berth/v1/ToolInfo';
import type { UpdateInstanceRequest as _berth_v1_UpdateInstanceRequest, UpdateInstanceRequest__Output as _berth_v1_UpdateInstanceRequest__Output } from './berth/v1/UpdateInstanceRequest';
import type { WatchEventsRequest as _berth_v1_WatchEventsRequest, WatchEventsRequest__Output as _berth_v1_WatchEventsRequest__Output } from './berth/v1/WatchEventsRequest';
import type { WindowSize as _berth_v1_WindowSize, WindowSize__Output as _berth_v1_WindowSize__Output } from './berth/v1/WindowSize';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      CancelOperationRequest: MessageTypeDefinition<_berth_v1_CancelOperationRequest, _berth_v1_CancelOperationRequest__Output>
      CgroupInfo: MessageTypeDefinition<_berth_v1_CgroupInfo, _berth_v1_CgroupInfo__Output>
      ChangeStateRequest: MessageTypeDefinition<_berth_v1_ChangeStateRequest, _berth_v1_ChangeStateRequest__Output>
      ClusterJoin: SubtypeConstructor<typeof grpc.Client, _berth_v1_ClusterJoinClient> & { service: _berth_v1_ClusterJoinDefinition }
      ClusterService: SubtypeConstructor<typeof grpc.Client, _berth_v1_ClusterServiceClient> & { service: _berth_v1_ClusterServiceDefinition }
      ConfigMap: MessageTypeDefinition<_berth_v1_ConfigMap, _berth_v1_ConfigMap__Output>
      ConsoleLogRequest: MessageTypeDefinition<_berth_v1_ConsoleLogRequest, _berth_v1_ConsoleLogRequest__Output>
      ConsoleLogResponse: MessageTypeDefinition<_berth_v1_ConsoleLogResponse, _berth_v1_ConsoleLogResponse__Output>
      CopyInstanceRequest: MessageTypeDefinition<_berth_v1_CopyInstanceRequest, _berth_v1_CopyInstanceRequest__Output>
      CreateInstanceRequest: MessageTypeDefinition<_berth_v1_CreateInstanceRequest, _berth_v1_CreateInstanceRequest__Output>
      CreateSnapshotRequest: MessageTypeDefinition<_berth_v1_CreateSnapshotRequest, _berth_v1_CreateSnapshotRequest__Output>
      CriuInfo: MessageTypeDefinition<_berth_v1_CriuInfo, _berth_v1_CriuInfo__Output>
      DeleteInstanceRequest: MessageTypeDefinition<_berth_v1_DeleteInstanceRequest, _berth_v1_DeleteInstanceRequest__Output>
      Empty: MessageTypeDefinition<_berth_v1_Empty, _berth_v1_Empty__Output>
      EvacuateRequest: MessageTypeDefinition<_berth_v1_EvacuateRequest, _berth_v1_EvacuateRequest__Output>
      Event: MessageTypeDefinition<_berth_v1_Event, _berth_v1_Event__Output>
      EventService: SubtypeConstructor<typeof grpc.Client, _berth_v1_EventServiceClient> & { service: _berth_v1_EventServiceDefinition }
      ExecInput: MessageTypeDefinition<_berth_v1_ExecInput, _berth_v1_ExecInput__Output>
      ExecOutput: MessageTypeDefinition<_berth_v1_ExecOutput, _berth_v1_ExecOutput__Output>
      ExecStart: MessageTypeDefinition<_berth_v1_ExecStart, _berth_v1_ExecStart__Output>
      Feature: MessageTypeDefinition<_berth_v1_Feature, _berth_v1_Feature__Output>
      GetInstanceRequest: MessageTypeDefinition<_berth_v1_GetInstanceRequest, _berth_v1_GetInstanceRequest__Output>
      GetOperationRequest: MessageTypeDefinition<_berth_v1_GetOperationRequest, _berth_v1_GetOperationRequest__Output>
      GetServerInfoRequest: MessageTypeDefinition<_berth_v1_GetServerInfoRequest, _berth_v1_GetServerInfoRequest__Output>
      HostCapabilities: MessageTypeDefinition<_berth_v1_HostCapabilities, _berth_v1_HostCapabilities__Output>
      Instance: MessageTypeDefinition<_berth_v1_Instance, _berth_v1_Instance__Output>
      InstanceService: SubtypeConstructor<typeof grpc.Client, _berth_v1_InstanceServiceClient> & { service: _berth_v1_InstanceServiceDefinition }
      InstanceState: MessageTypeDefinition<_berth_v1_InstanceState, _berth_v1_InstanceState__Output>
      JoinPeer: MessageTypeDefinition<_berth_v1_JoinPeer, _berth_v1_JoinPeer__Output>
      JoinRequest: MessageTypeDefinition<_berth_v1_JoinRequest, _berth_v1_JoinRequest__Output>
      JoinResponse: MessageTypeDefinition<_berth_v1_JoinResponse, _berth_v1_JoinResponse__Output>
      JoinToken: MessageTypeDefinition<_berth_v1_JoinToken, _berth_v1_JoinToken__Output>
      ListInstancesRequest: MessageTypeDefinition<_berth_v1_ListInstancesRequest, _berth_v1_ListInstancesRequest__Output>
      ListInstancesResponse: MessageTypeDefinition<_berth_v1_ListInstancesResponse, _berth_v1_ListInstancesResponse__Output>
      ListMemberGroupsRequest: MessageTypeDefinition<_berth_v1_ListMemberGroupsRequest, _berth_v1_ListMemberGroupsRequest__Output>
      ListMemberGroupsResponse: MessageTypeDefinition<_berth_v1_ListMemberGroupsResponse, _berth_v1_ListMemberGroupsResponse__Output>
      ListMembersRequest: MessageTypeDefinition<_berth_v1_ListMembersRequest, _berth_v1_ListMembersRequest__Output>
      ListMembersResponse: MessageTypeDefinition<_berth_v1_ListMembersResponse, _berth_v1_ListMembersResponse__Output>
      ListOperationsRequest: MessageTypeDefinition<_berth_v1_ListOperationsRequest, _berth_v1_ListOperationsRequest__Output>
      ListOperationsResponse: MessageTypeDefinition<_berth_v1_ListOperationsResponse, _berth_v1_ListOperationsResponse__Output>
      ListSnapshotsRequest: MessageTypeDefinition<_berth_v1_ListSnapshotsRequest, _berth_v1_ListSnapshotsRequest__Output>
      ListSnapshotsResponse: MessageTypeDefinition<_berth_v1_ListSnapshotsResponse, _berth_v1_ListSnapshotsResponse__Output>
      Member: MessageTypeDefinition<_berth_v1_Member, _berth_v1_Member__Output>
      MemberGroup: MessageTypeDefinition<_berth_v1_MemberGroup, _berth_v1_MemberGroup__Output>
      MemberGroupRef: MessageTypeDefinition<_berth_v1_MemberGroupRef, _berth_v1_MemberGroupRef__Output>
      MemberGroupsChange: MessageTypeDefinition<_berth_v1_MemberGroupsChange, _berth_v1_MemberGroupsChange__Output>
      MemberRef: MessageTypeDefinition<_berth_v1_MemberRef, _berth_v1_MemberRef__Output>
      MemberRolesChange: MessageTypeDefinition<_berth_v1_MemberRolesChange, _berth_v1_MemberRolesChange__Output>
      MoveInstanceRequest: MessageTypeDefinition<_berth_v1_MoveInstanceRequest, _berth_v1_MoveInstanceRequest__Output>
      Operation: MessageTypeDefinition<_berth_v1_Operation, _berth_v1_Operation__Output>
      OperationResponse: MessageTypeDefinition<_berth_v1_OperationResponse, _berth_v1_OperationResponse__Output>
      OperationService: SubtypeConstructor<typeof grpc.Client, _berth_v1_OperationServiceClient> & { service: _berth_v1_OperationServiceDefinition }
      RenameInstanceRequest: MessageTypeDefinition<_berth_v1_RenameInstanceRequest, _berth_v1_RenameInstanceRequest__Output>
      ServerInfo: MessageTypeDefinition<_berth_v1_ServerInfo, _berth_v1_ServerInfo__Output>
      ServerService: SubtypeConstructor<typeof grpc.Client, _berth_v1_ServerServiceClient> & { service: _berth_v1_ServerServiceDefinition }
      Snapshot: MessageTypeDefinition<_berth_v1_Snapshot, _berth_v1_Snapshot__Output>
      SnapshotRef: MessageTypeDefinition<_berth_v1_SnapshotRef, _berth_v1_SnapshotRef__Output>
      ToolInfo: MessageTypeDefinition<_berth_v1_ToolInfo, _berth_v1_ToolInfo__Output>
      UpdateInstanceRequest: MessageTypeDefinition<_berth_v1_UpdateInstanceRequest, _berth_v1_UpdateInstanceRequest__Output>
      WatchEventsRequest: MessageTypeDefinition<_berth_v1_WatchEventsRequest, _berth_v1_WatchEventsRequest__Output>
      WindowSize: MessageTypeDefinition<_berth_v1_WindowSize, _berth_v1_WindowSize__Output>
    }
  }
}

