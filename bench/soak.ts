// npm run soak -- --minutes N --seed S [--blog]: the chaos soak on the multi-host harness (see docs/multi-host.md).
// Needs root and the harness; hold /tmp/scs-harness.lock while it runs. Exits 1 on any violation.

import cac from 'cac';
import * as v from 'valibot';
import { harnessProblem } from '../test/helpers/harness.ts';
import { report, violationCount } from './soak/report.ts';
import { soak } from './soak/run.ts';

const Options = v.object({
  blog: v.optional(v.boolean('--blog: a flag, with no value')),
  minutes: v.pipe(v.number('--minutes: expected a number of minutes'), v.minValue(0.1), v.maxValue(24 * 60)),
  record: v.optional(v.string('--record: expected a file')),
  seed: v.pipe(v.number('--seed: expected an integer'), v.integer('--seed: expected an integer'), v.minValue(0), v.maxValue(2 ** 32 - 1)),
});

const cli = cac('soak');
cli.option('--minutes <n>', 'How long to inject faults', { default: 3 }).option('--seed <n>', 'The seed of the faults', { default: 1 });
cli.option('--blog', 'Run the blog too (db on h1, backup on h2, web on h3), with a writer, and judge I4');
cli.option(
  '--record <file>',
  "Write the whole timeline (truth, samples, events) to this JSON file, and every daemon's and agent's log to <file>.logs/",
);
const parsed = v.safeParse(Options, cli.parse().options);
if (!parsed.success) {
  console.error(parsed.issues[0].message);
  process.exit(2);
}
const problem = harnessProblem();
if (problem) {
  console.error(`the soak runs on the harness, which cannot run here: ${problem}`);
  process.exit(2);
}
const outcome = await soak(parsed.output);
console.info(report(outcome));
process.exit(violationCount(outcome) === 0 ? 0 : 1);
