// Original file: proto/berth/v1/cluster.proto

import type { HostCapabilities as _berth_v1_HostCapabilities, HostCapabilities__Output as _berth_v1_HostCapabilities__Output } from '../../berth/v1/HostCapabilities';
import type { Long } from '@grpc/proto-loader';

export interface Member {
  'name'?: (string);
  'address'?: (string);
  /**
   * "voter", "learner" (stand-by), plus "leader" on the current Raft leader.
   */
  'roles'?: (string)[];
  /**
   * Online, Offline, Evacuated
   */
  'status'?: (string);
  'leader'?: (boolean);
  'groups'?: (string)[];
  'cpus'?: (number | string | Long);
  'memoryBytes'?: (number | string | Long);
  'instances'?: (number | string | Long);
  'capabilities'?: (_berth_v1_HostCapabilities | null);
  /**
   * What the member's host can do, by short name (criu, criu-lazy-pages, criu-dirty-tracking,
   * btrfs, overlay, user-namespaces, seccomp, apparmor, vxlan, vlan), from its liveness record.
   */
  'features'?: (string)[];
}

export interface Member__Output {
  'name': (string);
  'address': (string);
  /**
   * "voter", "learner" (stand-by), plus "leader" on the current Raft leader.
   */
  'roles': (string)[];
  /**
   * Online, Offline, Evacuated
   */
  'status': (string);
  'leader': (boolean);
  'groups': (string)[];
  'cpus': (number);
  'memoryBytes': (number);
  'instances': (number);
  'capabilities': (_berth_v1_HostCapabilities__Output | null);
  /**
   * What the member's host can do, by short name (criu, criu-lazy-pages, criu-dirty-tracking,
   * btrfs, overlay, user-namespaces, seccomp, apparmor, vxlan, vlan), from its liveness record.
   */
  'features': (string)[];
}
