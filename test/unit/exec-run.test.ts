// `scs exec` and `scs run` as pure pieces: the words after SERVICE left to the command, the choice of
// container, the flags they share with Docker, and what a one-off container is.

import { cac } from 'cac';
import { describe, expect, it } from 'vitest';
import { separateCommand, VERBS_WITH_A_COMMAND } from '../../cli/arguments.ts';
import { registerExec } from '../../cli/exec.ts';
import { registerRun } from '../../cli/run.ts';
import { commandOf, parseEnvFlags, parseInstance } from '../../src/agent/command-flags.ts';
import type { ContainerSummary } from '../../src/agent/container-engine.ts';
import { execTarget } from '../../src/agent/exec-target.ts';
import { LogStream } from '../../src/agent/log-stream.ts';
import { oneOffName, oneOffSpec, requiredEndpoints } from '../../src/agent/one-off.ts';
import { containerSpec } from '../../src/agent/spec.ts';
import type { ServiceRecord } from '../../src/agent/state.ts';
import type { Endpoint } from '../../src/client/client.ts';
import { isOneOff, serviceLabelOf } from '../../src/docker/labels.ts';
import { EXIT, UsageError, UserError } from '../../src/errors.ts';
import { ENVIRONMENT, STACK, service } from '../helpers/compiled.ts';
import { FakeEngine } from '../helpers/fake-engine.ts';

describe('the words after SERVICE', () => {
  it('reach the command untouched, with or without --', () => {
    expect(separateCommand(['exec', 'web', 'ls', '-la'])).toEqual(['exec', 'web', '--', 'ls', '-la']);
    expect(separateCommand(['exec', 'web', 'sh', '-c', 'echo $HOME'])).toEqual(['exec', 'web', '--', 'sh', '-c', 'echo $HOME']);
    expect(separateCommand(['exec', 'web', '--', 'sh', '-c', 'echo $HOME'])).toEqual(['exec', 'web', '--', 'sh', '-c', 'echo $HOME']);
    // A command's own -p and -f are not the project and the file.
    expect(separateCommand(['exec', 'web', 'ps', '-p', '1', '-f'])).toEqual(['exec', 'web', '--', 'ps', '-p', '1', '-f']);
  });

  it("skip the verb's own options and their values, and the global ones before the verb", () => {
    expect(separateCommand(['-f', 'x.yaml', 'exec', '--instance', '2', '-T', '-e', 'A=1', '-u', 'root', 'web', 'id'])).toEqual([
      '-f',
      'x.yaml',
      'exec',
      '--instance',
      '2',
      '-T',
      '-e',
      'A=1',
      '-u',
      'root',
      'web',
      '--',
      'id',
    ]);
    expect(separateCommand(['run', '--no-rm', '--entrypoint', 'sh', 'client', '-c', 'exit 4'])).toEqual([
      'run',
      '--no-rm',
      '--entrypoint',
      'sh',
      'client',
      '--',
      '-c',
      'exit 4',
    ]);
    expect(separateCommand(['run', 'client'])).toEqual(['run', 'client']);
  });

  it('are left alone for the other verbs', () => {
    expect(separateCommand(['logs', '-f', 'web'])).toEqual(['logs', '-f', 'web']);
    expect(separateCommand(['--disco', 'exec', 'ls', '-la'])).toEqual(['--disco', 'exec', 'ls', '-la']);
  });

  it('know every option of exec and run that takes a value, as the verbs register them', () => {
    for (const [verb, register] of [
      ['exec', registerExec],
      ['run', registerRun],
    ] as const) {
      const cli = cac('scs');
      register(cli);
      cli.option('--disco <host:port,...>', '').option('--ansi <when>', '');
      const valued = [...cli.commands, cli.globalCommand]
        .flatMap((command) => command.options)
        .filter((option) => /[<[]/.test(option.rawName))
        .flatMap((option) => option.rawName.split(/[\s,]+/).filter((name) => name.startsWith('-')));
      expect(new Set(valued)).toEqual(VERBS_WITH_A_COMMAND[verb]);
    }
  });

  it('make the command, from what cac read and what came after --', () => {
    expect(commandOf([], ['sh', '-c', 'exit 3'])).toEqual(['sh', '-c', 'exit 3']);
    expect(commandOf(['cat'], undefined)).toEqual(['cat']);
  });
});

describe('the flags exec and run share with docker', () => {
  it('-e NAME=value, and -e NAME passing this one on when it is set', () => {
    expect(parseEnvFlags(['A=1', 'B=x=y', 'C=', 'HOME', 'UNSET_HERE', 'A=2'], { HOME: '/root' })).toEqual({
      A: '2',
      B: 'x=y',
      C: '',
      HOME: '/root',
    });
    expect(() => parseEnvFlags(['=1'])).toThrow(UsageError);
    expect(() => parseEnvFlags(['1A=1'])).toThrow(/-e: "1A=1" is not NAME=value/);
  });

  it('--instance is a whole number from 1', () => {
    expect(parseInstance(undefined)).toBe(1);
    expect(parseInstance('2')).toBe(2);
    expect(parseInstance(3)).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => parseInstance(bad)).toThrow(UsageError);
  });
});

