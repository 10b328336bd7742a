// Original file: proto/berth/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { JoinRequest as _berth_v1_JoinRequest, JoinRequest__Output as _berth_v1_JoinRequest__Output } from '../../berth/v1/JoinRequest';
import type { JoinResponse as _berth_v1_JoinResponse, JoinResponse__Output as _berth_v1_JoinResponse__Output } from '../../berth/v1/JoinResponse';

export interface ClusterJoinClient extends grpc.Client {
  Join(argument: _berth_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  Join(argument: _berth_v1_JoinRequest, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_v1_JoinRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_v1_JoinRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_v1_JoinRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  join(argument: _berth_v1_JoinRequest, callback: grpc.requestCallback<_berth_v1_JoinResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterJoinHandlers extends grpc.UntypedServiceImplementation {
  Join: grpc.handleUnaryCall<_berth_v1_JoinRequest__Output, _berth_v1_JoinResponse>;
  
}

export interface ClusterJoinDefinition extends grpc.ServiceDefinition {
  Join: MethodDefinition<_berth_v1_JoinRequest, _berth_v1_JoinResponse, _berth_v1_JoinRequest__Output, _berth_v1_JoinResponse__Output>
}
