// Original file: proto/berth/v1/server.proto

import type { HostCapabilities as _berth_v1_HostCapabilities, HostCapabilities__Output as _berth_v1_HostCapabilities__Output } from '../../berth/v1/HostCapabilities';
import type { Long } from '@grpc/proto-loader';

export interface ServerInfo {
  'serverName'?: (string);
  'serverVersion'?: (string);
  /**
   * Append-only list of API extensions, as LXD's: a client checks it before using a feature.
   */
  'apiExtensions'?: (string)[];
  /**
   * "standalone" or "clustered".
   */
  'mode'?: (string);
  'capabilities'?: (_berth_v1_HostCapabilities | null);
  'pid'?: (number | string | Long);
  'dataDir'?: (string);
}

export interface ServerInfo__Output {
  'serverName': (string);
  'serverVersion': (string);
  /**
   * Append-only list of API extensions, as LXD's: a client checks it before using a feature.
   */
  'apiExtensions': (string)[];
  /**
   * "standalone" or "clustered".
   */
  'mode': (string);
  'capabilities': (_berth_v1_HostCapabilities__Output | null);
  'pid': (number);
  'dataDir': (string);
}
