// Original file: proto/berth/v1/member.proto

import type { Long } from '@grpc/proto-loader';

export interface ReadIndexResponse {
  'index'?: (number | string | Long);
  'notLeader'?: (string);
  'leaderAddress'?: (string);
}

export interface ReadIndexResponse__Output {
  'index': (number);
  'notLeader': (string);
  'leaderAddress': (string);
}
