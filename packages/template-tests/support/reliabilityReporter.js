// Jest reporter: creates the folder where packages/template-tests/support/captureRun.ts and the reliability tests
// record the run, then, when the run is complete, scans every captured line for credentials and
// prints the reliability figures. A secret found fails the run (getLastError); the report names
// the test file, test and output stream, never the secret.
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');
const {
  findSecrets,
  indexSecrets,
  RUN_DIR_VARIABLE,
} = require('@cross-account-lambda/offline/testing/secretScanner');

function readRecords(dir, kind) {
  const records = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${kind}-`)) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line !== '') records.push(JSON.parse(line));
    }
  }
  return records;
}

function scan(dir) {
  const secrets = readRecords(dir, 'secrets');
  const index = indexSecrets(secrets);
  const outputs = readRecords(dir, 'output');
  const findings = [];
  let bytes = 0;
  for (const { file, test, source, text } of outputs) {
    bytes += text.length;
    for (const kind of findSecrets(text, index)) findings.push({ file, test, source, kind });
  }
  const tracked = new Set(secrets.map((secret) => secret.hashes[0])).size;
  return { findings, chunks: outputs.length, bytes, tracked };
}

const sum = (values) => values.reduce((total, value) => total + value, 0);
const countsOf = (entries) =>
  entries
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');

function figures(dir, scanned) {
  const records = readRecords(dir, 'figures');
  const faults = records.filter((record) => record.figure === 'fault');
  const byKind = {};
  for (const fault of faults) {
    for (const [kind, count] of Object.entries(fault.injected)) {
      if (kind !== 'total') byKind[kind] = (byKind[kind] ?? 0) + count;
    }
  }
  const recovered = faults.filter((fault) => fault.outcome === 'recovered').length;
  const events = records.filter((record) => record.figure === 'events');
  const generated = sum(events.map((record) => record.generated));
  const valid = sum(events.map((record) => record.valid));
  const configs = records.filter((record) => record.figure === 'badConfig');
  const byVariable = {};
  for (const { variable, tried } of configs)
    byVariable[variable] = (byVariable[variable] ?? 0) + tried;
  const megabytes = (scanned.bytes / 1024 / 1024).toFixed(1);
  return [
    'Reliability figures',
    `  faults injected  ${sum(Object.values(byKind))} in ${faults.length} scenarios: ${recovered} survived (invocation succeeded), ${faults.length - recovered} failed clearly (bounded, actionable message)`,
    `                   ${countsOf(Object.entries(byKind)) || 'none'}`,
    `  events generated ${generated}: ${valid} valid, ${generated - valid} rejected naming the field, 0 unhandled`,
    `  bad configs      ${sum(Object.values(byVariable))} across ${Object.keys(byVariable).length} variables, each a ConfigError at cold start`,
    `                   ${countsOf(Object.entries(byVariable)) || 'none'}`,
    `  secrets found    ${scanned.findings.length} (scanned ${scanned.chunks} captured outputs, ${megabytes} MB; ${scanned.tracked} issued or fixture secrets tracked)`,
  ].join('\n');
}

class ReliabilityReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.dir = undefined;
    this.error = undefined;
  }

  onRunStart() {
    // Jest starts its workers after this, and they inherit the environment.
    this.dir = mkdtempSync(join(tmpdir(), 'jest-reliability-'));
    process.env[RUN_DIR_VARIABLE] = this.dir;
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const scanned = scan(this.dir);
    const lines = [figures(this.dir, scanned)];
    const problems = [];
    const uncaptured = this.uncapturedFiles(results);
    if (uncaptured.length > 0) {
      lines.push(...uncaptured.map((file) => `  not captured: ${file}`));
      problems.push(
        'test files ran without capture; is packages/template-tests/support/captureRun.ts in setupFilesAfterEnv?',
      );
    }
    if (scanned.findings.length > 0) {
      const shown = new Set(
        scanned.findings.map(
          ({ file, test, source, kind }) => `  ${kind} in ${file} > ${test} (${source})`,
        ),
      );
      lines.push(...shown);
      problems.push(`${scanned.findings.length} secret(s) in the test output`);
    }
    if (problems.length > 0) {
      lines.push(`  captured output kept in ${this.dir}`);
      this.error = new Error(`secret scan: ${problems.join('; ')}`);
    }
    process.stderr.write(`\n${lines.join('\n')}\n`);
    if (this.error) process.stderr.write(`${this.error.message}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /** Test files that ran (loaded without error) but that captureRun.ts did not record. */
  uncapturedFiles(results) {
    const captured = new Set(readRecords(this.dir, 'files').map((record) => record.file));
    return results.testResults
      .filter((result) => result.testExecError === undefined)
      .map((result) => relative(this.rootDir, result.testFilePath))
      .filter((file) => !captured.has(file));
  }

  getLastError() {
    return this.error;
  }
}

module.exports = ReliabilityReporter;
