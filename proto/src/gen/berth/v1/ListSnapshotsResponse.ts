// Original file: proto/berth/v1/instances.proto

import type { Snapshot as _berth_v1_Snapshot, Snapshot__Output as _berth_v1_Snapshot__Output } from '../../berth/v1/Snapshot';

export interface ListSnapshotsResponse {
  'snapshots'?: (_berth_v1_Snapshot)[];
}

export interface ListSnapshotsResponse__Output {
  'snapshots': (_berth_v1_Snapshot__Output)[];
}
