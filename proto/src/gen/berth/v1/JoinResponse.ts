// Original file: proto/berth/v1/cluster.proto

import type { JoinPeer as _berth_v1_JoinPeer, JoinPeer__Output as _berth_v1_JoinPeer__Output } from '../../berth/v1/JoinPeer';
import type { Long } from '@grpc/proto-loader';

export interface JoinResponse {
  'memberId'?: (number | string | Long);
  'clusterId'?: (string);
  'certificatePem'?: (string);
  'caCertificatePem'?: (string);
  /**
   * The cluster CA's key, as LXD shares its cluster certificate: any member can admit the next.
   */
  'caKeyPem'?: (string);
  'peers'?: (_berth_v1_JoinPeer)[];
}

export interface JoinResponse__Output {
  'memberId': (number);
  'clusterId': (string);
  'certificatePem': (string);
  'caCertificatePem': (string);
  /**
   * The cluster CA's key, as LXD shares its cluster certificate: any member can admit the next.
   */
  'caKeyPem': (string);
  'peers': (_berth_v1_JoinPeer__Output)[];
}
