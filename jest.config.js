// Jest runs the compiled tests (dist/**/*.test.js): what is tested is what ships.
// `npm test` builds first (deploy/prepare).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/proto', '<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/dist/**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/'],
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/src/', '<rootDir>/proto/src/'],
  maxWorkers: 2,
  testTimeout: 120000,
  // Removes and reports whatever tests left on the host (test/support/leftovers.ts).
  globalTeardown: '<rootDir>/test/dist/support/global-teardown.js',
  reporters: ['default', '<rootDir>/deploy/jest-counts-reporter.js'],
};
