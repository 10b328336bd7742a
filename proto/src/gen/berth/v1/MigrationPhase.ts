// Original file: proto/berth/v1/member.proto


export interface MigrationPhase {
  /**
   * Target to source: accepted (header checked), received (cold: the instance is made,
   * stopped and marked incoming), volume (live: the first pass is in), restore (live: delta
   * and images applied, CRIU restoring), running (live: restored, running, marked incoming),
   * failed (error says why; the target kept nothing); on a data link, page-server (its CRIU
   * page server listens at link_address; empty: none, error says why) and pages (once a
   * second while that server receives: the source's dump is alive).
   */
  'phase'?: (string);
  'error'?: (string);
  /**
   * The error's gRPC code name when failed.
   */
  'code'?: (string);
  /**
   * On `accepted`, when the header asked for a data link: where to connect, and the one-time
   * ticket to present (hex).
   */
  'linkAddress'?: (string);
  'linkTicket'?: (string);
  /**
   * On `accepted`: the volume format the target takes (one of the header's volume_formats).
   */
  'volumeFormat'?: (string);
}

export interface MigrationPhase__Output {
  /**
   * Target to source: accepted (header checked), received (cold: the instance is made,
   * stopped and marked incoming), volume (live: the first pass is in), restore (live: delta
   * and images applied, CRIU restoring), running (live: restored, running, marked incoming),
   * failed (error says why; the target kept nothing); on a data link, page-server (its CRIU
   * page server listens at link_address; empty: none, error says why) and pages (once a
   * second while that server receives: the source's dump is alive).
   */
  'phase': (string);
  'error': (string);
  /**
   * The error's gRPC code name when failed.
   */
  'code': (string);
  /**
   * On `accepted`, when the header asked for a data link: where to connect, and the one-time
   * ticket to present (hex).
   */
  'linkAddress': (string);
  'linkTicket': (string);
  /**
   * On `accepted`: the volume format the target takes (one of the header's volume_formats).
   */
  'volumeFormat': (string);
}
