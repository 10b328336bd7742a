// Original file: proto/berth/v1/store.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { StoreStatus as _berth_v1_StoreStatus, StoreStatus__Output as _berth_v1_StoreStatus__Output } from '../../berth/v1/StoreStatus';
import type { StoreStatusRequest as _berth_v1_StoreStatusRequest, StoreStatusRequest__Output as _berth_v1_StoreStatusRequest__Output } from '../../berth/v1/StoreStatusRequest';

export interface StoreAdminClient extends grpc.Client {
  Status(argument: _berth_v1_StoreStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_v1_StoreStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_v1_StoreStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  Status(argument: _berth_v1_StoreStatusRequest, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_v1_StoreStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_v1_StoreStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_v1_StoreStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  status(argument: _berth_v1_StoreStatusRequest, callback: grpc.requestCallback<_berth_v1_StoreStatus__Output>): grpc.ClientUnaryCall;
  
}

export interface StoreAdminHandlers extends grpc.UntypedServiceImplementation {
  Status: grpc.handleUnaryCall<_berth_v1_StoreStatusRequest__Output, _berth_v1_StoreStatus>;
  
}

export interface StoreAdminDefinition extends grpc.ServiceDefinition {
  Status: MethodDefinition<_berth_v1_StoreStatusRequest, _berth_v1_StoreStatus, _berth_v1_StoreStatusRequest__Output, _berth_v1_StoreStatus__Output>
}