describe('the container scs exec runs a command in', () => {
  const labels = (service: string, instance?: number) => ({
    'scs.stack': STACK,
    'scs.service': service,
    ...(instance && instance > 1 ? { 'scs.instance': String(instance) } : {}),
  });
  const containers: ContainerSummary[] = [
    { id: 'w1', name: 'scs-shop-test-web', state: 'running', labels: labels('web') },
    { id: 'w2', name: 'scs-shop-test-web-2', state: 'running', labels: labels('web', 2) },
    { id: 'c1', name: 'scs-shop-test-client', state: 'exited', labels: labels('client') },
    { id: 'r1', name: 'scs-shop-test-web-run-abcdef', state: 'running', labels: { 'scs.stack': STACK, 'scs.oneoff': 'web' } },
  ];
  const record = (service: string, container: string | undefined, instance?: number): ServiceRecord => ({
    service,
    ...(instance ? { instance } : {}),
    container,
    containerName: '',
    image: '',
    status: container ? 'running' : 'waiting',
    provides: [],
    requires: [],
  });
  const failure = (pick: () => unknown) => {
    try {
      pick();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(EXIT.failure);
      return (error as Error).message;
    }
    throw new Error('no failure');
  };

  it('is the one the agent names for the instance', () => {
    const records = [record('web', 'w1'), record('web', 'w2', 2)];
    expect(execTarget({ service: 'web', instance: 1, records, containers }).id).toBe('w1');
    expect(execTarget({ service: 'web', instance: 2, records, containers }).id).toBe('w2');
  });

  it('is found by its labels when no agent runs, never a one-off of scs run', () => {
    expect(execTarget({ service: 'web', instance: 1, records: undefined, containers }).id).toBe('w1');
    expect(execTarget({ service: 'web', instance: 2, records: undefined, containers: containers.slice(1) }).id).toBe('w2');
    expect(failure(() => execTarget({ service: 'web', instance: 1, records: undefined, containers: containers.slice(1) }))).toBe(
      'web has no instance 1 here (it has 2)',
    );
  });

  it('is refused in one sentence when there is none to run in', () => {
    expect(
      failure(() => execTarget({ service: 'web', instance: 3, records: [record('web', 'w1'), record('web', 'w2', 2)], containers })),
    ).toBe('web has no instance 3 here (it has 1, 2)');
    expect(failure(() => execTarget({ service: 'client', instance: 1, records: [record('web', 'w1')], containers }))).toBe(
      'this agent does not run client (it runs web); scs up client first',
    );
    expect(failure(() => execTarget({ service: 'client', instance: 1, records: undefined, containers }))).toMatch(
      /^client's container scs-shop-test-client is exited, not running; scs start client$/,
    );
    expect(failure(() => execTarget({ service: 'web', instance: 1, records: [record('web', undefined)], containers }))).toBe(
      'web has no container now (waiting); see scs ps',
    );
    expect(failure(() => execTarget({ service: 'db', instance: 1, records: undefined, containers }))).toBe(
      'db has no container; scs up first',
    );
  });
});

