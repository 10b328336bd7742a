// A jest reporter that writes the run's counts to .jest-results.json as soon as the tests
// end, before the global teardown runs: the teardown fails the run when tests left
// something on the host, and jest's own --outputFile would then never be written.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

class CountsReporter {
  constructor(globalConfig) {
    this.file = path.join(globalConfig.rootDir, '.jest-results.json');
  }

  onRunComplete(_contexts, results) {
    const out = {
      numPassedTests: results.numPassedTests,
      numFailedTests: results.numFailedTests,
      numPendingTests: results.numPendingTests,
      numTodoTests: results.numTodoTests,
      numFailedTestSuites: results.numFailedTestSuites,
      numRuntimeErrorTestSuites: results.numRuntimeErrorTestSuites,
      testResults: results.testResults.map((s) => ({
        name: path.relative(path.dirname(this.file), s.testFilePath),
        status: s.failureMessage || s.testExecError ? 'failed' : 'passed',
        assertionResults: s.testResults.map((t) => ({ title: t.fullName, status: t.status })),
      })),
    };
    fs.writeFileSync(this.file, JSON.stringify(out, null, 1));
  }
}

module.exports = CountsReporter;
