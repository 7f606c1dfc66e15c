// Stack + image manifests → one compiled stack: everything resolved and defaulted, services in the
// order they must start, and each image tagged by a hash of everything that shapes it, so an
// unchanged image is never rebuilt and a changed one always is.

import type { Hash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, sep } from 'node:path';
import { contextFiles } from '../build-context.ts';
import { ConfigError } from '../config/yaml.ts';
import { parseDuration } from '../duration.ts';
import { formatName, parseName } from '../names.ts';
import { compileHealth } from './compile-health.ts';
import { instancesOf } from './compile-instances.ts';
import type {
  CompiledProvide,
  CompiledRequire,
  CompiledSecret,
  CompiledService,
  CompiledStack,
  CompiledVolume,
  EniOptions,
} from './compiled.ts';
import { type LoadedStack, loadImageManifest } from './load.ts';
import type { ImageManifest, Stack, StackService } from './schema.ts';

/** `same` publishes the container's port as the host port: A records then work with the image's port. */
const publishedPort = (publish: number | 'same' | { port?: number | 'same' } | undefined, port: number): number | undefined =>
  typeof publish === 'object' ? publishedPort(publish.port, port) : publish === 'same' ? port : publish;

const asArgs = (command: string | string[]) => (typeof command === 'string' ? ['/bin/sh', '-c', command] : command);

export interface CompileOptions {
  /**
   * false for the commands that only look (`scs ps`, `scs logs`): they never build nor run an image,
   * and hashing reads every file of every build context. Each image's tag and hash are then ''.
   */
  readonly hashImages?: boolean;
}

export function compile(loaded: LoadedStack, { hashImages = true }: CompileOptions = {}): CompiledStack {
  const { stack, directory, locate } = loaded;
  const fail = (path: Array<string | number>, message: string): never => {
    throw new ConfigError(`${locate(path)} ${path.join('.')}: ${message}`);
  };
  const services: CompiledService[] = [];
  const secretFiles = stackSecretFiles(stack, directory);
  for (const [serviceName, service] of Object.entries(stack.services)) {
    const context = resolve(directory, service.image);
    let manifest: ImageManifest;
    try {
      manifest = loadImageManifest(context);
    } catch (error) {
      if (error instanceof ConfigError && error.message.startsWith('no scs.yaml'))
        fail(['services', serviceName, 'image'], `no scs.yaml in ${service.image}`);
      throw error;
    }
    const compiled = compileService(
      stack.name,
      stack.environment,
      serviceName,
      service,
      manifest,
      { context, secretFiles, hashImages },
      directory,
      fail,
    );
    const env = { ...stack.env, ...compiled.container.env };
    const secrets = compileSecrets(stack, serviceName, service, directory, fail);
    services.push({ ...compiled, container: { ...compiled.container, env, secrets } });
  }
  return {
    stack: stack.name,
    environment: stack.environment,
    directory,
    files: loaded.files,
    disco: stack.disco,
    advertise: stack.advertise,
    dns: stack.dns === 'none' ? 'none' : { upstreams: stack.dns?.upstreams },
    subnet: stack.network?.subnet,
    services: startOrder(services, fail),
  };
}

