#!/usr/bin/env node
// Prints jest's counts (written by deploy/jest-counts-reporter.js) as the closing line CI reads:
//   N passed, N failed, N skipped
// Usage: node deploy/jest-summary.js RESULTS.json
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
let results;
try {
  results = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`jest wrote no results to ${file} (setup or build failed before the tests ran)`);
  console.log('0 passed, 1 failed');
  process.exit(0);
}
// A suite that fails to load (syntax error, throw at import) has no tests but is a failure.
const brokenSuites = results.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
const failed = results.numFailedTests + brokenSuites;
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
