// @berth/control-plane: the public API.
export * from './pki';
