// Original file: proto/berth/v1/member.proto


export interface MigrationHeader {
  'operationId'?: (string);
  'instance'?: (string);
  /**
   * stop-and-copy, pre-copy, post-copy
   */
  'mode'?: (string);
  'config'?: ({[key: string]: string});
  /**
   * dir or btrfs: btrfs send streams when both pools are btrfs.
   */
  'volumeFormat'?: (string);
}

export interface MigrationHeader__Output {
  'operationId': (string);
  'instance': (string);
  /**
   * stop-and-copy, pre-copy, post-copy
   */
  'mode': (string);
  'config': ({[key: string]: string});
  /**
   * dir or btrfs: btrfs send streams when both pools are btrfs.
   */
  'volumeFormat': (string);
}