function compileService(
  stackName: string,
  environment: string,
  serviceName: string,
  service: StackService,
  manifest: ImageManifest,
  { context, secretFiles, hashImages }: { context: string; secretFiles: ReadonlySet<string>; hashImages: boolean },
  directory: string,
  fail: (path: Array<string | number>, message: string) => never,
): CompiledService {
  const at = (...path: Array<string | number>) => ['services', serviceName, ...path];
  if (!manifest.from && !manifest.dockerfile)
    fail(at('image'), `${service.image}/scs.yaml needs "from" (with "build" steps) or "dockerfile"`);

  for (const endpoint of Object.keys(service.provides)) {
    if (!manifest.provides[endpoint])
      fail(
        at('provides', endpoint),
        `the image ${service.image} does not provide "${endpoint}" (it provides: ${Object.keys(manifest.provides).join(', ') || 'nothing'})`,
      );
  }
  for (const endpoint of Object.keys(service.requires)) {
    if (!(endpoint in manifest.requires))
      fail(
        at('requires', endpoint),
        `the image ${service.image} does not require "${endpoint}" (it requires: ${Object.keys(manifest.requires).join(', ') || 'nothing'})`,
      );
  }
  for (const endpoint of Object.keys(manifest.requires)) {
    if (!service.requires[endpoint])
      fail(
        at('requires'),
        `the image requires "${endpoint}": say which service provides it, e.g. requires: { ${endpoint}: { service: db } }`,
      );
  }
  for (const name of Object.keys(service.volumes)) {
    if (!manifest.volumes[name]) fail(at('volumes', name), `the image ${service.image} has no volume "${name}"`);
  }

  const dockerfile = manifest.dockerfile ? undefined : generateDockerfile(manifest, service.config);
  const dockerfilePath = manifest.dockerfile ?? 'Dockerfile.scs';
  const leaveOut = [...secretFiles].filter((file) => file.startsWith(`${context}${sep}`)).sort();
  const hash = hashImages ? imageHash(context, manifest, service.config, dockerfile, new Set(leaveOut)) : '';
  const provides: CompiledProvide[] = Object.entries(manifest.provides).map(([endpoint, spec]) => {
    const publish = service.provides[endpoint]?.publish;
    return {
      endpoint,
      name: formatName({ endpoint, service: serviceName, stack: stackName, environment }),
      port: spec.port,
      protocol: spec.protocol,
      publish: publishedPort(publish, spec.port),
      ...(typeof publish === 'object' ? { publishAddress: publish.address } : {}),
      attributes: { ...service.attributes, ...service.provides[endpoint]?.attributes },
    };
  });
  const requires: CompiledRequire[] = Object.entries(manifest.requires).map(([endpoint, spec]) => {
    const wiring = service.requires[endpoint]!;
    return {
      endpoint,
      name: formatName({
        endpoint: wiring.endpoint ?? endpoint,
        service: wiring.service,
        stack: wiring.stack ?? stackName,
        environment: wiring.environment ?? environment,
      }),
      filter: wiring.filter,
      liveupdate: spec?.liveupdate === undefined ? undefined : asArgs(spec.liveupdate),
      ...(wiring.order ? { order: wiring.order } : {}),
    };
  });
  const volumes = Object.entries(service.volumes).map(([name, volume]) =>
    compileVolume(
      { stack: stackName, environment, service: serviceName, name },
      manifest.volumes[name]!,
      volume,
      directory,
      (path, message) => fail(at('volumes', name, ...path), message),
    ),
  );
  return {
    name: serviceName,
    image: { tag: hash && `scs/${stackName}-${serviceName}:${hash.slice(0, 16)}`, hash, context, dockerfile, dockerfilePath, leaveOut },
    container: {
      name: `scs-${stackName}-${environment}-${serviceName}`,
      env: { ...service.env, SCS_ENVIRONMENT: environment, SCS_STACK: stackName, SCS_SERVICE: serviceName },
      ...containerNetwork(stackName, environment, serviceName, service.network),
      restart: service.restart,
      volumes,
      secrets: [],
      healthcheck: manifest.healthcheck ? asArgs(manifest.healthcheck.test) : undefined,
    },
    provides,
    requires,
    replace: { ...replaceOrder(volumes, provides, service.network.method), drainMs: parseDuration(service.drain) },
    dependsOn: requires
      .map((r) => parseName(r.name))
      .filter((name) => name.stack === stackName && name.environment === environment)
      .map((name) => name.service),
    ...healthOf(service, provides, manifest, (path, message) => fail(at(...path), message)),
    ...instancesOf(service, provides, volumes, (path, message) => fail(at(...path), message)),
  };
}

function healthOf(
  service: StackService,
  provides: CompiledProvide[],
  manifest: ImageManifest,
  fail: (path: Array<string | number>, message: string) => never,
): { health?: CompiledService['health'] } {
  const imageTest = manifest.healthcheck ? asArgs(manifest.healthcheck.test) : undefined;
  const health = compileHealth(service, provides, imageTest, fail);
  return health ? { health } : {};
}

