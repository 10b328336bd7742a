// Original file: proto/berth/v1/member.proto


export interface MigrationHeader {
  /**
   * The move's id (one move of one instance; a retried move keeps it).
   */
  'operationId'?: (string);
  'instance'?: (string);
  /**
   * cold (the instance is stopped) or stop-and-copy (it runs: the volume while it runs, then
   * delta + checkpoint; see moves.ts); pre-copy and post-copy are not served yet.
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
  /**
   * Checkpoint chunks follow the volume (a GNU tar of the instance's CRIU images: stateful
   * snapshots, a stateful stop, a live move's dump). Always true for stop-and-copy.
   */
  'checkpoints'?: (boolean);
  /**
   * The source asks for a data link (packages/node-agent/src/cluster/data-link.ts): the
   * target's `accepted` offers one, and every frame after the header travels on it instead of
   * this stream (the same frames: volume, delta, checkpoint, as data-link frames of kind 2, 5,
   * 3). This stream then carries only the target's phases.
   */
  'dataLink'?: (boolean);
  /**
   * The volume formats the source can send, best first (btrfs when its pool is btrfs, then
   * tar); the target takes the first its pool imports and says which in `accepted`
   * (MigrationPhase.volume_format). Empty: volume_format.
   */
  'volumeFormats'?: (string)[];
}

export interface MigrationHeader__Output {
  /**
   * The move's id (one move of one instance; a retried move keeps it).
   */
  'operationId': (string);
  'instance': (string);
  /**
   * cold (the instance is stopped) or stop-and-copy (it runs: the volume while it runs, then
   * delta + checkpoint; see moves.ts); pre-copy and post-copy are not served yet.
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
  /**
   * Checkpoint chunks follow the volume (a GNU tar of the instance's CRIU images: stateful
   * snapshots, a stateful stop, a live move's dump). Always true for stop-and-copy.
   */
  'checkpoints': (boolean);
  /**
   * The source asks for a data link (packages/node-agent/src/cluster/data-link.ts): the
   * target's `accepted` offers one, and every frame after the header travels on it instead of
   * this stream (the same frames: volume, delta, checkpoint, as data-link frames of kind 2, 5,
   * 3). This stream then carries only the target's phases.
   */
  'dataLink': (boolean);
  /**
   * The volume formats the source can send, best first (btrfs when its pool is btrfs, then
   * tar); the target takes the first its pool imports and says which in `accepted`
   * (MigrationPhase.volume_format). Empty: volume_format.
   */
  'volumeFormats': (string)[];
}
