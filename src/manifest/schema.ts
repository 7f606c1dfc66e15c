// The two manifests, as valibot schemas. The image manifest (`scs.yaml`) says how an image works;
// the stack file (`scs-stack.yaml`) says how its services connect. docs/manifest.md explains each key.

import * as v from 'valibot';
import { parseHostPort } from '../address.ts';
import { pinnedSubnet } from '../cidr.ts';
import { DURATION_PATTERN, withUnit } from '../duration.ts';
import { isLabel } from '../names.ts';
import { AttributesSchema, PortSchema, ProtocolSchema } from '../protocol/fields.ts';
import { SPREAD_KEYS, SpreadGroupSchema } from '../protocol/placement.ts';
import { ComposeHealthcheckSchema, HealthSchema } from './health-schema.ts';

const Label = (example: string) =>
  v.pipe(
    v.string(`expected a name like "${example}"`),
    // Also a maxLength in the published JSON Schema, which cannot express the check below.
    v.maxLength(63, `expected a name like "${example}" of at most 63 characters`),
    v.check((text) => isLabel(text.toLowerCase()), `expected a name like "${example}" (letters, digits, inner hyphens)`),
    v.transform((text) => text.toLowerCase()),
  );

const SpreadKey = v.picklist(SPREAD_KEYS, 'expected zone, dc or host');

/** `500ms`, `5s`, `1h30m`, or a bare number of seconds (as Compose), kept with its unit: Docker's HEALTHCHECK wants one. */
const Duration = v.pipe(
  v.union([v.string(), v.number()], 'expected a duration like "5s"'),
  v.transform(String),
  v.regex(DURATION_PATTERN, 'expected a duration like "500ms", "5s", "2m" or "1h30m" (a bare number is seconds)'),
  v.transform(withUnit),
);
const Command = v.union([v.string(), v.array(v.string())], 'expected a command: a string for the shell, or a list of arguments');
const EnvMap = v.record(
  v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')),
  v.pipe(v.union([v.string(), v.number(), v.boolean()], 'expected a string, number or boolean'), v.transform(String)),
  'expected a map of variable names to values',
);

const BuildStep = v.union(
  [
    v.strictObject({ run: v.string('expected a shell command') }),
    v.strictObject({ copy: v.pipe(v.string(), v.regex(/^\S+\s+\S+$/, 'expected "SOURCE DESTINATION"')) }),
    v.strictObject({ workdir: v.string() }),
  ],
  'expected a build step: {run: "..."}, {copy: "SRC DEST"} or {workdir: "/path"}',
);

export const ImageManifestSchema = v.strictObject({
  /** Base image, e.g. scs-base:busybox. Either this (with `build`) or `dockerfile`. */
  from: v.optional(v.pipe(v.string('expected an image like "scs-base:busybox"'), v.minLength(1))),
  build: v.optional(v.array(BuildStep, 'expected a list of build steps'), []),
  /** The folder's own Dockerfile, used as it is. */
  dockerfile: v.optional(v.string()),
  provides: v.optional(v.record(Label('http'), v.strictObject({ port: PortSchema, protocol: v.optional(ProtocolSchema, 'tcp') })), {}),
  requires: v.optional(v.record(Label('mysql'), v.nullish(v.strictObject({ liveupdate: v.optional(Command) }), {})), {}),
  volumes: v.optional(v.record(Label('data'), v.pipe(v.string(), v.startsWith('/', 'expected an absolute path in the container'))), {}),
  command: v.optional(Command),
  env: v.optional(EnvMap, {}),
  healthcheck: v.optional(
    v.strictObject({
      test: Command,
      interval: v.optional(Duration, '2s'),
      timeout: v.optional(Duration, '2s'),
      retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
    }),
  ),
});
export type ImageManifest = v.InferOutput<typeof ImageManifestSchema>;

