// Original file: proto/berth/v1/instances.proto

import type { ExecStart as _berth_v1_ExecStart, ExecStart__Output as _berth_v1_ExecStart__Output } from '../../berth/v1/ExecStart';
import type { WindowSize as _berth_v1_WindowSize, WindowSize__Output as _berth_v1_WindowSize__Output } from '../../berth/v1/WindowSize';

export interface ExecInput {
  'start'?: (_berth_v1_ExecStart | null);
  'stdin'?: (Buffer | Uint8Array | string);
  /**
   * Closes the process's stdin.
   */
  'stdinEof'?: (boolean);
  'resize'?: (_berth_v1_WindowSize | null);
  /**
   * A signal number to send to the process.
   */
  'signal'?: (number);
  'frame'?: "start"|"stdin"|"stdinEof"|"resize"|"signal";
}

export interface ExecInput__Output {
  'start'?: (_berth_v1_ExecStart__Output | null);
  'stdin'?: (Buffer);
  /**
   * Closes the process's stdin.
   */
  'stdinEof'?: (boolean);
  'resize'?: (_berth_v1_WindowSize__Output | null);
  /**
   * A signal number to send to the process.
   */
  'signal'?: (number);
  'frame'?: "start"|"stdin"|"stdinEof"|"resize"|"signal";
}
