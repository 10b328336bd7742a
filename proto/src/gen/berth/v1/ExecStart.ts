// Original file: proto/berth/v1/instances.proto


/**
 * Exec is one bidirectional stream: the first client message is the start frame,
 * then stdin bytes and window resizes; the server sends stdout/stderr and, last, the exit code.
 */
export interface ExecStart {
  'instance'?: (string);
  'command'?: (string)[];
  'environment'?: ({[key: string]: string});
  'user'?: (number);
  'group'?: (number);
  'cwd'?: (string);
  'interactive'?: (boolean);
  'width'?: (number);
  'height'?: (number);
}

/**
 * Exec is one bidirectional stream: the first client message is the start frame,
 * then stdin bytes and window resizes; the server sends stdout/stderr and, last, the exit code.
 */
export interface ExecStart__Output {
  'instance': (string);
  'command': (string)[];
  'environment': ({[key: string]: string});
  'user': (number);
  'group': (number);
  'cwd': (string);
  'interactive': (boolean);
  'width': (number);
  'height': (number);
}