/** A shareable volume may be used by two containers at once, so it does not stop a make-before-break replacement. */
const Shareable = v.optional(v.boolean('expected true or false'), false);
const VolumeName = v.pipe(v.string(), v.regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'expected a volume name'));
const HostPath = v.pipe(v.string('expected an absolute host path'), v.startsWith('/', 'expected an absolute host path'));
const Volume = v.variant(
  'method',
  [
    v.strictObject({ method: v.literal('named'), name: v.optional(VolumeName), shareable: Shareable }),
    v.strictObject({ method: v.literal('local'), path: v.string('expected a host path'), shareable: Shareable }),
    /** A Docker volume on the local driver that mounts an NFS export (docs/volumes.md). */
    v.strictObject(
      {
        method: v.literal('nfs'),
        server: v.pipe(
          v.string('expected an NFS server like "nfs.internal"'),
          v.regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected an NFS server like "nfs.internal"'),
        ),
        path: v.pipe(
          v.string('expected an export path like "/exports/data"'),
          v.startsWith('/', 'expected an export path like "/exports/data"'),
        ),
        version: v.optional(
          v.pipe(
            v.union([v.string(), v.number()]),
            v.transform(String),
            v.picklist(['3', '4', '4.0', '4.1', '4.2'], 'expected 3, 4, 4.1 or 4.2'),
          ),
          '4',
        ),
        /** Extra mount options, comma-separated, e.g. "soft,timeo=50". */
        options: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_=.,-]+$/, 'expected mount options like "soft,timeo=50"'))),
        name: v.optional(VolumeName),
        shareable: Shareable,
      },
      'expected an NFS volume like {method: nfs, server: nfs.internal, path: /exports/data}',
    ),
    /** An EBS volume of this instance's availability zone, attached, mounted on the host and bound in (docs/volumes.md). */
    v.strictObject(
      {
        method: v.literal('aws-ec2-ebs'),
        size: v.pipe(
          v.number('expected a size in GiB'),
          v.integer('expected a whole number of GiB'),
          v.minValue(1, 'expected at least 1 GiB'),
        ),
        type: v.optional(
          v.picklist(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'], 'expected gp2, gp3, io1, io2, st1, sc1 or standard'),
          'gp3',
        ),
        iops: v.optional(
          v.pipe(
            v.number('expected IOPS as a number'),
            v.integer('expected a whole number of IOPS'),
            v.minValue(100, 'expected at least 100 IOPS'),
          ),
        ),
        encrypted: v.optional(v.boolean('expected true or false'), false),
        /** The device name asked for when attaching: where it appears on Xen instances. */
        device: v.optional(
          v.pipe(v.string(), v.regex(/^\/dev\/(sd|xvd)[f-p]$/, 'expected a device name from /dev/xvdf to /dev/xvdp')),
          '/dev/xvdf',
        ),
        filesystem: v.optional(v.picklist(['ext4', 'xfs'], 'expected ext4 or xfs'), 'ext4'),
        /** `blank`: a filesystem is made only on a disk of zeroes; `force`: also over data (docs/volumes.md). */
        format: v.optional(v.picklist(['blank', 'force'], 'expected blank or force'), 'blank'),
        /** Where the host mounts it; by default /var/lib/scs/ebs/<stack>-<env>-<service>-<label>. */
        mountpoint: v.optional(HostPath),
      },
      'expected an EBS volume like {method: aws-ec2-ebs, size: 10}',
    ),
  ],
  'expected a volume like {method: named}, {method: local, path: ./data}, {method: nfs, server: ..., path: ...} or {method: aws-ec2-ebs, size: 10}',
);

const Network = v.variant(
  'method',
  [
    v.strictObject({ method: v.picklist(['bridge', 'host']) }),
    /** An ENI of this instance's zone, attached and moved into the container as its only interface (docs/volumes.md). */
    v.strictObject(
      {
        method: v.literal('aws-ec2-eni'),
        subnet: v.pipe(
          v.string('expected a subnet id like "subnet-0abc"'),
          v.regex(/^subnet-[0-9a-z]+$/, 'expected a subnet id like "subnet-0abc"'),
        ),
        'security-groups': v.optional(
          v.array(
            v.pipe(v.string(), v.regex(/^sg-[0-9a-z]+$/, 'expected a security group id like "sg-0abc"')),
            'expected a list of security group ids',
          ),
          [],
        ),
        /** The attachment's device index on the instance (0 is the instance's own interface). */
        'device-index': v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, 'expected a device index of at least 1')), 1),
      },
      'expected an ENI network like {method: aws-ec2-eni, subnet: subnet-0abc}',
    ),
  ],
  'expected "bridge", "host" or "aws-ec2-eni"',
);

