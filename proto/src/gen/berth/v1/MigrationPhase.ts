// Original file: proto/berth/v1/member.proto


export interface MigrationPhase {
  /**
   * volume-sync, checkpoint, restore, running, failed
   */
  'phase'?: (string);
  'error'?: (string);
}

export interface MigrationPhase__Output {
  /**
   * volume-sync, checkpoint, restore, running, failed
   */
  'phase': (string);
  'error': (string);
}
