// Original file: proto/berth/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EvacuateRequest as _berth_v1_EvacuateRequest, EvacuateRequest__Output as _berth_v1_EvacuateRequest__Output } from '../../berth/v1/EvacuateRequest';
import type { JoinToken as _berth_v1_JoinToken, JoinToken__Output as _berth_v1_JoinToken__Output } from '../../berth/v1/JoinToken';
import type { ListMembersRequest as _berth_v1_ListMembersRequest, ListMembersRequest__Output as _berth_v1_ListMembersRequest__Output } from '../../berth/v1/ListMembersRequest';
import type { ListMembersResponse as _berth_v1_ListMembersResponse, ListMembersResponse__Output as _berth_v1_ListMembersResponse__Output } from '../../berth/v1/ListMembersResponse';
import type { Member as _berth_v1_Member, Member__Output as _berth_v1_Member__Output } from '../../berth/v1/Member';
import type { MemberRef as _berth_v1_MemberRef, MemberRef__Output as _berth_v1_MemberRef__Output } from '../../berth/v1/MemberRef';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from '../../berth/v1/OperationResponse';

export interface ClusterServiceClient extends grpc.Client {
  CreateJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  CreateJoinToken(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  createJoinToken(argument: _berth_v1_MemberRef, callback: grpc.requestCallback<_berth_v1_JoinToken__Output>): grpc.ClientUnaryCall;
  
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
  CreateJoinToken: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_JoinToken>;
  
  EvacuateMember: grpc.handleUnaryCall<_berth_v1_EvacuateRequest__Output, _berth_v1_OperationResponse>;
  
  GetMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_Member>;
  
  ListMembers: grpc.handleUnaryCall<_berth_v1_ListMembersRequest__Output, _berth_v1_ListMembersResponse>;
  
  RemoveMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_OperationResponse>;
  
  RestoreMember: grpc.handleUnaryCall<_berth_v1_MemberRef__Output, _berth_v1_OperationResponse>;
  
}

export interface ClusterServiceDefinition extends grpc.ServiceDefinition {
  CreateJoinToken: MethodDefinition<_berth_v1_MemberRef, _berth_v1_JoinToken, _berth_v1_MemberRef__Output, _berth_v1_JoinToken__Output>
  EvacuateMember: MethodDefinition<_berth_v1_EvacuateRequest, _berth_v1_OperationResponse, _berth_v1_EvacuateRequest__Output, _berth_v1_OperationResponse__Output>
  GetMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_Member, _berth_v1_MemberRef__Output, _berth_v1_Member__Output>
  ListMembers: MethodDefinition<_berth_v1_ListMembersRequest, _berth_v1_ListMembersResponse, _berth_v1_ListMembersRequest__Output, _berth_v1_ListMembersResponse__Output>
  RemoveMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_OperationResponse, _berth_v1_MemberRef__Output, _berth_v1_OperationResponse__Output>
  RestoreMember: MethodDefinition<_berth_v1_MemberRef, _berth_v1_OperationResponse, _berth_v1_MemberRef__Output, _berth_v1_OperationResponse__Output>
}
