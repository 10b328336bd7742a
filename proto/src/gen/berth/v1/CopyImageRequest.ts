// Original file: proto/berth/v1/images.proto


/**
 * berth image copy REMOTE:IMAGE local: — an image from a remote image server (simplestreams).
 */
export interface CopyImageRequest {
  /**
   * The server's URL (http:// or https://host[:port][/path]).
   */
  'server'?: (string);
  /**
   * simplestreams (the one berth speaks to image servers).
   */
  'protocol'?: (string);
  /**
   * What to copy: an alias, a product id or a fingerprint (prefix) on the server.
   */
  'image'?: (string);
  /**
   * The server certificate's SHA-256 (hex), pinned when the remote was added; empty: checked
   * against the system's certificate authorities.
   */
  'certificateFingerprint'?: (string);
  /**
   * Local aliases to give it.
   */
  'aliases'?: (string)[];
  /**
   * Keep it up to date with the server (every images.auto_update_interval).
   */
  'autoUpdate'?: (boolean);
}

/**
 * berth image copy REMOTE:IMAGE local: — an image from a remote image server (simplestreams).
 */
export interface CopyImageRequest__Output {
  /**
   * The server's URL (http:// or https://host[:port][/path]).
   */
  'server': (string);
  /**
   * simplestreams (the one berth speaks to image servers).
   */
  'protocol': (string);
  /**
   * What to copy: an alias, a product id or a fingerprint (prefix) on the server.
   */
  'image': (string);
  /**
   * The server certificate's SHA-256 (hex), pinned when the remote was added; empty: checked
   * against the system's certificate authorities.
   */
  'certificateFingerprint': (string);
  /**
   * Local aliases to give it.
   */
  'aliases': (string)[];
  /**
   * Keep it up to date with the server (every images.auto_update_interval).
   */
  'autoUpdate': (boolean);
}
