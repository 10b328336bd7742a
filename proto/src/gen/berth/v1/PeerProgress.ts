// Original file: proto/berth/v1/store.proto

import type { Long } from '@grpc/proto-loader';

export interface PeerProgress {
  'id'?: (number | string | Long);
  'match'?: (number | string | Long);
  'next'?: (number | string | Long);
  /**
   * probe, replicate, snapshot
   */
  'state'?: (string);
  'learner'?: (boolean);
  'active'?: (boolean);
  /**
   * Smoothed heartbeat round trip, ms.
   */
  'rttMs'?: (number | string);
}

export interface PeerProgress__Output {
  'id': (number);
  'match': (number);
  'next': (number);
  /**
   * probe, replicate, snapshot
   */
  'state': (string);
  'learner': (boolean);
  'active': (boolean);
  /**
   * Smoothed heartbeat round trip, ms.
   */
  'rttMs': (number);
}
