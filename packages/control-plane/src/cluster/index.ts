export * from './cluster-store';