function containerNetwork(
  stack: string,
  environment: string,
  serviceName: string,
  network: StackService['network'],
): { network: 'bridge' | 'host' | 'none'; eni?: EniOptions } {
  if (network.method !== 'aws-ec2-eni') return { network: network.method };
  const tags = { 'scs:stack': stack, 'scs:environment': environment, 'scs:service': serviceName };
  return {
    network: 'none',
    eni: { subnet: network.subnet, securityGroups: network['security-groups'], deviceIndex: network['device-index'], tags },
  };
}

/** One volume as its provisioner needs it: where it comes from, with its method's settings. */
function compileVolume(
  owner: { stack: string; environment: string; service: string; name: string },
  target: string,
  volume: StackService['volumes'][string],
  directory: string,
  fail: (path: Array<string | number>, message: string) => never,
): CompiledVolume {
  const { name } = owner;
  const defaultName = `${owner.stack}-${owner.environment}-${owner.service}-${name}`;
  switch (volume.method) {
    case 'named':
      return { name, target, method: 'named', shareable: volume.shareable, source: volume.name ?? defaultName };
    case 'local':
      return { name, target, method: 'local', shareable: volume.shareable, source: resolve(directory, volume.path) };
    case 'nfs': {
      const nfs = { server: volume.server, path: volume.path, version: volume.version, options: volume.options };
      return { name, target, method: 'nfs', shareable: volume.shareable, source: volume.name ?? defaultName, nfs };
    }
    case 'aws-ec2-ebs': {
      if (volume.iops !== undefined && !['io1', 'io2', 'gp3'].includes(volume.type))
        fail(['iops'], `a ${volume.type} volume has no settable IOPS (only gp3, io1 and io2 do)`);
      if (volume.iops === undefined && (volume.type === 'io1' || volume.type === 'io2'))
        fail(['iops'], `an ${volume.type} volume needs iops, e.g. iops: 3000`);
      const tags = { 'scs:stack': owner.stack, 'scs:environment': owner.environment, 'scs:service': owner.service, 'scs:volume': name };
      const ebs = {
        size: volume.size,
        type: volume.type,
        iops: volume.iops,
        encrypted: volume.encrypted,
        device: volume.device,
        filesystem: volume.filesystem,
        format: volume.format,
        tags,
      };
      // One instance at a time: an EBS volume is never shared, so its service is replaced stop-first.
      return { name, target, method: 'aws-ec2-ebs', shareable: false, source: volume.mountpoint ?? `/var/lib/scs/ebs/${defaultName}`, ebs };
    }
  }
}

/** Two containers of a service can run side by side unless they would share what only one may hold. */
function replaceOrder(
  volumes: CompiledVolume[],
  provides: CompiledProvide[],
  network: StackService['network']['method'],
): { order: 'start-first' | 'stop-first'; why?: string } {
  const exclusive = volumes.find((volume) => !volume.shareable);
  if (exclusive) return { order: 'stop-first', why: `volume ${exclusive.name} is not shareable` };
  const fixed = provides.find((provide) => provide.publish !== undefined);
  if (fixed) return { order: 'stop-first', why: `${fixed.endpoint} is published on fixed port ${fixed.publish}` };
  if (network === 'host') return { order: 'stop-first', why: 'it uses the host network' };
  if (network === 'aws-ec2-eni') return { order: 'stop-first', why: 'its ENI is in one container at a time' };
  return { order: 'start-first' };
}

