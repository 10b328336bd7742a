import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { DataChunk as _berth_v1_DataChunk, DataChunk__Output as _berth_v1_DataChunk__Output } from './berth/v1/DataChunk';
import type { DropIncomingRequest as _berth_v1_DropIncomingRequest, DropIncomingRequest__Output as _berth_v1_DropIncomingRequest__Output } from './berth/v1/DropIncomingRequest';
import type { DropIncomingResponse as _berth_v1_DropIncomingResponse, DropIncomingResponse__Output as _berth_v1_DropIncomingResponse__Output } from './berth/v1/DropIncomingResponse';
import type { ForwardBatch as _berth_v1_ForwardBatch, ForwardBatch__Output as _berth_v1_ForwardBatch__Output } from './berth/v1/ForwardBatch';
import type { ForwardItem as _berth_v1_ForwardItem, ForwardItem__Output as _berth_v1_ForwardItem__Output } from './berth/v1/ForwardItem';
import type { ImageChunkRequest as _berth_v1_ImageChunkRequest, ImageChunkRequest__Output as _berth_v1_ImageChunkRequest__Output } from './berth/v1/ImageChunkRequest';
import type { ImageFilePart as _berth_v1_ImageFilePart, ImageFilePart__Output as _berth_v1_ImageFilePart__Output } from './berth/v1/ImageFilePart';
import type { ImageHolding as _berth_v1_ImageHolding, ImageHolding__Output as _berth_v1_ImageHolding__Output } from './berth/v1/ImageHolding';
import type { ImageTransferClient as _berth_v1_ImageTransferClient, ImageTransferDefinition as _berth_v1_ImageTransferDefinition } from './berth/v1/ImageTransfer';
import type { MembershipClient as _berth_v1_MembershipClient, MembershipDefinition as _berth_v1_MembershipDefinition } from './berth/v1/Membership';
import type { MembershipCheckRequest as _berth_v1_MembershipCheckRequest, MembershipCheckRequest__Output as _berth_v1_MembershipCheckRequest__Output } from './berth/v1/MembershipCheckRequest';
import type { MembershipCheckResponse as _berth_v1_MembershipCheckResponse, MembershipCheckResponse__Output as _berth_v1_MembershipCheckResponse__Output } from './berth/v1/MembershipCheckResponse';
import type { MigrationDelta as _berth_v1_MigrationDelta, MigrationDelta__Output as _berth_v1_MigrationDelta__Output } from './berth/v1/MigrationDelta';
import type { MigrationFrame as _berth_v1_MigrationFrame, MigrationFrame__Output as _berth_v1_MigrationFrame__Output } from './berth/v1/MigrationFrame';
import type { MigrationHeader as _berth_v1_MigrationHeader, MigrationHeader__Output as _berth_v1_MigrationHeader__Output } from './berth/v1/MigrationHeader';
import type { MigrationPhase as _berth_v1_MigrationPhase, MigrationPhase__Output as _berth_v1_MigrationPhase__Output } from './berth/v1/MigrationPhase';
import type { MigrationServiceClient as _berth_v1_MigrationServiceClient, MigrationServiceDefinition as _berth_v1_MigrationServiceDefinition } from './berth/v1/MigrationService';
import type { RaftAck as _berth_v1_RaftAck, RaftAck__Output as _berth_v1_RaftAck__Output } from './berth/v1/RaftAck';
import type { RaftEntry as _berth_v1_RaftEntry, RaftEntry__Output as _berth_v1_RaftEntry__Output } from './berth/v1/RaftEntry';
import type { RaftMessage as _berth_v1_RaftMessage, RaftMessage__Output as _berth_v1_RaftMessage__Output } from './berth/v1/RaftMessage';
import type { RaftMessageBatch as _berth_v1_RaftMessageBatch, RaftMessageBatch__Output as _berth_v1_RaftMessageBatch__Output } from './berth/v1/RaftMessageBatch';
import type { RaftTransportClient as _berth_v1_RaftTransportClient, RaftTransportDefinition as _berth_v1_RaftTransportDefinition } from './berth/v1/RaftTransport';
import type { SnapshotChunk as _berth_v1_SnapshotChunk, SnapshotChunk__Output as _berth_v1_SnapshotChunk__Output } from './berth/v1/SnapshotChunk';
import type { SnapshotReceipt as _berth_v1_SnapshotReceipt, SnapshotReceipt__Output as _berth_v1_SnapshotReceipt__Output } from './berth/v1/SnapshotReceipt';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  berth: {
    v1: {
      DataChunk: MessageTypeDefinition<_berth_v1_DataChunk, _berth_v1_DataChunk__Output>
      DropIncomingRequest: MessageTypeDefinition<_berth_v1_DropIncomingRequest, _berth_v1_DropIncomingRequest__Output>
      DropIncomingResponse: MessageTypeDefinition<_berth_v1_DropIncomingResponse, _berth_v1_DropIncomingResponse__Output>
      ForwardBatch: MessageTypeDefinition<_berth_v1_ForwardBatch, _berth_v1_ForwardBatch__Output>
      ForwardItem: MessageTypeDefinition<_berth_v1_ForwardItem, _berth_v1_ForwardItem__Output>
      ImageChunkRequest: MessageTypeDefinition<_berth_v1_ImageChunkRequest, _berth_v1_ImageChunkRequest__Output>
      ImageFilePart: MessageTypeDefinition<_berth_v1_ImageFilePart, _berth_v1_ImageFilePart__Output>
      ImageHolding: MessageTypeDefinition<_berth_v1_ImageHolding, _berth_v1_ImageHolding__Output>
      ImageTransfer: SubtypeConstructor<typeof grpc.Client, _berth_v1_ImageTransferClient> & { service: _berth_v1_ImageTransferDefinition }
      /**
       * A member that hears no leader asks its peers whether it is still a member: a peer that
       * knows its certificate answers; one that has it as a removed member's refuses with
       * PERMISSION_DENIED and the trailer `berth-removed` (packages/node-agent/src/cluster/peer-auth.ts).
       */
      Membership: SubtypeConstructor<typeof grpc.Client, _berth_v1_MembershipClient> & { service: _berth_v1_MembershipDefinition }
      MembershipCheckRequest: MessageTypeDefinition<_berth_v1_MembershipCheckRequest, _berth_v1_MembershipCheckRequest__Output>
      MembershipCheckResponse: MessageTypeDefinition<_berth_v1_MembershipCheckResponse, _berth_v1_MembershipCheckResponse__Output>
      MigrationDelta: MessageTypeDefinition<_berth_v1_MigrationDelta, _berth_v1_MigrationDelta__Output>
      MigrationFrame: MessageTypeDefinition<_berth_v1_MigrationFrame, _berth_v1_MigrationFrame__Output>
      MigrationHeader: MessageTypeDefinition<_berth_v1_MigrationHeader, _berth_v1_MigrationHeader__Output>
      MigrationPhase: MessageTypeDefinition<_berth_v1_MigrationPhase, _berth_v1_MigrationPhase__Output>
      /**
       * A source member drives a move: header, then the volume in chunks (then, live, a delta,
       * the changed files and the checkpoint; cold, the checkpoint chunks when the header says so);
       * the target answers phases and ends the stream. A move leaves the instance marked incoming
       * on the target until the store places it there (packages/node-agent/src/cluster/moves.ts).
       */
      MigrationService: SubtypeConstructor<typeof grpc.Client, _berth_v1_MigrationServiceClient> & { service: _berth_v1_MigrationServiceDefinition }
      RaftAck: MessageTypeDefinition<_berth_v1_RaftAck, _berth_v1_RaftAck__Output>
      RaftEntry: MessageTypeDefinition<_berth_v1_RaftEntry, _berth_v1_RaftEntry__Output>
      RaftMessage: MessageTypeDefinition<_berth_v1_RaftMessage, _berth_v1_RaftMessage__Output>
      RaftMessageBatch: MessageTypeDefinition<_berth_v1_RaftMessageBatch, _berth_v1_RaftMessageBatch__Output>
      RaftTransport: SubtypeConstructor<typeof grpc.Client, _berth_v1_RaftTransportClient> & { service: _berth_v1_RaftTransportDefinition }
      SnapshotChunk: MessageTypeDefinition<_berth_v1_SnapshotChunk, _berth_v1_SnapshotChunk__Output>
      SnapshotReceipt: MessageTypeDefinition<_berth_v1_SnapshotReceipt, _berth_v1_SnapshotReceipt__Output>
    }
  }
}

