export * from './placement';
export * from './placer';
