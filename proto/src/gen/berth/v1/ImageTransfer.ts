// Original file: proto/berth/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DataChunk as _berth_v1_DataChunk, DataChunk__Output as _berth_v1_DataChunk__Output } from '../../berth/v1/DataChunk';
import type { ImageChunkRequest as _berth_v1_ImageChunkRequest, ImageChunkRequest__Output as _berth_v1_ImageChunkRequest__Output } from '../../berth/v1/ImageChunkRequest';
import type { ImageHolding as _berth_v1_ImageHolding, ImageHolding__Output as _berth_v1_ImageHolding__Output } from '../../berth/v1/ImageHolding';

export interface ImageTransferClient extends grpc.Client {
  Fetch(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_DataChunk__Output>;
  Fetch(argument: _berth_v1_ImageChunkRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_DataChunk__Output>;
  fetch(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_DataChunk__Output>;
  fetch(argument: _berth_v1_ImageChunkRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_DataChunk__Output>;
  
  Stat(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  Stat(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  Stat(argument: _berth_v1_ImageChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  Stat(argument: _berth_v1_ImageChunkRequest, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  stat(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  stat(argument: _berth_v1_ImageChunkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  stat(argument: _berth_v1_ImageChunkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  stat(argument: _berth_v1_ImageChunkRequest, callback: grpc.requestCallback<_berth_v1_ImageHolding__Output>): grpc.ClientUnaryCall;
  
}

export interface ImageTransferHandlers extends grpc.UntypedServiceImplementation {
  Fetch: grpc.handleServerStreamingCall<_berth_v1_ImageChunkRequest__Output, _berth_v1_DataChunk>;
  
  Stat: grpc.handleUnaryCall<_berth_v1_ImageChunkRequest__Output, _berth_v1_ImageHolding>;
  
}

export interface ImageTransferDefinition extends grpc.ServiceDefinition {
  Fetch: MethodDefinition<_berth_v1_ImageChunkRequest, _berth_v1_DataChunk, _berth_v1_ImageChunkRequest__Output, _berth_v1_DataChunk__Output>
  Stat: MethodDefinition<_berth_v1_ImageChunkRequest, _berth_v1_ImageHolding, _berth_v1_ImageChunkRequest__Output, _berth_v1_ImageHolding__Output>
}
