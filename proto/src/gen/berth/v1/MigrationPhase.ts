// Original file: proto/berth/v1/member.proto


export interface MigrationPhase {
  /**
   * accepted (header checked), received (the instance is made, stopped and marked incoming),
   * failed (error says why; the target kept nothing); later checkpoint, restore, running.
   */
  'phase'?: (string);
  'error'?: (string);
  /**
   * The error's gRPC code name when failed.
   */
  'code'?: (string);
}

export interface MigrationPhase__Output {
  /**
   * accepted (header checked), received (the instance is made, stopped and marked incoming),
   * failed (error says why; the target kept nothing); later checkpoint, restore, running.
   */
  'phase': (string);
  'error': (string);
  /**
   * The error's gRPC code name when failed.
   */
  'code': (string);
}
