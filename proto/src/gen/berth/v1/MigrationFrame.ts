// Original file: proto/berth/v1/member.proto

import type { MigrationHeader as _berth_v1_MigrationHeader, MigrationHeader__Output as _berth_v1_MigrationHeader__Output } from '../../berth/v1/MigrationHeader';
import type { DataChunk as _berth_v1_DataChunk, DataChunk__Output as _berth_v1_DataChunk__Output } from '../../berth/v1/DataChunk';
import type { MigrationPhase as _berth_v1_MigrationPhase, MigrationPhase__Output as _berth_v1_MigrationPhase__Output } from '../../berth/v1/MigrationPhase';
import type { MigrationDelta as _berth_v1_MigrationDelta, MigrationDelta__Output as _berth_v1_MigrationDelta__Output } from '../../berth/v1/MigrationDelta';

export interface MigrationFrame {
  'header'?: (_berth_v1_MigrationHeader | null);
  'volume'?: (_berth_v1_DataChunk | null);
  'checkpoint'?: (_berth_v1_DataChunk | null);
  'phase'?: (_berth_v1_MigrationPhase | null);
  'delta'?: (_berth_v1_MigrationDelta | null);
  'frame'?: "header"|"volume"|"checkpoint"|"phase"|"delta";
}

export interface MigrationFrame__Output {
  'header'?: (_berth_v1_MigrationHeader__Output | null);
  'volume'?: (_berth_v1_DataChunk__Output | null);
  'checkpoint'?: (_berth_v1_DataChunk__Output | null);
  'phase'?: (_berth_v1_MigrationPhase__Output | null);
  'delta'?: (_berth_v1_MigrationDelta__Output | null);
  'frame'?: "header"|"volume"|"checkpoint"|"phase"|"delta";
}
