// Original file: proto/berth/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface StoreMetrics {
  'leaderChanges'?: (number | string | Long);
  'proposalsCommitted'?: (number | string | Long);
  'proposalsFailed'?: (number | string | Long);
  'proposalsPending'?: (number | string | Long);
  'fsyncP50Ms'?: (number | string);
  'fsyncP99Ms'?: (number | string);
  'applyLag'?: (number | string | Long);
  'hasLeader'?: (boolean);
  'snapshotsTaken'?: (number | string | Long);
  'lastSnapshotMs'?: (number | string);
  'snapshotsInstalled'?: (number | string | Long);
}

export interface StoreMetrics__Output {
  'leaderChanges': (number);
  'proposalsCommitted': (number);
  'proposalsFailed': (number);
  'proposalsPending': (number);
  'fsyncP50Ms': (number);
  'fsyncP99Ms': (number);
  'applyLag': (number);
  'hasLeader': (boolean);
  'snapshotsTaken': (number);
  'lastSnapshotMs': (number);
  'snapshotsInstalled': (number);
}
