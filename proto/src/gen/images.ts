import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AliasRequest as _berth_v1_AliasRequest, AliasRequest__Output as _berth_v1_AliasRequest__Output } from './berth/v1/AliasRequest';
import type { ChangeStateRequest as _berth_v1_ChangeStateRequest, ChangeStateRequest__Output as _berth_v1_ChangeStateRequest__Output } from './berth/v1/ChangeStateRequest';
import type { ConfigMap as _berth_v1_ConfigMap, ConfigMap__Output as _berth_v1_ConfigMap__Output } from './berth/v1/ConfigMap';
import type { ConsoleLogRequest as _berth_v1_ConsoleLogRequest, ConsoleLogRequest__Output as _berth_v1_ConsoleLogRequest__Output } from './berth/v1/ConsoleLogRequest';
import type { ConsoleLogResponse as _berth_v1_ConsoleLogResponse, ConsoleLogResponse__Output as _berth_v1_ConsoleLogResponse__Output } from './berth/v1/ConsoleLogResponse';
import type { CopyImageProgress as _berth_v1_CopyImageProgress, CopyImageProgress__Output as _berth_v1_CopyImageProgress__Output } from './berth/v1/CopyImageProgress';
import type { CopyImageRequest as _berth_v1_CopyImageRequest, CopyImageRequest__Output as _berth_v1_CopyImageRequest__Output } from './berth/v1/CopyImageRequest';
import type { CopyInstanceRequest as _berth_v1_CopyInstanceRequest, CopyInstanceRequest__Output as _berth_v1_CopyInstanceRequest__Output } from './berth/v1/CopyInstanceRequest';
import type { CreateInstanceRequest as _berth_v1_CreateInstanceRequest, CreateInstanceRequest__Output as _berth_v1_CreateInstanceRequest__Output } from './berth/v1/CreateInstanceRequest';
import type { CreateSnapshotRequest as _berth_v1_CreateSnapshotRequest, CreateSnapshotRequest__Output as _berth_v1_CreateSnapshotRequest__Output } from './berth/v1/CreateSnapshotRequest';
import type { DeleteInstanceRequest as _berth_v1_DeleteInstanceRequest, DeleteInstanceRequest__Output as _berth_v1_DeleteInstanceRequest__Output } from './berth/v1/DeleteInstanceRequest';
import type { Empty as _berth_v1_Empty, Empty__Output as _berth_v1_Empty__Output } from './berth/v1/Empty';
import type { ExecInput as _berth_v1_ExecInput, ExecInput__Output as _berth_v1_ExecInput__Output } from './berth/v1/ExecInput';
import type { ExecOutput as _berth_v1_ExecOutput, ExecOutput__Output as _berth_v1_ExecOutput__Output } from './berth/v1/ExecOutput';
import type { ExecStart as _berth_v1_ExecStart, ExecStart__Output as _berth_v1_ExecStart__Output } from './berth/v1/ExecStart';
import type { ExportImageChunk as _berth_v1_ExportImageChunk, ExportImageChunk__Output as _berth_v1_ExportImageChunk__Output } from './berth/v1/ExportImageChunk';
import type { GetInstanceRequest as _berth_v1_GetInstanceRequest, GetInstanceRequest__Output as _berth_v1_GetInstanceRequest__Output } from './berth/v1/GetInstanceRequest';
import type { Image as _berth_v1_Image, Image__Output as _berth_v1_Image__Output } from './berth/v1/Image';
import type { ImageRef as _berth_v1_ImageRef, ImageRef__Output as _berth_v1_ImageRef__Output } from './berth/v1/ImageRef';
import type { ImageServiceClient as _berth_v1_ImageServiceClient, ImageServiceDefinition as _berth_v1_ImageServiceDefinition } from './berth/v1/ImageService';
import type { ImageSettings as _berth_v1_ImageSettings, ImageSettings__Output as _berth_v1_ImageSettings__Output } from './berth/v1/ImageSettings';
import type { ImageSettingsRequest as _berth_v1_ImageSettingsRequest, ImageSettingsRequest__Output as _berth_v1_ImageSettingsRequest__Output } from './berth/v1/ImageSettingsRequest';
import type { ImportImageChunk as _berth_v1_ImportImageChunk, ImportImageChunk__Output as _berth_v1_ImportImageChunk__Output } from './berth/v1/ImportImageChunk';
import type { ImportImageHeader as _berth_v1_ImportImageHeader, ImportImageHeader__Output as _berth_v1_ImportImageHeader__Output } from './berth/v1/ImportImageHeader';
import type { Instance as _berth_v1_Instance, Instance__Output as _berth_v1_Instance__Output } from './berth/v1/Instance';
import type { InstanceServiceClient as _berth_v1_InstanceServiceClient, InstanceServiceDefinition as _berth_v1_InstanceServiceDefinition } from './berth/v1/InstanceService';
import type { InstanceState as _berth_v1_InstanceState, InstanceState__Output as _berth_v1_InstanceState__Output } from './berth/v1/InstanceState';
import type { ListImagesRequest as _berth_v1_ListImagesRequest, ListImagesRequest__Output as _berth_v1_ListImagesRequest__Output } from './berth/v1/ListImagesRequest';
import type { ListImagesResponse as _berth_v1_ListImagesResponse, ListImagesResponse__Output as _berth_v1_ListImagesResponse__Output } from './berth/v1/ListImagesResponse';
import type { ListInstancesRequest as _berth_v1_ListInstancesRequest, ListInstancesRequest__Output as _berth_v1_ListInstancesRequest__Output } from './berth/v1/ListInstancesRequest';
import type { ListInstancesResponse as _berth_v1_ListInstancesResponse, ListInstancesResponse__Output as _berth_v1_ListInstancesResponse__Output } from './berth/v1/ListInstancesResponse';
import type { ListSnapshotsRequest as _berth_v1_ListSnapshotsRequest, ListSnapshotsRequest__Output as _berth_v1_ListSnapshotsRequest__Output } from './berth/v1/ListSnapshotsRequest';
import type { ListSnapshotsResponse as _berth_v1_ListSnapshotsResponse, ListSnapshotsResponse__Output as _berth_v1_ListSnapshotsResponse__Output } from './berth/v1/ListSnapshotsResponse';
import type { MoveInstanceRequest as _berth_v1_MoveInstanceRequest, MoveInstanceRequest__Output as _berth_v1_MoveInstanceRequest__Output } from './berth/v1/MoveInstanceRequest';
import type { Operation as _berth_v1_Operation, Operation__Output as _berth_v1_Operation__Output } from './berth/v1/Operation';
import type { OperationResponse as _berth_v1_OperationResponse, OperationResponse__Output as _berth_v1_OperationResponse__Output } from './berth/v1/OperationResponse';
import type { PublishRequest as _berth_v1_PublishRequest, PublishRequest__Output as _berth_v1_PublishRequest__Output } from './berth/v1/PublishRequest';
import type { RenameInstanceRequest as _berth_v1_RenameInstanceRequest, RenameInstanceRequest__Output as _berth_v1_RenameInstanceRequest__Output } from './berth/v1/RenameInstanceRequest';
import type { Snapshot as _berth_v1_Snapshot, Snapshot__Output as _berth_v1_Snapshot__Output } from './berth/v1/Snapshot';
import type { SnapshotRef as _berth_v1_SnapshotRef, SnapshotRef__Output as _berth_v1_SnapshotRef__Output } from './berth/v1/SnapshotRef';
import type { UpdateInstanceRequest as _berth_v1_UpdateInstanceRequest, UpdateInstanceRequest__Output as _berth_v1_UpdateInstanceRequest__Output } from './berth/v1/UpdateInstanceRequest';
import type { WindowSize as _berth_v1_WindowSize, WindowSize__Output as _berth_v1_WindowSize__Output } from './berth/v1/WindowSize';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      AliasRequest: MessageTypeDefinition<_berth_v1_AliasRequest, _berth_v1_AliasRequest__Output>
      ChangeStateRequest: MessageTypeDefinition<_berth_v1_ChangeStateRequest, _berth_v1_ChangeStateRequest__Output>
      ConfigMap: MessageTypeDefinition<_berth_v1_ConfigMap, _berth_v1_ConfigMap__Output>
      ConsoleLogRequest: MessageTypeDefinition<_berth_v1_ConsoleLogRequest, _berth_v1_ConsoleLogRequest__Output>
      ConsoleLogResponse: MessageTypeDefinition<_berth_v1_ConsoleLogResponse, _berth_v1_ConsoleLogResponse__Output>
      CopyImageProgress: MessageTypeDefinition<_berth_v1_CopyImageProgress, _berth_v1_CopyImageProgress__Output>
      CopyImageRequest: MessageTypeDefinition<_berth_v1_CopyImageRequest, _berth_v1_CopyImageRequest__Output>
      CopyInstanceRequest: MessageTypeDefinition<_berth_v1_CopyInstanceRequest, _berth_v1_CopyInstanceRequest__Output>
      CreateInstanceRequest: MessageTypeDefinition<_berth_v1_CreateInstanceRequest, _berth_v1_CreateInstanceRequest__Output>
      CreateSnapshotRequest: MessageTypeDefinition<_berth_v1_CreateSnapshotRequest, _berth_v1_CreateSnapshotRequest__Output>
      DeleteInstanceRequest: MessageTypeDefinition<_berth_v1_DeleteInstanceRequest, _berth_v1_DeleteInstanceRequest__Output>
      Empty: MessageTypeDefinition<_berth_v1_Empty, _berth_v1_Empty__Output>
      ExecInput: MessageTypeDefinition<_berth_v1_ExecInput, _berth_v1_ExecInput__Output>
      ExecOutput: MessageTypeDefinition<_berth_v1_ExecOutput, _berth_v1_ExecOutput__Output>
      ExecStart: MessageTypeDefinition<_berth_v1_ExecStart, _berth_v1_ExecStart__Output>
      ExportImageChunk: MessageTypeDefinition<_berth_v1_ExportImageChunk, _berth_v1_ExportImageChunk__Output>
      GetInstanceRequest: MessageTypeDefinition<_berth_v1_GetInstanceRequest, _berth_v1_GetInstanceRequest__Output>
      Image: MessageTypeDefinition<_berth_v1_Image, _berth_v1_Image__Output>
      ImageRef: MessageTypeDefinition<_berth_v1_ImageRef, _berth_v1_ImageRef__Output>
      ImageService: SubtypeConstructor<typeof grpc.Client, _berth_v1_ImageServiceClient> & { service: _berth_v1_ImageServiceDefinition }
      ImageSettings: MessageTypeDefinition<_berth_v1_ImageSettings, _berth_v1_ImageSettings__Output>
      ImageSettingsRequest: MessageTypeDefinition<_berth_v1_ImageSettingsRequest, _berth_v1_ImageSettingsRequest__Output>
      ImportImageChunk: MessageTypeDefinition<_berth_v1_ImportImageChunk, _berth_v1_ImportImageChunk__Output>
      ImportImageHeader: MessageTypeDefinition<_berth_v1_ImportImageHeader, _berth_v1_ImportImageHeader__Output>
      Instance: MessageTypeDefinition<_berth_v1_Instance, _berth_v1_Instance__Output>
      InstanceService: SubtypeConstructor<typeof grpc.Client, _berth_v1_InstanceServiceClient> & { service: _berth_v1_InstanceServiceDefinition }
      InstanceState: MessageTypeDefinition<_berth_v1_InstanceState, _berth_v1_InstanceState__Output>
      ListImagesRequest: MessageTypeDefinition<_berth_v1_ListImagesRequest, _berth_v1_ListImagesRequest__Output>
      ListImagesResponse: MessageTypeDefinition<_berth_v1_ListImagesResponse, _berth_v1_ListImagesResponse__Output>
      ListInstancesRequest: MessageTypeDefinition<_berth_v1_ListInstancesRequest, _berth_v1_ListInstancesRequest__Output>
      ListInstancesResponse: MessageTypeDefinition<_berth_v1_ListInstancesResponse, _berth_v1_ListInstancesResponse__Output>
      ListSnapshotsRequest: MessageTypeDefinition<_berth_v1_ListSnapshotsRequest, _berth_v1_ListSnapshotsRequest__Output>
      ListSnapshotsResponse: MessageTypeDefinition<_berth_v1_ListSnapshotsResponse, _berth_v1_ListSnapshotsResponse__Output>
      MoveInstanceRequest: MessageTypeDefinition<_berth_v1_MoveInstanceRequest, _berth_v1_MoveInstanceRequest__Output>
      Operation: MessageTypeDefinition<_berth_v1_Operation, _berth_v1_Operation__Output>
      OperationResponse: MessageTypeDefinition<_berth_v1_OperationResponse, _berth_v1_OperationResponse__Output>
      PublishRequest: MessageTypeDefinition<_berth_v1_PublishRequest, _berth_v1_PublishRequest__Output>
      RenameInstanceRequest: MessageTypeDefinition<_berth_v1_RenameInstanceRequest, _berth_v1_RenameInstanceRequest__Output>
      Snapshot: MessageTypeDefinition<_berth_v1_Snapshot, _berth_v1_Snapshot__Output>
      SnapshotRef: MessageTypeDefinition<_berth_v1_SnapshotRef, _berth_v1_SnapshotRef__Output>
      UpdateInstanceRequest: MessageTypeDefinition<_berth_v1_UpdateInstanceRequest, _berth_v1_UpdateInstanceRequest__Output>
      WindowSize: MessageTypeDefinition<_berth_v1_WindowSize, _berth_v1_WindowSize__Output>
    }
  }
}

