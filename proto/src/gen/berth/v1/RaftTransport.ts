// Original file: proto/berth/v1/member.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ForwardBatch as _berth_v1_ForwardBatch, ForwardBatch__Output as _berth_v1_ForwardBatch__Output } from '../../berth/v1/ForwardBatch';
import type { RaftAck as _berth_v1_RaftAck, RaftAck__Output as _berth_v1_RaftAck__Output } from '../../berth/v1/RaftAck';
import type { RaftMessageBatch as _berth_v1_RaftMessageBatch, RaftMessageBatch__Output as _berth_v1_RaftMessageBatch__Output } from '../../berth/v1/RaftMessageBatch';
import type { SnapshotChunk as _berth_v1_SnapshotChunk, SnapshotChunk__Output as _berth_v1_SnapshotChunk__Output } from '../../berth/v1/SnapshotChunk';
import type { SnapshotReceipt as _berth_v1_SnapshotReceipt, SnapshotReceipt__Output as _berth_v1_SnapshotReceipt__Output } from '../../berth/v1/SnapshotReceipt';

export interface RaftTransportClient extends grpc.Client {
  Forward(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output>;
  Forward(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output>;
  forward(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output>;
  forward(options?: grpc.CallOptions): grpc.ClientDuplexStream<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output>;
  
  SendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  SendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  SendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  SendSnapshot(callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  sendSnapshot(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  sendSnapshot(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  sendSnapshot(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  sendSnapshot(callback: grpc.requestCallback<_berth_v1_SnapshotReceipt__Output>): grpc.ClientWritableStream<_berth_v1_SnapshotChunk>;
  
  /**
   * One stream per sending member; batches of messages, ack'd by flow control only.
   */
  Stream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  Stream(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  Stream(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  Stream(callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  /**
   * One stream per sending member; batches of messages, ack'd by flow control only.
   */
  stream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  stream(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  stream(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  stream(callback: grpc.requestCallback<_berth_v1_RaftAck__Output>): grpc.ClientWritableStream<_berth_v1_RaftMessageBatch>;
  
}

export interface RaftTransportHandlers extends grpc.UntypedServiceImplementation {
  Forward: grpc.handleBidiStreamingCall<_berth_v1_ForwardBatch__Output, _berth_v1_ForwardBatch>;
  
  SendSnapshot: grpc.handleClientStreamingCall<_berth_v1_SnapshotChunk__Output, _berth_v1_SnapshotReceipt>;
  
  /**
   * One stream per sending member; batches of messages, ack'd by flow control only.
   */
  Stream: grpc.handleClientStreamingCall<_berth_v1_RaftMessageBatch__Output, _berth_v1_RaftAck>;
  
}

export interface RaftTransportDefinition extends grpc.ServiceDefinition {
  Forward: MethodDefinition<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output, _berth_v1_ForwardBatch__Output>
  SendSnapshot: MethodDefinition<_berth_v1_SnapshotChunk, _berth_v1_SnapshotReceipt, _berth_v1_SnapshotChunk__Output, _berth_v1_SnapshotReceipt__Output>
  Stream: MethodDefinition<_berth_v1_RaftMessageBatch, _berth_v1_RaftAck, _berth_v1_RaftMessageBatch__Output, _berth_v1_RaftAck__Output>
}
