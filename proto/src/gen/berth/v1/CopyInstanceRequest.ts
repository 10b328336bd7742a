// Original file: proto/berth/v1/instances.proto


export interface CopyInstanceRequest {
  /**
   * The instance to copy, or "instance/snapshot" to make the copy from a snapshot.
   */
  'source'?: (string);
  'name'?: (string);
  /**
   * Keys to set ("" removes) on the copy, over the source's config.
   */
  'config'?: ({[key: string]: string});
  /**
   * Without the source's snapshots (lxc copy --instance-only).
   */
  'instanceOnly'?: (boolean);
  /**
   * A cluster member for the copy; empty: the source's member.
   */
  'target'?: (string);
  /**
   * Start the copy once made.
   */
  'start'?: (boolean);
}

export interface CopyInstanceRequest__Output {
  /**
   * The instance to copy, or "instance/snapshot" to make the copy from a snapshot.
   */
  'source': (string);
  'name': (string);
  /**
   * Keys to set ("" removes) on the copy, over the source's config.
   */
  'config': ({[key: string]: string});
  /**
   * Without the source's snapshots (lxc copy --instance-only).
   */
  'instanceOnly': (boolean);
  /**
   * A cluster member for the copy; empty: the source's member.
   */
  'target': (string);
  /**
   * Start the copy once made.
   */
  'start': (boolean);
}
