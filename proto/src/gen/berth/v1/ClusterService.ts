// Original file: proto/berth/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Empty as _berth_v1_Empty, Empty__Output as _berth_v1_Empty__Output } from '../../berth/v1/Empty';
import type { EvacuateRequest as _berth_v1_EvacuateRequest, EvacuateRequest__Output as _berth_v1_EvacuateRequest__Output } from '../../berth/v1/EvacuateRequest';
import type { JoinToken as _berth_v1_JoinToken, JoinToken__Output as _berth_v1_JoinToken__Output } from '../../berth/v1/JoinToken';
import type { ListMemberGroupsRequest as _berth_v1_ListMemberGroupsRequest, ListMemberGroupsRequest__Output as _berth_v1_ListMemberGroupsRequest__Output } from '../../berth/v1/ListMemberGroupsRequest';
import type { ListMemberGroupsResponse as _berth_v1_ListMemberGroupsResponse, ListMemberGroupsResponse__Output as _berth_v1_ListMemberGroupsResponse__Output } from '../../berth/v1/ListMemberGroupsResponse';
import type { ListMembersRequest as _berth_v1_ListMembersRequest, ListMembersRequest__Output as _berth_v1_ListMembersRequest__Output } from '../../berth/v1/ListMembersRequest';
import type { ListMembersResponse as _berth_v1_ListMembersResponse, ListMembersResponse__Output as _berth_v1_ListMembersResponse__Output } from '../../berth/v1/ListMembersResponse';
import type { Member as _berth_v1_Member, Member__Output as _berth_v1_Member__Output } from '../../berth/v1/Member';
import type { MemberGroup as _berth_v1_MemberGroup, MemberGroup__Output as _berth_v1_MemberGroup__Output } from '../../berth/v1/MemberGroup';
import type { MemberGroupRef as _berth_v1_MemberGroupRef, MemberGroupRef__Output as _berth_v1_MemberGroupRef__Output } from '../../berth/v1/MemberGroupRef';
import type { MemberGroupsChange as _berth_v1_MemberGroupsChange, MemberGroupsChange__Output as _berth_v1_MemberGroupsChange__Output } from '../../berth/v1/MemberGroupsChange';
import type { MemberRef as _berth_v1_MemberRef, MemberRef__Output as _berth_v1_MemberRef__Output } from '../../berth/v1/MemberRef';
import type { MemberRolesChange as _berth_v1_MemberRolesChange, MemberRolesChange__Output as _berth_v1_MemberRolesChange__Output } from '../../berth/v1/MemberRolesChange';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from '../../berth/v1/OperationResponse';

