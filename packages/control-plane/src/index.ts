// @berth/control-plane: the public API.
export * from './pki';
export * from './cluster';
export * from './placement';
