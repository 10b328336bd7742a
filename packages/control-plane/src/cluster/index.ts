export * from './cluster-store';
export * from './groups';
export * from './trust-store';
export * from './images';