export interface ClusterServiceClient extends grpc.Client {
  ChangeMemberGroups(argument: _berth_v1_MemberGroupsChange, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberGroups(argument: _berth_v1_MemberGroupsChange, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberGroups(argument: _berth_v1_MemberGroupsChange, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberGroups(argument: _berth_v1_MemberGroupsChange, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberGroups(argument: _berth_v1_MemberGroupsChange, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberGroups(argument: _berth_v1_MemberGroupsChange, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberGroups(argument: _berth_v1_MemberGroupsChange, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberGroups(argument: _berth_v1_MemberGroupsChange, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  
  /**
   * Roles an operator gives a member (berth cluster role add|remove); Raft roles are automatic.
   */
  ChangeMemberRoles(argument: _berth_v1_MemberRolesChange, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberRoles(argument: _berth_v1_MemberRolesChange, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberRoles(argument: _berth_v1_MemberRolesChange, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  ChangeMemberRoles(argument: _berth_v1_MemberRolesChange, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  /**
   * Roles an operator gives a member (berth cluster role add|remove); Raft roles are automatic.
   */
  changeMemberRoles(argument: _berth_v1_MemberRolesChange, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberRoles(argument: _berth_v1_MemberRolesChange, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberRoles(argument: _berth_v1_MemberRolesChange, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  changeMemberRoles(argument: _berth_v1_MemberRolesChange, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  
  CreateJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  
  CreateMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  CreateMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  CreateMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  CreateMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  createMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  createMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  createMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  createMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  
  DeleteMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  DeleteMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  DeleteMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  DeleteMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  deleteMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  deleteMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  deleteMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  deleteMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  EvacuateMember(argument: _berth_v1_EvacuateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  EvacuateMember(argument: _berth_v1_EvacuateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  EvacuateMember(argument: _berth_v1_EvacuateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  EvacuateMember(argument: _berth_v1_EvacuateRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  evacuateMember(argument: _berth_v1_EvacuateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  evacuateMember(argument: _berth_v1_EvacuateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  evacuateMember(argument: _berth_v1_EvacuateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  evacuateMember(argument: _berth_v1_EvacuateRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  GetMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  GetMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  GetMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  GetMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  getMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  getMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  getMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  getMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_Member__Output>): grpc.ClientUnaryCall;
  
  GetMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  GetMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  GetMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  GetMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  getMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  getMemberGroup(argument: _berth_v1_MemberGroupRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  getMemberGroup(argument: _berth_v1_MemberGroupRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  getMemberGroup(argument: _berth_v1_MemberGroupRef, callback: grpc.requestCallback<_berth_v1_MemberGroup__Output>): grpc.ClientUnaryCall;
  
  /**
   * Member groups (LXD's cluster groups): `--target @group` places into one. `default`
   * holds every member.
   */
  ListMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  ListMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  ListMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  ListMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Member groups (LXD's cluster groups): `--target @group` places into one. `default`
   * holds every member.
   */
  listMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  listMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  listMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  listMemberGroups(argument: _berth_v1_ListMemberGroupsRequest, callback: grpc.requestCallback<_berth_v1_ListMemberGroupsResponse__Output>): grpc.ClientUnaryCall;
  
  ListMembers(argument: _berth_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _berth_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _berth_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  ListMembers(argument: _berth_v1_ListMembersRequest, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _berth_v1_ListMembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _berth_v1_ListMembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _berth_v1_ListMembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  listMembers(argument: _berth_v1_ListMembersRequest, callback: grpc.requestCallback<_berth_v1_ListMembersResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  RestoreMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  RestoreMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreMember(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreMember(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  restoreMember(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterServiceHandlers extends grpc.UntypedServiceImplementation {
  ChangeMemberGroups: grpc.handleUnaryCall<_berth_v1_MemberGroupsChange__Output, _berth_v1_Member>;
  
  /**
   * Roles an operator gives a member (berth cluster role add|remove); Raft roles are automatic.
   */
  ChangeMemberRoles: grpc.handleUnaryCall<_berth_v1_MemberRolesChange__Output, _berth_v1_Member>;
  
  CreateJoinToken: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_JoinToken>;
  
  CreateMemberGroup: grpc.handleUnaryCall<_berth_v1_MemberGroupRef__Output, _berth_v1_MemberGroup>;
  
  DeleteMemberGroup: grpc.handleUnaryCall<_berth_v1_MemberGroupRef__Output, _berth_v1_Empty>;
  
  EvacuateMember: grpc.handleUnaryCall<_berth_v1_EvacuateRequest__Output, _berth_v1_OperationResponse>;
  
  GetMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_Member>;
  
  GetMemberGroup: grpc.handleUnaryCall<_berth_v1_MemberGroupRef__Output, _berth_v1_MemberGroup>;
  
  /**
   * Member groups (LXD's cluster groups): `--target @group` places into one. `default`
   * holds every member.
   */
  ListMemberGroups: grpc.handleUnaryCall<_berth_v1_ListMemberGroupsRequest__Output, _berth_v1_ListMemberGroupsResponse>;
  
  ListMembers: grpc.handleUnaryCall<_berth_v1_ListMembersRequest__Output, _berth_v1_ListMembersResponse>;
  
  RemoveMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_OperationResponse>;
  
  RestoreMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_OperationResponse>;
  
}

export interface ClusterServiceDefinition extends grpc.ServiceDefinition {
  ChangeMemberGroups: MethodDefinition<_berth_v1_MemberGroupsChange, _berth_v1_Member, _berth_v1_MemberGroupsChange__Output, _berth_v1_Member__Output>
  ChangeMemberRoles: MethodDefinition<_berth_v1_MemberRolesChange, _berth_v1_Member, _berth_v1_MemberRolesChange__Output, _berth_v1_Member__Output>
  CreateJoinToken: MethodDefinition<_berth_v1_MemberRef, _berth_v1_JoinToken, _berth_v1_MemberRef__Output, _berth_v1_JoinToken__Output>
  CreateMemberGroup: MethodDefinition<_berth_v1_MemberGroupRef, _berth_v1_MemberGroup, _berth_v1_MemberGroupRef__Output, _berth_v1_MemberGroup__Output>
  DeleteMemberGroup: MethodDefinition<_berth_v1_MemberGroupRef, _berth_v1_Empty, _berth_v1_MemberGroupRef__Output, _berth_v1_Empty__Output>
  EvacuateMember: MethodDefinition<_berth_v1_EvacuateRequest, _berth_v1_OperationResponse, _berth_v1_EvacuateRequest__Output, _berth_v1_OperationResponse__Output>
  GetMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_Member, _berth_v1_MemberRef__Output, _berth_v1_Member__Output>
  GetMemberGroup: MethodDefinition<_berth_v1_MemberGroupRef, _berth_v1_MemberGroup, _berth_v1_MemberGroupRef__Output, _berth_v1_MemberGroup__Output>
  ListMemberGroups: MethodDefinition<_berth_v1_ListMemberGroupsRequest, _berth_v1_ListMemberGroupsResponse, _berth_v1_ListMemberGroupsRequest__Output, _berth_v1_ListMemberGroupsResponse__Output>
  ListMembers: MethodDefinition<_berth_v1_ListMembersRequest, _berth_v1_ListMembersResponse, _berth_v1_ListMembersRequest__Output, _berth_v1_ListMembersResponse__Output>
  RemoveMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_OperationResponse, _berth_v1_MemberRef__Output, _berth_v1_OperationResponse__Output>
  RestoreMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_OperationResponse, _berth_v1_MemberRef__Output, _berth_v1_OperationResponse__Output>
}
