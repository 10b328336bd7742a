export * from './placement';
export * from './placer';
export * from './limits';
export * from './request';
export * from './trace';
