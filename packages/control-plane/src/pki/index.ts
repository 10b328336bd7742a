export * as der from './der';
export * from './certs';
export * from './tokens';
export * from './credentials';
