// Original file: proto/berth/v1/server.proto


/**
 * What berth found this host's kernel and tools can do. Every field comes from a real
 * probe (running the tool or reading the kernel interface); nothing is assumed.
 */
export interface Feature {
  'supported'?: (boolean);
  /**
   * How it was probed and, when unsupported, why: "unshare -n; ip link add type vlan: Operation not supported".
   */
  'detail'?: (string);
}

/**
 * What berth found this host's kernel and tools can do. Every field comes from a real
 * probe (running the tool or reading the kernel interface); nothing is assumed.
 */
export interface Feature__Output {
  'supported': (boolean);
  /**
   * How it was probed and, when unsupported, why: "unshare -n; ip link add type vlan: Operation not supported".
   */
  'detail': (string);
}
