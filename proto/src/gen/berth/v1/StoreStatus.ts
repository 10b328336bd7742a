// Original file: proto/berth/v1/store.proto

import type { PeerProgress as _berth_v1_PeerProgress, PeerProgress__Output as _berth_v1_PeerProgress__Output } from '../../berth/v1/PeerProgress';
import type { StoreMetrics as _berth_v1_StoreMetrics, StoreMetrics__Output as _berth_v1_StoreMetrics__Output } from '../../berth/v1/StoreMetrics';
import type { Long } from '@grpc/proto-loader';

export interface StoreStatus {
  'id'?: (number | string | Long);
  'clusterId'?: (string);
  'term'?: (number | string | Long);
  'leader'?: (number | string | Long);
  /**
   * follower, pre-candidate, candidate, leader
   */
  'role'?: (string);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'firstIndex'?: (number | string | Long);
  'lastIndex'?: (number | string | Long);
  'revision'?: (number | string | Long);
  'voters'?: (number | string | Long)[];
  'learners'?: (number | string | Long)[];
  /**
   * Leader only.
   */
  'progress'?: (_berth_v1_PeerProgress)[];
  'metrics'?: (_berth_v1_StoreMetrics | null);
}

export interface StoreStatus__Output {
  'id': (number);
  'clusterId': (string);
  'term': (number);
  'leader': (number);
  /**
   * follower, pre-candidate, candidate, leader
   */
  'role': (string);
  'commitIndex': (number);
  'appliedIndex': (number);
  'firstIndex': (number);
  'lastIndex': (number);
  'revision': (number);
  'voters': (number)[];
  'learners': (number)[];
  /**
   * Leader only.
   */
  'progress': (_berth_v1_PeerProgress__Output)[];
  'metrics': (_berth_v1_StoreMetrics__Output | null);
}
