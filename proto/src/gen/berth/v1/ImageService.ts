// Original file: proto/berth/v1/images.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AliasRequest as _berth_v1_AliasRequest, AliasRequest__Output as _berth_v1_AliasRequest__Output } from '../../berth/v1/AliasRequest';
import type { CopyImageProgress as _berth_v1_CopyImageProgress, CopyImageProgress__Output as _berth_v1_CopyImageProgress__Output } from '../../berth/v1/CopyImageProgress';
import type { CopyImageRequest as _berth_v1_CopyImageRequest, CopyImageRequest__Output as _berth_v1_CopyImageRequest__Output } from '../../berth/v1/CopyImageRequest';
import type { ExportImageChunk as _berth_v1_ExportImageChunk, ExportImageChunk__Output as _berth_v1_ExportImageChunk__Output } from '../../berth/v1/ExportImageChunk';
import type { Image as _berth_v1_Image, Image__Output as _berth_v1_Image__Output } from '../../berth/v1/Image';
import type { ImageRef as _berth_v1_ImageRef, ImageRef__Output as _berth_v1_ImageRef__Output } from '../../berth/v1/ImageRef';
import type { ImageSettings as _berth_v1_ImageSettings, ImageSettings__Output as _berth_v1_ImageSettings__Output } from '../../berth/v1/ImageSettings';
import type { ImageSettingsRequest as _berth_v1_ImageSettingsRequest, ImageSettingsRequest__Output as _berth_v1_ImageSettingsRequest__Output } from '../../berth/v1/ImageSettingsRequest';
import type { ImportImageChunk as _berth_v1_ImportImageChunk, ImportImageChunk__Output as _berth_v1_ImportImageChunk__Output } from '../../berth/v1/ImportImageChunk';
import type { ListImagesRequest as _berth_v1_ListImagesRequest, ListImagesRequest__Output as _berth_v1_ListImagesRequest__Output } from '../../berth/v1/ListImagesRequest';
import type { ListImagesResponse as _berth_v1_ListImagesResponse, ListImagesResponse__Output as _berth_v1_ListImagesResponse__Output } from '../../berth/v1/ListImagesResponse';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from '../../berth/v1/OperationResponse';
import type { PublishRequest as _berth_v1_PublishRequest, PublishRequest__Output as _berth_v1_PublishRequest__Output } from '../../berth/v1/PublishRequest';

export interface ImageServiceClient extends grpc.Client {
  CopyImage(argument: _berth_v1_CopyImageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_CopyImageProgress__Output>;
  CopyImage(argument: _berth_v1_CopyImageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_CopyImageProgress__Output>;
  copyImage(argument: _berth_v1_CopyImageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_CopyImageProgress__Output>;
  copyImage(argument: _berth_v1_CopyImageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_berth_v1_CopyImageProgress__Output>;
  
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
  
  ImageSettings(argument: _berth_v1_ImageSettingsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  ImageSettings(argument: _berth_v1_ImageSettingsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  ImageSettings(argument: _berth_v1_ImageSettingsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  ImageSettings(argument: _berth_v1_ImageSettingsRequest, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  imageSettings(argument: _berth_v1_ImageSettingsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  imageSettings(argument: _berth_v1_ImageSettingsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  imageSettings(argument: _berth_v1_ImageSettingsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  imageSettings(argument: _berth_v1_ImageSettingsRequest, callback: grpc.requestCallback<_berth_v1_ImageSettings__Output>): grpc.ClientUnaryCall;
  
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
  CopyImage: grpc.handleServerStreamingCall<_berth_v1_CopyImageRequest__Output, _berth_v1_CopyImageProgress>;
  
  CreateAlias: grpc.handleUnaryCall<_berth_v1_AliasRequest__Output, _berth_v1_Image>;
  
  DeleteAlias: grpc.handleUnaryCall<_berth_v1_AliasRequest__Output, _berth_v1_Image>;
  
  DeleteImage: grpc.handleUnaryCall<_berth_v1_ImageRef__Output, _berth_v1_OperationResponse>;
  
  ExportImage: grpc.handleServerStreamingCall<_berth_v1_ImageRef__Output, _berth_v1_ExportImageChunk>;
  
  GetImage: grpc.handleUnaryCall<_berth_v1_ImageRef__Output, _berth_v1_Image>;
  
  ImageSettings: grpc.handleUnaryCall<_berth_v1_ImageSettingsRequest__Output, _berth_v1_ImageSettings>;
  
  ImportImage: grpc.handleClientStreamingCall<_berth_v1_ImportImageChunk__Output, _berth_v1_Image>;
  
  ListImages: grpc.handleUnaryCall<_berth_v1_ListImagesRequest__Output, _berth_v1_ListImagesResponse>;
  
  PublishImage: grpc.handleUnaryCall<_berth_v1_PublishRequest__Output, _berth_v1_OperationResponse>;
  
}

export interface ImageServiceDefinition extends grpc.ServiceDefinition {
  CopyImage: MethodDefinition<_berth_v1_CopyImageRequest, _berth_v1_CopyImageProgress, _berth_v1_CopyImageRequest__Output, _berth_v1_CopyImageProgress__Output>
  CreateAlias: MethodDefinition<_berth_v1_AliasRequest, _berth_v1_Image, _berth_v1_AliasRequest__Output, _berth_v1_Image__Output>
  DeleteAlias: MethodDefinition<_berth_v1_AliasRequest, _berth_v1_Image, _berth_v1_AliasRequest__Output, _berth_v1_Image__Output>
  DeleteImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_OperationResponse, _berth_v1_ImageRef__Output, _berth_v1_OperationResponse__Output>
  ExportImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_ExportImageChunk, _berth_v1_ImageRef__Output, _berth_v1_ExportImageChunk__Output>
  GetImage: MethodDefinition<_berth_v1_ImageRef, _berth_v1_Image, _berth_v1_ImageRef__Output, _berth_v1_Image__Output>
  ImageSettings: MethodDefinition<_berth_v1_ImageSettingsRequest, _berth_v1_ImageSettings, _berth_v1_ImageSettingsRequest__Output, _berth_v1_ImageSettings__Output>
  ImportImage: MethodDefinition<_berth_v1_ImportImageChunk, _berth_v1_Image, _berth_v1_ImportImageChunk__Output, _berth_v1_Image__Output>
  ListImages: MethodDefinition<_berth_v1_ListImagesRequest, _berth_v1_ListImagesResponse, _berth_v1_ListImagesRequest__Output, _berth_v1_ListImagesResponse__Output>
  PublishImage: MethodDefinition<_berth_v1_PublishRequest, _berth_v1_OperationResponse, _berth_v1_PublishRequest__Output, _berth_v1_OperationResponse__Output>
}
