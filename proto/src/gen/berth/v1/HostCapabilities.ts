// Original file: proto/berth/v1/server.proto

import type { CgroupInfo as _berth_v1_CgroupInfo, CgroupInfo__Output as _berth_v1_CgroupInfo__Output } from '../../berth/v1/CgroupInfo';
import type { ToolInfo as _berth_v1_ToolInfo, ToolInfo__Output as _berth_v1_ToolInfo__Output } from '../../berth/v1/ToolInfo';
import type { CriuInfo as _berth_v1_CriuInfo, CriuInfo__Output as _berth_v1_CriuInfo__Output } from '../../berth/v1/CriuInfo';
import type { Feature as _berth_v1_Feature, Feature__Output as _berth_v1_Feature__Output } from '../../berth/v1/Feature';
import type { Long } from '@grpc/proto-loader';

export interface HostCapabilities {
  'hostname'?: (string);
  'os'?: (string);
  'kernelRelease'?: (string);
  'kernelVersion'?: (string);
  'architecture'?: (string);
  'cgroups'?: (_berth_v1_CgroupInfo | null);
  'runc'?: (_berth_v1_ToolInfo | null);
  'criu'?: (_berth_v1_CriuInfo | null);
  'userNamespaces'?: (_berth_v1_Feature | null);
  'seccomp'?: (_berth_v1_Feature | null);
  'apparmor'?: (_berth_v1_Feature | null);
  'btrfs'?: (_berth_v1_Feature | null);
  'overlay'?: (_berth_v1_Feature | null);
  'bridge'?: (_berth_v1_Feature | null);
  'veth'?: (_berth_v1_Feature | null);
  'vxlan'?: (_berth_v1_Feature | null);
  'vlan'?: (_berth_v1_Feature | null);
  'nftables'?: (_berth_v1_Feature | null);
  'macvlan'?: (_berth_v1_Feature | null);
  'probedAtUnixMs'?: (number | string | Long);
}

export interface HostCapabilities__Output {
  'hostname': (string);
  'os': (string);
  'kernelRelease': (string);
  'kernelVersion': (string);
  'architecture': (string);
  'cgroups': (_berth_v1_CgroupInfo__Output | null);
  'runc': (_berth_v1_ToolInfo__Output | null);
  'criu': (_berth_v1_CriuInfo__Output | null);
  'userNamespaces': (_berth_v1_Feature__Output | null);
  'seccomp': (_berth_v1_Feature__Output | null);
  'apparmor': (_berth_v1_Feature__Output | null);
  'btrfs': (_berth_v1_Feature__Output | null);
  'overlay': (_berth_v1_Feature__Output | null);
  'bridge': (_berth_v1_Feature__Output | null);
  'veth': (_berth_v1_Feature__Output | null);
  'vxlan': (_berth_v1_Feature__Output | null);
  'vlan': (_berth_v1_Feature__Output | null);
  'nftables': (_berth_v1_Feature__Output | null);
  'macvlan': (_berth_v1_Feature__Output | null);
  'probedAtUnixMs': (number);
}
