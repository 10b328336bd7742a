// Original file: proto/berth/v1/instances.proto


export interface ChangeStateRequest {
  'name'?: (string);
  /**
   * start, stop, restart, freeze, unfreeze
   */
  'action'?: (string);
  'force'?: (boolean);
  'stateful'?: (boolean);
  'timeoutSeconds'?: (number);
}

export interface ChangeStateRequest__Output {
  'name': (string);
  /**
   * start, stop, restart, freeze, unfreeze
   */
  'action': (string);
  'force': (boolean);
  'stateful': (boolean);
  'timeoutSeconds': (number);
}
