// Original file: proto/berth/v1/server.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetServerInfoRequest as _berth_v1_GetServerInfoRequest, GetServerInfoRequest__Output as _berth_v1_GetServerInfoRequest__Output } from '../../berth/v1/GetServerInfoRequest';
import type { ServerInfo as _berth_v1_ServerInfo, ServerInfo__Output as _berth_v1_ServerInfo__Output } from '../../berth/v1/ServerInfo';

export interface ServerServiceClient extends grpc.Client {
  GetServerInfo(argument: _berth_v1_GetServerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _berth_v1_GetServerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _berth_v1_GetServerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  GetServerInfo(argument: _berth_v1_GetServerInfoRequest, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _berth_v1_GetServerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _berth_v1_GetServerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _berth_v1_GetServerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  getServerInfo(argument: _berth_v1_GetServerInfoRequest, callback: grpc.requestCallback<_berth_v1_ServerInfo__Output>): grpc.ClientUnaryCall;
  
}

export interface ServerServiceHandlers extends grpc.UntypedServiceImplementation {
  GetServerInfo: grpc.handleUnaryCall<_berth_v1_GetServerInfoRequest__Output, _berth_v1_ServerInfo>;
  
}

export interface ServerServiceDefinition extends grpc.ServiceDefinition {
  GetServerInfo: MethodDefinition<_berth_v1_GetServerInfoRequest, _berth_v1_ServerInfo, _berth_v1_GetServerInfoRequest__Output, _berth_v1_ServerInfo__Output>
}
