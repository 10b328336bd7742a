// Original file: proto/berth/v1/cluster.proto


export interface EvacuateRequest {
  'name'?: (string);
  /**
   * auto, live-migrate, migrate, stop (LXD's cluster.evacuate)
   */
  'mode'?: (string);
}

export interface EvacuateRequest__Output {
  'name': (string);
  /**
   * auto, live-migrate, migrate, stop (LXD's cluster.evacuate)
   */
  'mode': (string);
}
