// Original file: proto/berth/v1/instances.proto

import type { Long } from '@grpc/proto-loader';

export interface Instance {
  /**
   * 1-63 letters, digits and hyphens, not starting with a digit or hyphen (LXD's rule).
   */
  'name'?: (string);
  /**
   * Running, Stopped, Frozen, Error, Unknown (observed by the member's agent).
   */
  'status'?: (string);
  /**
   * Member that runs it.
   */
  'location'?: (string);
  'config'?: ({[key: string]: string});
  'imageFingerprint'?: (string);
  'stateful'?: (boolean);
  'createdAtUnixMs'?: (number | string | Long);
  'description'?: (string);
}

export interface Instance__Output {
  /**
   * 1-63 letters, digits and hyphens, not starting with a digit or hyphen (LXD's rule).
   */
  'name': (string);
  /**
   * Running, Stopped, Frozen, Error, Unknown (observed by the member's agent).
   */
  'status': (string);
  /**
   * Member that runs it.
   */
  'location': (string);
  'config': ({[key: string]: string});
  'imageFingerprint': (string);
  'stateful': (boolean);
  'createdAtUnixMs': (number);
  'description': (string);
}
