// Original file: proto/berth/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { MembershipCheckRequest as _berth_v1_MembershipCheckRequest, MembershipCheckRequest__Output as _berth_v1_MembershipCheckRequest__Output } from '../../berth/v1/MembershipCheckRequest';
import type { MembershipCheckResponse as _berth_v1_MembershipCheckResponse, MembershipCheckResponse__Output as _berth_v1_MembershipCheckResponse__Output } from '../../berth/v1/MembershipCheckResponse';

/**
 * A member that hears no leader asks its peers whether it is still a member: a peer that
 * knows its certificate answers; one that has it as a removed member's refuses with
 * PERMISSION_DENIED and the trailer `berth-removed` (packages/node-agent/src/cluster/peer-auth.ts).
 */
export interface MembershipClient extends grpc.Client {
  Check(argument: _berth_v1_MembershipCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _berth_v1_MembershipCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _berth_v1_MembershipCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  Check(argument: _berth_v1_MembershipCheckRequest, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _berth_v1_MembershipCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _berth_v1_MembershipCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _berth_v1_MembershipCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  check(argument: _berth_v1_MembershipCheckRequest, callback: grpc.requestCallback<_berth_v1_MembershipCheckResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * A member that hears no leader asks its peers whether it is still a member: a peer that
 * knows its certificate answers; one that has it as a removed member's refuses with
 * PERMISSION_DENIED and the trailer `berth-removed` (packages/node-agent/src/cluster/peer-auth.ts).
 */
export interface MembershipHandlers extends grpc.UntypedServiceImplementation {
  Check: grpc.handleUnaryCall<_berth_v1_MembershipCheckRequest__Output, _berth_v1_MembershipCheckResponse>;
  
}

export interface MembershipDefinition extends grpc.ServiceDefinition {
  Check: MethodDefinition<_berth_v1_MembershipCheckRequest, _berth_v1_MembershipCheckResponse, _berth_v1_MembershipCheckRequest__Output, _berth_v1_MembershipCheckResponse__Output>
}