export function generateDockerfile(manifest: ImageManifest, config: Record<string, string>): string {
  const lines = [`FROM ${manifest.from}`];
  for (const [key, value] of Object.entries(config)) lines.push(`ENV ${key}=${JSON.stringify(value)}`);
  for (const step of manifest.build) {
    if ('run' in step) lines.push(`RUN ${step.run}`);
    else if ('copy' in step) lines.push(`COPY ${step.copy}`);
    else lines.push(`WORKDIR ${step.workdir}`);
  }
  for (const [key, value] of Object.entries(manifest.env)) lines.push(`ENV ${key}=${JSON.stringify(value)}`);
  for (const spec of Object.values(manifest.provides)) lines.push(`EXPOSE ${spec.port}/${spec.protocol}`);
  for (const path of Object.values(manifest.volumes)) lines.push(`VOLUME ${JSON.stringify([path])}`);
  if (manifest.healthcheck) {
    const { test, interval, timeout, retries } = manifest.healthcheck;
    lines.push(`HEALTHCHECK --interval=${interval} --timeout=${timeout} --retries=${retries} CMD ${JSON.stringify(asArgs(test))}`);
  }
  if (manifest.command) lines.push(`CMD ${JSON.stringify(asArgs(manifest.command))}`);
  return `${lines.join('\n')}\n`;
}

/** Every file of the build context, sorted, with the manifest and the generated Dockerfile. */
export function imageHash(
  context: string,
  manifest: ImageManifest,
  config: Record<string, string>,
  dockerfile: string | undefined,
  leaveOut: ReadonlySet<string> = new Set(),
): string {
  // node:crypto loads here, when an image is hashed, not with every command that compiles a stack to look at it.
  const hash = createRequire(import.meta.url)('node:crypto').createHash('sha256') as Hash;
  hash.update(JSON.stringify({ version: 1, manifest, config, dockerfile }));
  for (const file of contextFiles(context, leaveOut)) {
    hash.update(`\u0000${file}\u0000`);
    hash.update(readFileSync(join(context, file)));
  }
  return hash.digest('hex');
}

/** Every secret file the stack names, anywhere in it: none of them may go into an image. */
function stackSecretFiles(stack: Stack, directory: string): Set<string> {
  const declared = [stack.secrets, ...Object.values(stack.services).map((service) => service.secrets)];
  return new Set(declared.flatMap((secrets) => Object.values(secrets).map((secret) => resolve(directory, secret.file))));
}

/** The stack's secrets and the service's own (which win by name), each checked to be a readable file now. */
function compileSecrets(
  stack: Stack,
  serviceName: string,
  service: StackService,
  directory: string,
  fail: (path: Array<string | number>, message: string) => never,
): CompiledSecret[] {
  const declared = new Map<string, { file: string; generate: boolean; at: Array<string | number> }>();
  for (const [name, secret] of Object.entries(stack.secrets))
    declared.set(name, { file: secret.file, generate: secret.generate === true, at: ['secrets', name, 'file'] });
  for (const [name, secret] of Object.entries(service.secrets))
    declared.set(name, { file: secret.file, generate: secret.generate === true, at: ['services', serviceName, 'secrets', name, 'file'] });
  return [...declared].map(([name, { file, generate, at }]) => {
    const source = resolve(directory, file);
    let isFile = false;
    try {
      isFile = statSync(source).isFile();
    } catch {
      // `scs up` makes a missing one that is to be generated.
      if (!generate) fail(at, `no such file ${file} (${source})`);
      isFile = true;
    }
    if (!isFile) fail(at, `expected a file, but ${file} (${source}) is not one`);
    return { name, source, target: `/run/secrets/${name}`, ...(generate ? { generate } : {}) };
  });
}

function startOrder(services: CompiledService[], fail: (path: Array<string | number>, message: string) => never): CompiledService[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const ordered: CompiledService[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (service: CompiledService, chain: string[]) => {
    if (state.get(service.name) === 'done') return;
    if (state.get(service.name) === 'visiting')
      fail(['services', service.name, 'requires'], `dependency cycle: ${[...chain, service.name].join(' → ')}`);
    state.set(service.name, 'visiting');
    for (const name of service.dependsOn) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency, [...chain, service.name]);
    }
    state.set(service.name, 'done');
    ordered.push(service);
  };
  for (const service of services) visit(service, []);
  return ordered;
}

/** `placement: h1` or `{host, attributes}`, as the target disco keeps. */
