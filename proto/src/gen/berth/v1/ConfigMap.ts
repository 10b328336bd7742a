// Original file: proto/berth/v1/common.proto


/**
 * Config keys and values as LXD names them ("limits.memory" = "512MiB").
 */
export interface ConfigMap {
  'entries'?: ({[key: string]: string});
}

/**
 * Config keys and values as LXD names them ("limits.memory" = "512MiB").
 */
export interface ConfigMap__Output {
  'entries': ({[key: string]: string});
}
