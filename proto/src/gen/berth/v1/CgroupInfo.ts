// Original file: proto/berth/v1/server.proto


export interface CgroupInfo {
  /**
   * "v1", "hybrid" (v1 controllers plus a cgroup2 tree) or "v2".
   */
  'layout'?: (string);
  /**
   * Controllers berth can use (v1: mounted hierarchies; v2: cgroup.controllers of the root).
   */
  'controllers'?: (string)[];
  'unifiedMount'?: (string);
}

export interface CgroupInfo__Output {
  /**
   * "v1", "hybrid" (v1 controllers plus a cgroup2 tree) or "v2".
   */
  'layout': (string);
  /**
   * Controllers berth can use (v1: mounted hierarchies; v2: cgroup.controllers of the root).
   */
  'controllers': (string)[];
  'unifiedMount': (string);
}