/**
 * `NAME: {file: PATH}`: a file on the host, mounted read-only at /run/secrets/NAME. With `generate: true`,
 * `scs up` writes a random one (0600) where there is none yet, so that no password need be committed.
 */
const Secrets = v.record(
  v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a secret name like "db-password" (letters, digits, ".", "_", "-")')),
  v.strictObject(
    {
      file: v.pipe(v.string('expected a host path like "./secrets/db"'), v.minLength(1, 'expected a host path like "./secrets/db"')),
      generate: v.optional(v.boolean('expected true or false')),
    },
    'expected {file: PATH, generate?: true}',
  ),
  'expected a map of secret names to {file: PATH}',
);

const ServiceSchema = v.strictObject({
  /** A folder holding scs.yaml, relative to the stack file. */
  image: v.pipe(v.string('expected a folder like "./web"'), v.minLength(1)),
  /** Build-time values: they become ENV in the image, so they are part of its hash. */
  config: v.optional(EnvMap, {}),
  /** Run-time environment: not part of the image. */
  env: v.optional(EnvMap, {}),
  /** Files mounted read-only at /run/secrets/NAME, for this service only. */
  secrets: v.optional(Secrets, {}),
  attributes: v.optional(AttributesSchema, {}),
  provides: v.optional(
    v.record(
      Label('http'),
      v.nullish(
        v.strictObject({
          attributes: v.optional(AttributesSchema, {}),
          /** A fixed host port, or `same`: the container's own port, so a fixed-port client works at the host's address too. */
          publish: v.optional(
            v.union(
              [
                PortSchema,
                v.literal('same'),
                v.strictObject({
                  port: v.optional(v.union([PortSchema, v.literal('same')], 'expected a port number or "same"')),
                  /** The host address it listens on: `0.0.0.0` opts in to every interface (by default loopback and the advertised address). */
                  address: v.pipe(v.string('expected an IP address like 0.0.0.0'), v.ip('expected an IP address like 0.0.0.0')),
                }),
              ],
              'expected a port number, "same", or { port, address }',
            ),
          ),
        }),
        {},
      ),
    ),
    {},
  ),
  requires: v.optional(
    v.record(
      Label('mysql'),
      v.strictObject({
        // Before the rename a requirement named the providing service by "role": say what it is called now.
        role: v.optional(
          v.pipe(
            v.never('"role" is now "service" (and a stack is named by "stack")'),
            v.description('Now "service"; a stack is named by "stack".'),
          ),
        ),
        service: Label('db'),
        stack: v.optional(Label('blog')),
        environment: v.optional(Label('prod')),
        endpoint: v.optional(Label('mysql')),
        filter: v.optional(AttributesSchema, {}),
        /** Nearest first (the default: same zone, then same dc, then the rest), or the registry's stable order alone. */
        order: v.optional(
          v.pipe(
            v.picklist(['nearest', 'stable'], 'expected nearest or stable'),
            v.description(
              'nearest (default): the endpoints in the same zone first, then the same dc, then the rest; stable: host and port order alone.',
            ),
          ),
        ),
      }),
    ),
    {},
  ),
  volumes: v.optional(v.record(Label('data'), Volume), {}),
  network: v.optional(Network, { method: 'bridge' as const }),
  restart: v.optional(
    v.picklist(['no', 'on-failure', 'always', 'unless-stopped'], 'expected no, on-failure, always or unless-stopped'),
    'on-failure',
  ),
  /** The agent's health check of each instance, in place of the image's (docs/manifest.md, "Health checks"). */
  health: v.optional(HealthSchema),
  /** Compose's form of it: `{test, interval, timeout, retries, start_period}`. */
  healthcheck: v.optional(ComposeHealthcheckSchema),
  /** How many instances run, each its own container and endpoint (Compose's `deploy.replicas`); 0 runs none. */
  replicas: v.optional(
    v.pipe(
      v.number('expected a number of instances like 2'),
      v.integer('expected a whole number of instances'),
      v.minValue(0, 'expected 0 or more instances'),
      v.maxValue(100, 'expected at most 100 instances'),
    ),
  ),
  /**
   * How its instances spread over the hosts that may run it (docs/manifest.md, "Spread"): `zone`,
   * `dc` or `host`, or `{by, over}` naming the groups it should run in.
   */
  spread: v.optional(
    v.union(
      [
        SpreadKey,
        v.strictObject({
          by: SpreadKey,
          over: v.optional(
            v.pipe(
              v.array(SpreadGroupSchema, 'expected over: to list zones, data centers or hosts'),
              v.minLength(1, 'expected over: to name at least one'),
              v.maxLength(16, 'expected over: to name at most 16'),
            ),
          ),
        }),
      ],
      'expected spread: zone, dc or host, or {by: zone, over: [us-east-1a, us-east-1b]}',
    ),
  ),
  /** How long a replaced container keeps serving after its endpoints are dropped. */
  drain: v.optional(Duration, '2s'),
  /**
   * The profiles it belongs to (docs/manifest.md, "Profiles"): it runs only when one of them is active
   * (`--profile`, SCS_PROFILES) or it is named on the command line. None: it always runs.
   */
  profiles: v.optional(
    v.pipe(
      v.array(Label('debug'), 'expected a list of profiles like [debug, tools]'),
      v.maxLength(16, 'expected at most 16 profiles'),
      v.description('The profiles it belongs to: it runs only when one of them is active (--profile, SCS_PROFILES), or when named.'),
    ),
  ),
  /**
   * Where it runs at first (docs/multi-host.md): a host's name, or `{host, attributes}` matching the
   * agents' attributes (`dc`, `az`). disco keeps it, and `scs move` changes it afterwards.
   */
  placement: v.optional(
    v.union(
      [
        Label('h1'),
        v.pipe(
          v.strictObject({ host: v.optional(Label('h1')), attributes: v.optional(AttributesSchema) }),
          v.check(
            (target) => target.host !== undefined || Object.keys(target.attributes ?? {}).length > 0,
            'expected a host or attributes',
          ),
        ),
      ],
      'expected a host name like "h1", or {host: h1} or {attributes: {dc: dc-a}}',
    ),
  ),
});

