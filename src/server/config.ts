// `scs disco --config disco.yaml`: the server's settings, validated at the edge.

import * as v from 'valibot';
import { parseHostPort } from '../address.ts';
import { parseCidr } from '../cidr.ts';
import { MAX_PLACE_RULES } from '../dns/places.ts';
import { parseDuration } from '../duration.ts';
import { AttributesSchema, PatternSchema } from '../protocol/fields.ts';
import { EtcdConfigSchema } from './etcd-settings.ts';

const Address = (anyPort: boolean) =>
  v.pipe(
    v.string('expected an address like 127.0.0.1:8600'),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return parseHostPort(dataset.value, { anyPort });
      } catch (error) {
        addIssue({ message: (error as Error).message });
        return NEVER;
      }
    }),
  );

// A bare number is seconds, in YAML (`grace: 30`) as on the command line.
const Duration = v.pipe(
  v.union([v.string(), v.number()], 'expected a duration like "5s"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return parseDuration(String(dataset.value));
    } catch (error) {
      addIssue({ message: (error as Error).message });
      return NEVER;
    }
  }),
);

const Count = v.pipe(v.number('expected a number'), v.safeInteger('expected a whole number'), v.minValue(1, 'expected 1 or more'));

const ZoneName = v.pipe(
  v.string('expected a zone name like "disco"'),
  v.regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i,
    'expected a zone name like "disco" or "east.disco"',
  ),
);

const Network = v.pipe(
  v.string('expected a network like "10.0.0.0/8"'),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return parseCidr(dataset.value);
    } catch (error) {
      addIssue({ message: (error as Error).message });
      return NEVER;
    }
  }),
);

/** A zone or dc, as an endpoint's attribute value holds it. */
const PlaceName = v.pipe(
  v.string('expected a name like "us-east-1a"'),
  v.minLength(1, 'expected a name like "us-east-1a"'),
  v.maxLength(200),
);

const FilePath = v.pipe(v.string('expected a file path'), v.minLength(1, 'expected a file path'));

/** Short tokens can be guessed; 16 characters is what `openssl rand -hex 8` gives. */
export const MIN_TOKEN_LENGTH = 16;
const TokenText = v.pipe(
  v.string('expected a token'),
  v.minLength(MIN_TOKEN_LENGTH, `expected a token of at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 16 makes one)`),
);

const Patterns = v.optional(v.array(PatternSchema, 'expected a list of names or patterns like ["*.db.blog.prod"]'), []);

const TokenEntry = v.pipe(
  v.strictObject({
    token: v.optional(TokenText),
    tokenFile: v.optional(FilePath),
    provide: Patterns,
    require: Patterns,
    /** What it may watch without taking part: members, status, events, metrics and the web view. */
    observe: Patterns,
    /** The services whose placement it may set (`scs up`, `scs move`), as `*.SERVICE.STACK.ENV` patterns. */
    place: Patterns,
  }),
  v.check((entry) => (entry.token === undefined) !== (entry.tokenFile === undefined), 'expected exactly one of "token" and "tokenFile"'),
);

export const DiscoConfigSchema = v.strictObject({
  listen: v.optional(Address(true)),
  /** The HTTP listener of /health, /ready and /metrics (docs/observe.md); off when absent. */
  http: v.optional(Address(true)),
  /** PEM files; with `ca`, clients must present a certificate it signed. */
  tls: v.optional(v.strictObject({ cert: FilePath, key: FilePath, ca: v.optional(FilePath) })),
  /** Who may provide and require what; without it, every client may do everything. */
  tokens: v.optional(
    v.array(TokenEntry, 'expected a list of tokens like [{ tokenFile: ..., provide: [...], require: [...], observe: [...] }]'),
  ),
  /** Keep the registry in this etcd cluster, shared by every disco server given the same (docs/ha.md). */
  etcd: v.optional(EtcdConfigSchema),
  heartbeat: v.optional(v.strictObject({ interval: v.optional(Duration), timeout: v.optional(Duration) })),
  grace: v.optional(Duration),
  limits: v.optional(
    v.strictObject({
      /** Open connections in total, and from one source address. */
      connections: v.optional(Count),
      connectionsPerSource: v.optional(Count),
      /** Time to say `hello`, and to finish a line once begun. */
      helloTimeout: v.optional(Duration),
      lineTimeout: v.optional(Duration),
      /** Provisions held by one session, by the sessions of one token, and by the server. */
      provisionsPerSession: v.optional(Count),
      provisionsPerToken: v.optional(Count),
      provisions: v.optional(Count),
      /** Open TCP connections to the DNS port, in total and from one source address. */
      dnsConnections: v.optional(Count),
      dnsConnectionsPerSource: v.optional(Count),
      /** Encoded DNS replies kept for reuse. */
      dnsCacheEntries: v.optional(Count),
    }),
  ),
  dns: v.optional(
    v.strictObject({
      /** An address, or "off". */
      listen: v.optional(v.union([v.literal('off'), Address(true)], 'expected an address like 127.0.0.1:8600, or "off"')),
      ttl: v.optional(Duration),
      /** The TTL of NXDOMAIN and NODATA; and how long a name that lost its last record answers NODATA. */
      negativeTtl: v.optional(Duration),
      tombstone: v.optional(Duration),
      recursors: v.optional(v.array(Address(false), 'expected a list of addresses like ["127.0.0.1:53"]')),
      /** Who may have names outside the zones forwarded to the recursors. */
      recursion: v.optional(v.strictObject({ allow: v.array(Network, 'expected a list of networks like ["10.0.0.0/8", "127.0.0.0/8"]') })),
      /** Where askers are, by source network: SRV priorities put each one's nearest endpoints first (docs/dns.md). */
      places: v.optional(
        v.pipe(
          v.array(
            v.pipe(
              v.strictObject({ network: Network, zone: v.optional(PlaceName), dc: v.optional(PlaceName) }),
              v.check((rule) => rule.zone !== undefined || rule.dc !== undefined, 'expected a zone, a dc, or both'),
            ),
            'expected a list like [{ network: "10.1.0.0/16", zone: "us-east-1a", dc: "east" }]',
          ),
          v.maxLength(MAX_PLACE_RULES, `expected at most ${MAX_PLACE_RULES} networks`),
        ),
      ),
      zones: v.optional(
        v.pipe(
          v.array(v.strictObject({ name: ZoneName, filter: v.optional(AttributesSchema) }), 'expected a list of zones'),
          v.minLength(1, 'expected at least one zone'),
        ),
      ),
    }),
  ),
});

export type DiscoConfig = v.InferOutput<typeof DiscoConfigSchema>;
