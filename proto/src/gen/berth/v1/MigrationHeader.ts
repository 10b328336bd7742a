// Original file: proto/berth/v1/member.proto


export interface MigrationHeader {
  /**
   * The move's id (one move of one instance; a retried move keeps it).
   */
  'operationId'?: (string);
  'instance'?: (string);
  /**
   * cold (the instance is stopped: its volume only); later stop-and-copy, pre-copy, post-copy
   */
  'mode'?: (string);
  'config'?: ({[key: string]: string});
  /**
   * The volume stream's payload format: tar, or btrfs (btrfs send) when both pools are btrfs.
   */
  'volumeFormat'?: (string);
  /**
   * The source agent's instance record (JSON: image, config, created, snapshots).
   */
  'recordJson'?: (string);
  'sourceMember'?: (string);
}

export interface MigrationHeader__Output {
  /**
   * The move's id (one move of one instance; a retried move keeps it).
   */
  'operationId': (string);
  'instance': (string);
  /**
   * cold (the instance is stopped: its volume only); later stop-and-copy, pre-copy, post-copy
   */
  'mode': (string);
  'config': ({[key: string]: string});
  /**
   * The volume stream's payload format: tar, or btrfs (btrfs send) when both pools are btrfs.
   */
  'volumeFormat': (string);
  /**
   * The source agent's instance record (JSON: image, config, created, snapshots).
   */
  'recordJson': (string);
  'sourceMember': (string);
}
