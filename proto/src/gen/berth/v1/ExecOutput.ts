// Original file: proto/berth/v1/instances.proto


export interface ExecOutput {
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'exitCode'?: (number);
  'frame'?: "stdout"|"stderr"|"exitCode";
}

export interface ExecOutput__Output {
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  'exitCode'?: (number);
  'frame'?: "stdout"|"stderr"|"exitCode";
}
