// Original file: proto/berth/v1/member.proto


/**
 * Live moves: what changed in the volume since the first pass, sent once the instance is
 * checkpointed. The changed files follow as a second run of volume chunks (offsets from 0;
 * a GNU tar of those files), then the checkpoint chunks.
 */
export interface MigrationDelta {
  /**
   * Paths (relative to the volume's root) that the first pass carried and that are gone now.
   */
  'removedPaths'?: (string)[];
}

/**
 * Live moves: what changed in the volume since the first pass, sent once the instance is
 * checkpointed. The changed files follow as a second run of volume chunks (offsets from 0;
 * a GNU tar of those files), then the checkpoint chunks.
 */
export interface MigrationDelta__Output {
  /**
   * Paths (relative to the volume's root) that the first pass carried and that are gone now.
   */
  'removedPaths': (string)[];
}
