// Original file: proto/berth/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelOperationRequest as _berth_v1_CancelOperationRequest, CancelOperationRequest__Output as _berth_v1_CancelOperationRequest__Output } from '../../berth/v1/CancelOperationRequest';
import type { GetOperationRequest as _berth_v1_GetOperationRequest, GetOperationRequest__Output as _berth_v1_GetOperationRequest__Output } from '../../berth/v1/GetOperationRequest';
import type { ListOperationsRequest as _berth_v1_ListOperationsRequest, ListOperationsRequest__Output as _berth_v1_ListOperationsRequest__Output } from '../../berth/v1/ListOperationsRequest';
import type { ListOperationsResponse as _berth_v1_ListOperationsResponse, ListOperationsResponse__Output as _berth_v1_ListOperationsResponse__Output } from '../../berth/v1/ListOperationsResponse';
import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from '../../berth/v1/Operation';

export interface OperationServiceClient extends grpc.Client {
  CancelOperation(argument: _berth_v1_CancelOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  CancelOperation(argument: _berth_v1_CancelOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  CancelOperation(argument: _berth_v1_CancelOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  CancelOperation(argument: _berth_v1_CancelOperationRequest, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  cancelOperation(argument: _berth_v1_CancelOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  cancelOperation(argument: _berth_v1_CancelOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  cancelOperation(argument: _berth_v1_CancelOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  cancelOperation(argument: _berth_v1_CancelOperationRequest, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  
  GetOperation(argument: _berth_v1_GetOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  GetOperation(argument: _berth_v1_GetOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  GetOperation(argument: _berth_v1_GetOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  GetOperation(argument: _berth_v1_GetOperationRequest, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  getOperation(argument: _berth_v1_GetOperationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  getOperation(argument: _berth_v1_GetOperationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  getOperation(argument: _berth_v1_GetOperationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  getOperation(argument: _berth_v1_GetOperationRequest, callback: grpc.requestCallback<_berth_v1_Operation__Output>): grpc.ClientUnaryCall;
  
  ListOperations(argument: _berth_v1_ListOperationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  ListOperations(argument: _berth_v1_ListOperationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  ListOperations(argument: _berth_v1_ListOperationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  ListOperations(argument: _berth_v1_ListOperationsRequest, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  listOperations(argument: _berth_v1_ListOperationsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  listOperations(argument: _berth_v1_ListOperationsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  listOperations(argument: _berth_v1_ListOperationsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  listOperations(argument: _berth_v1_ListOperationsRequest, callback: grpc.requestCallback<_berth_v1_ListOperationsResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface OperationServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelOperation: grpc.handleUnaryCall<_berth_v1_CancelOperationRequest__Output, _berth_v1_Operation>;
  
  GetOperation: grpc.handleUnaryCall<_berth_v1_GetOperationRequest__Output, _berth_v1_Operation>;
  
  ListOperations: grpc.handleUnaryCall<_berth_v1_ListOperationsRequest__Output, _berth_v1_ListOperationsResponse>;
  
}

export interface OperationServiceDefinition extends grpc.ServiceDefinition {
  CancelOperation: MethodDefinition<_berth_v1_CancelOperationRequest, _berth_v1_Operation, _berth_v1_CancelOperationRequest__Output, _berth_v1_Operation__Output>
  GetOperation: MethodDefinition<_berth_v1_GetOperationRequest, _berth_v1_Operation, _berth_v1_GetOperationRequest__Output, _berth_v1_Operation__Output>
  ListOperations: MethodDefinition<_berth_v1_ListOperationsRequest, _berth_v1_ListOperationsResponse, _berth_v1_ListOperationsRequest__Output, _berth_v1_ListOperationsResponse__Output>
}
