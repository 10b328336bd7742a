// Original file: proto/berth/v1/server.proto

import type { Feature as _berth_v1_Feature, Feature__Output as _berth_v1_Feature__Output } from '../../berth/v1/Feature';

export interface CriuInfo {
  'available'?: (boolean);
  'version'?: (string);
  'path'?: (string);
  /**
   * "host" (the system's criu passed `criu check`), "berth-private" (Debian 13's CRIU in
   * berth's private prefix), or "none".
   */
  'source'?: (string);
  'detail'?: (string);
  'checkpointRestore'?: (_berth_v1_Feature | null);
  /**
   * userfaultfd lazy pages: needed for post-copy migration.
   */
  'lazyPages'?: (_berth_v1_Feature | null);
  /**
   * soft-dirty memory tracking: needed for pre-copy (iterative pre-dumps).
   */
  'memDirtyTrack'?: (_berth_v1_Feature | null);
  'userNamespaces'?: (_berth_v1_Feature | null);
}

export interface CriuInfo__Output {
  'available': (boolean);
  'version': (string);
  'path': (string);
  /**
   * "host" (the system's criu passed `criu check`), "berth-private" (Debian 13's CRIU in
   * berth's private prefix), or "none".
   */
  'source': (string);
  'detail': (string);
  'checkpointRestore': (_berth_v1_Feature__Output | null);
  /**
   * userfaultfd lazy pages: needed for post-copy migration.
   */
  'lazyPages': (_berth_v1_Feature__Output | null);
  /**
   * soft-dirty memory tracking: needed for pre-copy (iterative pre-dumps).
   */
  'memDirtyTrack': (_berth_v1_Feature__Output | null);
  'userNamespaces': (_berth_v1_Feature__Output | null);
}
