// A service's health check in the stack file (docs/manifest.md, "Health checks"): scs's own form
// (`health: {http | tcp | exec, ...}`) and Compose's (`healthcheck: {test, ...}`). The agent runs
// these itself, overriding the image's `healthcheck`; compile.ts turns either into a CompiledHealth.

import * as v from 'valibot';
import { DURATION_PATTERN, withUnit } from '../duration.ts';
import { isLabel } from '../names.ts';

const Duration = v.pipe(
  v.union([v.string(), v.number()], 'expected a duration like "2s"'),
  v.transform(String),
  v.regex(DURATION_PATTERN, 'expected a duration like "500ms", "5s", "2m" or "1h30m" (a bare number is seconds)'),
  v.transform(withUnit),
);
const Retries = v.pipe(
  v.number('expected a number of failures'),
  v.integer('expected a whole number'),
  v.minValue(1, 'expected at least 1'),
);
const EndpointLabel = v.pipe(
  v.string('expected a label of what the service provides, like "http"'),
  v.check((text) => isLabel(text.toLowerCase()), 'expected a label of what the service provides, like "http"'),
  v.transform((text) => text.toLowerCase()),
);

/** How often an instance that changes state is held out: more than `changes` changes `within` this long hold it out for `hold`. */
const Flap = v.strictObject(
  {
    changes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'expected at least 1 change')), 3),
    within: v.optional(Duration, '60s'),
    hold: v.optional(Duration, '30s'),
  },
  'expected {changes: 3, within: 60s, hold: 30s}',
);

const timing = {
  interval: v.optional(Duration, '2s'),
  timeout: v.optional(Duration, '2s'),
  retries: v.optional(Retries, 3),
  start_period: v.optional(Duration, '0s'),
  /** How often a new instance is checked until its first success (Docker's and Compose's `start_interval`). */
  start_interval: v.optional(Duration),
  flap: v.optional(Flap, {}),
};

export const HealthSchema = v.union(
  [
    v.strictObject({
      /** A path to GET: 200 to 399 passes. */
      http: v.pipe(v.string('expected a path like "/healthz"'), v.startsWith('/', 'expected a path like "/healthz"'), v.maxLength(2048)),
      /** Which provided endpoint to ask; by default the service's only one (or its first tcp one). */
      port: v.optional(EndpointLabel),
      ...timing,
    }),
    v.strictObject({ tcp: EndpointLabel, ...timing }),
    v.strictObject({
      exec: v.union(
        [v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.string()), v.minLength(1, 'expected a command'))],
        'expected a command: a string for the shell, or a list of arguments',
      ),
      ...timing,
    }),
  ],
  'expected a health check like {http: /healthz}, {tcp: mysql} or {exec: [mysqladmin, ping]}',
);
export type Health = v.InferOutput<typeof HealthSchema>;

/** Compose's `healthcheck`, with its defaults (30 s, 30 s, 3): run by the agent as an `exec` check. */
export const ComposeHealthcheckSchema = v.strictObject(
  {
    /** `["CMD", ...]`, `["CMD-SHELL", "..."]`, a string for the shell, or `["NONE"]` to disable the image's. */
    test: v.optional(
      v.union(
        [v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.string()), v.minLength(1))],
        'expected a test like ["CMD", "pg_isready"]',
      ),
    ),
    interval: v.optional(Duration, '30s'),
    timeout: v.optional(Duration, '30s'),
    retries: v.optional(Retries, 3),
    start_period: v.optional(Duration, '0s'),
    start_interval: v.optional(Duration),
    disable: v.optional(v.boolean('expected true or false')),
  },
  'expected a Compose healthcheck like {test: ["CMD", "pg_isready"], interval: 10s}',
);
export type ComposeHealthcheck = v.InferOutput<typeof ComposeHealthcheckSchema>;