describe('a one-off container of scs run', () => {
  const identity = { stack: STACK, environment: ENVIRONMENT, project: 'east', host: 'east' };
  const endpoint = (host: string, attrs: Record<string, string> = {}): Endpoint =>
    ({ id: host, name: 'http.web.shop.test', host, port: 8080, protocol: 'tcp', attrs }) as unknown as Endpoint;

  it('is named scs-<stack>-<environment>-<service>-run-<hex>', () => {
    expect(oneOffName(identity, 'client', '3f9a1c')).toBe('scs-shop-test-client-run-3f9a1c');
  });

  it("has the service's environment, volumes and network, and is not taken for the service", () => {
    const client = service('client', {
      requires: [{ endpoint: 'http', service: 'web' }],
      volumes: [{ name: 'state', target: '/state' }],
      provides: [{ endpoint: 'admin', port: 9000 }],
      publish: 9000,
      restart: 'always',
      env: { MODE: 'service' },
    });
    const listed = new Map([['http.web.shop.test', [endpoint('10.0.0.1'), endpoint('10.0.0.2')]]]);
    const spec = oneOffSpec(
      client,
      identity,
      requiredEndpoints(client, listed),
      { network: 'scs-shop-test-east' },
      {
        name: 'scs-shop-test-client-run-000000',
        env: { MODE: 'one-off', EXTRA: '1' },
      },
    );
    expect(spec.name).toBe('scs-shop-test-client-run-000000');
    expect(spec.env).toMatchObject({
      SCS_REQUIRE_HTTP: '10.0.0.1:8080;10.0.0.2:8080',
      SCS_REQUIRE_HTTP_HOST: '10.0.0.1',
      MODE: 'one-off',
      EXTRA: '1',
    });
    expect(spec.mounts).toEqual([{ type: 'volume', source: 'shop-test-client-state', target: '/state' }]);
    expect(spec.networkName).toBe('scs-shop-test-east');
    expect(spec).toMatchObject({ publish: {}, restart: 'no', image: client.image.tag });
    // The agent's labels (so scs down removes it), and none that names it the service.
    expect(spec.labels).toMatchObject({ 'scs.stack': STACK, 'scs.environment': ENVIRONMENT, 'scs.agent': 'east', 'scs.oneoff': 'client' });
    expect(serviceLabelOf(spec.labels)).toBeUndefined();
    expect(isOneOff(spec.labels)).toBe(true);
    expect(spec.labels['scs.config-hash']).toBeUndefined();
  });

  it("takes only the endpoints its requirement's filter lets through, in disco's order", () => {
    const client = { ...service('client', { requires: [{ endpoint: 'http', service: 'web' }] }) };
    const filtered = { ...client, requires: client.requires.map((r) => ({ ...r, filter: { az: 'a*' } })) };
    const listed = new Map([['http.web.shop.test', [endpoint('10.0.0.3', { az: 'b1' }), endpoint('10.0.0.4', { az: 'a1' })]]]);
    expect([...requiredEndpoints(filtered, listed).get('http')!].map((e) => e.host)).toEqual(['10.0.0.4']);
    expect(requiredEndpoints(filtered, new Map()).get('http')).toEqual([]);
  });
});

describe("scs up's log", () => {
  /** Every container's first line is its name. */
  class PrintingEngine extends FakeEngine {
    async followLogs(id: string, _since: bigint, onText: (text: string, stream: 'stdout' | 'stderr') => void): Promise<() => void> {
      onText(`2026-12-07T16:00:00Z ${this.containers.get(id)!.spec.name}\n`, 'stdout');
      return () => {};
    }
  }

  it('leaves out the one-offs of scs run, which print to their own terminal', async () => {
    const engine = new PrintingEngine();
    const identity = { stack: STACK, environment: ENVIRONMENT, project: 'east', host: 'east' };
    const web = service('web');
    const owner = { 'scs.stack': STACK, 'scs.environment': ENVIRONMENT, 'scs.agent': 'east' };
    for (const spec of [
      containerSpec(web, identity, new Map()),
      oneOffSpec(web, identity, new Map(), undefined, { name: 'scs-shop-test-web-run-000001', env: {} }),
    ])
      await engine.start(await engine.create(spec));
    const lines: string[] = [];
    const stream = new LogStream(engine, owner, { prefix: true, write: (line) => lines.push(line) });
    await stream.start();
    stream.stop();
    expect(lines).toEqual(['web | scs-shop-test-web']);
  });
});
