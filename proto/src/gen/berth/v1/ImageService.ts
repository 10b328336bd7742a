// Original file: proto/berth/v1/images.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AliasRequest as _berth_v1_AliasRequest, AliasRequest__Output as _berth_v1_AliasRequest__Output } from '../../berth/v1/AliasRequest';
import type { ExportImageChunk as _berth_v1_ExportImageChunk, ExportImageChunk__Output as _berth_v1_ExportImageChunk__Output } from '../../berth/v1/ExportImageChunk';
import type { Image as _berth_v1_Image, Image__Output as _berth_v1_Image__Output } from '../../berth/v1/Image';
import type { ImageRef as _berth_v1_ImageRef, ImageRef__Output as _berth_v1_ImageRef__Output } from '../../berth/v1/ImageRef';
import type { ImportImageChunk as _berth_v1_ImportImageChunk, ImportImageChunk__Output as _berth_v1_ImportImageChunk__Output } from '../../berth/v1/ImportImageChunk';
import type { ListImagesRequest as _berth_v1_ListImagesRequest, ListImagesRequest__Output as _berth_v1_ListImagesRequest__Output } from '../../berth/v1/ListImagesRequest';
import type { ListImagesResponse as _berth_v1_ListImagesResponse, ListImagesResponse__Output as _berth_v1_ListImagesResponse__Output } from '../../berth/v1/ListImagesResponse';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from '../../berth/v1/OperationResponse';
import type { PublishRequest as _berth_v1_PublishRequest, PublishRequest__Output as _berth_v1_PublishRequest__Output } from '../../berth/v1/PublishRequest';

export interface ImageServiceClient extends grpc.Client {
  CreateAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  CreateAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  CreateAlias(argument: _berth_v1_AliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  CreateAlias(argument: _berth_v1_AliasRequest, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  createAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  createAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  createAlias(argument: _berth_v1_AliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  createAlias(argument: _berth_v1_AliasRequest, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  
  DeleteAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  DeleteAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  DeleteAlias(argument: _berth_v1_AliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  DeleteAlias(argument: _berth_v1_AliasRequest, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  deleteAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  deleteAlias(argument: _berth_v1_AliasRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  deleteAlias(argument: _berth_v1_AliasRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  deleteAlias(argument: _berth_v1_AliasRequest, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  
  DeleteImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteImage(argument: _berth_v1_ImageRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  DeleteImage(argument: _berth_v1_ImageRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteImage(argument: _berth_v1_ImageRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  deleteImage(argument: _berth_v1_ImageRef, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
  ExportImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_ExportImageChunk__Output>;
  ExportImage(argument: _berth_v1_ImageRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_ExportImageChunk__Output>;
  exportImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_ExportImageChunk__Output>;
  exportImage(argument: _berth_v1_ImageRef, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_ExportImageChunk__Output>;
  
  GetImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _berth_v1_ImageRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  GetImage(argument: _berth_v1_ImageRef, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _berth_v1_ImageRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _berth_v1_ImageRef, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  getImage(argument: _berth_v1_ImageRef, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientUnaryCall;
  
  ImportImage(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  ImportImage(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  ImportImage(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  ImportImage(callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  importImage(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  importImage(metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  importImage(options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  importImage(callback: grpc.requestCallback<_berth_v1_Image__Output>): grpc.ClientWritableStream<_berth_v1_ImportImageChunk>;
  
  ListImages(argument: _berth_v1_ListImagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  ListImages(argument: _berth_v1_ListImagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  ListImages(argument: _berth_v1_ListImagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  ListImages(argument: _berth_v1_ListImagesRequest, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  listImages(argument: _berth_v1_ListImagesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  listImages(argument: _berth_v1_ListImagesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  listImages(argument: _berth_v1_ListImagesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  listImages(argument: _berth_v1_ListImagesRequest, callback: grpc.requestCallback<_berth_v1_ListImagesResponse__Output>): grpc.ClientUnaryCall;
  
  PublishImage(argument: _berth_v1_PublishRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  PublishImage(argument: _berth_v1_PublishRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  PublishImage(argument: _berth_v1_PublishRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  PublishImage(argument: _berth_v1_PublishRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  publishImage(argument: _berth_v1_PublishRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  publishImage(argument: _berth_v1_PublishRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  publishImage(argument: _berth_v1_PublishRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  publishImage(argument: _berth_v1_PublishRequest, callback: grpc.requestCallback<_berth_v1_OperationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ImageServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateAlias: grpc.handleUnaryCall<_berth_v1_AliasRequest__Output, _berth_v1_Image>;
  
  DeleteAlias: grpc.handleUnaryCall<_berth_v1_AliasRequest__Output, _berth_v1_Image>;
  
  DeleteImage: grpc.handleUnaryCall<_berth_v1_ImageRef__Output, _berth_v1_OperationResponse>;
  
  ExportImage: grpc.handleServerStreamingCall<_berth_v1_ImageRef__Output, _berth_v1_ExportImageChunk>;
  
  GetImage: grpc.handleUnaryCall<_berth_v1_ImageRef__Output, _berth_v1_Image>;
  
  ImportImage: grpc.handleClientStreamingCall<_berth_v1_ImportImageChunk__Output, _berth_v1_Image>;
  
  ListImages: grpc.handleUnaryCall<_berth_v1_ListImagesRequest__Output, _berth_v1_ListImagesResponse>;
  
  PublishImage: grpc.handleUnaryCall<_berth_v1_PublishRequest__Output, _berth_v1_OperationResponse>;
  
}

export interface ImageServiceDefinition extends grpc.ServiceDefinition {
  CreateAlias: MethodDefinition<_berth_v1_AliasRequest, _berth_v1_Image, _berth_v1_AliasRequest__Output, _berth_v1_Image__Output>
  DeleteAlias: MethodDefinition<_berth_v1_AliasRequest, _berth_v1_Image, _berth_v1_AliasRequest__Output, _berth_v1_Image__Output>
  DeleteImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_OperationResponse, _berth_v1_ImageRef__Output, _berth_v1_OperationResponse__Output>
  ExportImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_ExportImageChunk, _berth_v1_ImageRef__Output, _berth_v1_ExportImageChunk__Output>
  GetImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_Image, _berth_v1_ImageRef__Output, _berth_v1_Image__Output>
  ImportImage: MethodDefinition<_berth_v1_ImportImageChunk, _berth_v1_Image, _berth_v1_ImportImageChunk__Output, _berth_v1_Image__Output>
  ListImages: MethodDefinition<_berth_v1_ListImagesRequest, _berth_v1_ListImagesResponse, _berth_v1_ListImagesRequest__Output, _berth_v1_ListImagesResponse__Output>
  PublishImage: MethodDefinition<_berth_v1_PublishRequest, _berth_v1_OperationResponse, _berth_v1_PublishRequest__Output, _berth_v1_OperationResponse__Output>
}