export const StackSchema = v.strictObject({
  name: Label('blog'),
  environment: v.optional(Label('prod'), 'default'),
  /** An external disco (HOST:PORT); without it `scs up` runs one embedded. */
  disco: v.optional(v.string()),
  /** The address other hosts and containers reach published ports at. */
  advertise: v.optional(v.string()),
  /**
   * DNS for the containers (docs/dns.md): served by the agent on the stack network's gateway, port 53.
   * `none` leaves containers with Docker's own; `upstreams` replaces the host's resolvers for other names.
   */
  dns: v.optional(
    v.union(
      [
        v.literal('none'),
        v.strictObject({
          upstreams: v.optional(
            v.pipe(v.array(v.pipe(v.string(), v.check(parses(parseHostPort), 'expected HOST:PORT like 10.0.0.2:53'))), v.minLength(1)),
          ),
        }),
      ],
      'expected "none" or { upstreams: [HOST:PORT, ...] }',
    ),
  ),
  /**
   * The stack network (docs/dns.md). `subnet` pins it (Docker picks one when absent), and with it the
   * gateway where the host DNS is served, so that a supervisor can hold that DNS socket before the
   * network exists (docs/production.md, the socket unit).
   */
  network: v.optional(
    v.strictObject({
      subnet: v.optional(
        v.pipe(
          v.string('expected an IPv4 subnet like "10.89.0.0/24"'),
          v.check(parses(pinnedSubnet), 'expected an IPv4 subnet from /8 to /29 like "10.89.0.0/24", its host bits zero'),
        ),
      ),
    }),
  ),
  /** Run-time environment of every service; a service's own `env` wins. */
  env: v.optional(EnvMap, {}),
  /** Files mounted read-only at /run/secrets/NAME in every service. */
  secrets: v.optional(Secrets, {}),
  services: v.record(Label('web'), ServiceSchema, 'expected a map of service names to services'),
});
export type Stack = v.InferOutput<typeof StackSchema>;
export type StackService = Stack['services'][string];

/** Whether `parse` takes the text: a check built from a parser that throws one sentence on bad input. */
function parses(parse: (text: string) => unknown): (text: string) => boolean {
  return (text) => {
    try {
      parse(text);
      return true;
    } catch {
      return false;
    }
  };
}
