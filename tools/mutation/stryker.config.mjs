// StrykerJS plants small bugs (mutants) in the source and runs the tests that cover each one; a
// mutant that no test notices marks a gap. A report, not part of CI. `MUTATE=names npm run
// mutation` (tools/mutation/run.ts) runs the chosen folders in as few Stryker runs as their options
// allow and prints a table; by hand, `MUTATE=registry npx stryker run tools/mutation/stryker.config.mjs`
// does one folder. Every run shares one incremental file (git-ignored), so a run only retries
// mutants whose code or tests changed, and keeps the results of every file it does not mutate.

// The folders, by name: folders.json, shared with run.ts. A folder marked
// ignoreStatic leaves out its static mutants (code run when a module loads: constants, schemas),
// which Stryker can only test by running every test in the run, integration tests included, for
// each one: server's, etcd's and client's would take hours on 2 cores (docs/testing.md).
import FOLDERS from './folders.json' with { type: 'json' };

const chosen = (process.env.MUTATE ?? Object.keys(FOLDERS).join(',')).split(',').filter(Boolean);
for (const name of chosen) {
  if (!FOLDERS[name]) throw new Error(`MUTATE: unknown folder "${name}" (known: ${Object.keys(FOLDERS).join(', ')})`);
}
const scope = chosen.join('-');

// Stryker reads the patterns in turn, a `!` taking out files added before it: a folder that takes
// files out (connections: the rest of src/server) goes first, so that it cannot take out another
// folder's. Two such folders in one run could, so they are refused.
const negates = (name) => FOLDERS[name].mutate.some((pattern) => pattern.startsWith('!'));
if (chosen.filter(negates).length > 1) {
  throw new Error(`MUTATE: ${chosen.filter(negates).join(' and ')} both take files out with "!"; run them one at a time`);
}
const mutate = [...chosen.filter(negates), ...chosen.filter((name) => !negates(name))].flatMap((name) => FOLDERS[name].mutate);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'tools/mutation/stryker.vitest.config.ts', related: true },
  // perTest: each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  mutate,
  ignoreStatic: chosen.every((name) => FOLDERS[name].ignoreStatic === true),
  // Four test runners on 2 cores: the tests mostly wait on timers (heartbeats, grace periods), so
  // the cores sit idle at 2 (load average under 1). A folder whose tests keep the cores busy (etcd's
  // start a three-member cluster each) says how many it can take in folders.json.
  concurrency: Math.min(...chosen.map((name) => FOLDERS[name].concurrency ?? 4)),
  // Integration tests wait on heartbeats and grace periods; a mutant that breaks them must time out, not hang.
  timeoutMS: 10_000,
  // The first test run of every related test takes about 4 minutes when src/names.ts is mutated, and
  // more on a busy machine: Stryker's default of 5 stopped one at 5 minutes.
  dryRunTimeoutMinutes: 20,
  incremental: true,
  // Results are not kept in git: each clone builds its own (tools/mutation/run.ts names it too).
  incrementalFile: '.cache/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${scope}.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  thresholds: { high: 90, low: 80, break: null },
  // Stryker copies the project into a sandbox for each run; it always leaves out /reports, and
  // .cache holds nothing the tests read.
  ignorePatterns: ['/.cache'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
