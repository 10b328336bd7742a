// Original file: proto/berth/v1/common.proto

import type { Long } from '@grpc/proto-loader';

/**
 * An asynchronous operation, as in LXD's /1.0/operations: every change that takes
 * more than one Raft commit (create, start, move, evacuate, image import) is one.
 * Its outcome, including errors, is kept in the state store.
 */
export interface Operation {
  'id'?: (string);
  'description'?: (string);
  /**
   * pending, running, success, failure, cancelled
   */
  'status'?: (string);
  'mayCancel'?: (boolean);
  /**
   * Resources touched, by kind: {"instances": "/1.0/instances/c1,..."}.
   */
  'resources'?: ({[key: string]: string});
  'metadata'?: ({[key: string]: string});
  /**
   * Set when status is failure: what failed and why, in words an operator can act on.
   */
  'error'?: (string);
  'errorCode'?: (string);
  'createdAtUnixMs'?: (number | string | Long);
  'updatedAtUnixMs'?: (number | string | Long);
  /**
   * The member the operation runs on.
   */
  'location'?: (string);
}

/**
 * An asynchronous operation, as in LXD's /1.0/operations: every change that takes
 * more than one Raft commit (create, start, move, evacuate, image import) is one.
 * Its outcome, including errors, is kept in the state store.
 */
export interface Operation__Output {
  'id': (string);
  'description': (string);
  /**
   * pending, running, success, failure, cancelled
   */
  'status': (string);
  'mayCancel': (boolean);
  /**
   * Resources touched, by kind: {"instances": "/1.0/instances/c1,..."}.
   */
  'resources': ({[key: string]: string});
  'metadata': ({[key: string]: string});
  /**
   * Set when status is failure: what failed and why, in words an operator can act on.
   */
  'error': (string);
  'errorCode': (string);
  'createdAtUnixMs': (number);
  'updatedAtUnixMs': (number);
  /**
   * The member the operation runs on.
   */
  'location': (string);
}
