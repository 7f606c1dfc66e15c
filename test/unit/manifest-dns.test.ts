// The stack file's DNS keys (`dns: none`, `dns.upstreams`), `publish: same`, and what a container is
// created with on a stack network: resolver, search list, ndots and SCS_DNS.

import { describe, expect, it } from 'vitest';
import { containerSpec, type NetworkAttachment } from '../../src/agent/spec.ts';
import { searchDomains, stackNetworkName } from '../../src/agent/stack-network.ts';
import { pinnedSubnet } from '../../src/cidr.ts';
import { compileAt, project } from '../helpers/project.ts';

const web = 'from: scs-base:busybox\nprovides:\n  http: { port: 8080 }\ncommand: [sleep, "3600"]\n';
const IDENTITY = { stack: 'hello', environment: 'dev', project: 'host-1', host: 'host-1' };
const stack = (extra: string, service = '') =>
  compileAt(
    project({
      'scs-stack.yaml': `name: hello\nenvironment: dev\n${extra}services:\n  web:\n    image: ./web\n${service}`,
      'web/scs.yaml': web,
    }),
  );

describe('the dns key of a stack', () => {
  it('is absent by default: the host resolvers serve other names', () => {
    expect(stack('').dns).toEqual({ upstreams: undefined });
  });

  it('takes none, or upstreams as HOST:PORT', () => {
    expect(stack('dns: none\n').dns).toBe('none');
    expect(stack('dns: { upstreams: ["10.0.0.2:53", "[fd00::53]:5353"] }\n').dns).toEqual({
      upstreams: ['10.0.0.2:53', '[fd00::53]:5353'],
    });
  });

  it('refuses anything else, naming the file, the key and what was expected', () => {
    expect(() => stack('dns: off\n')).toThrow(/scs-stack\.yaml:3 dns: expected "none" or \{ upstreams: \[HOST:PORT, \.\.\.\] \}/);
    expect(() => stack('dns: { upstreams: ["10.0.0.2"] }\n')).toThrow(
      /scs-stack\.yaml:3 dns\.upstreams\.0: expected HOST:PORT like 10\.0\.0\.2:53/,
    );
  });
});

describe('the network key of a stack', () => {
  it('pins the stack network to a subnet, or leaves the choice to Docker', () => {
    expect(stack('').subnet).toBeUndefined();
    expect(stack('network: { subnet: 10.89.0.0/24 }\n').subnet).toBe('10.89.0.0/24');
  });

  it('refuses a subnet that is not an IPv4 network with room for a gateway and containers, or that has host bits', () => {
    for (const wrong of ['10.89.0.1/24', '10.89.0.0/30', '10.0.0.0/7', 'fd00::/64', '10.89.0.0', 'subnet-0abc']) {
      expect(() => stack(`network: { subnet: "${wrong}" }\n`)).toThrow(
        /scs-stack\.yaml:3 network\.subnet: expected an IPv4 subnet from \/8 to \/29/,
      );
    }
    expect(() => stack('network: { mode: bridge }\n')).toThrow(/network/);
  });
});

describe('a pinned subnet', () => {
  it('has its gateway at the first address after the network address', () => {
    expect(pinnedSubnet('10.89.0.0/24')).toEqual({ subnet: '10.89.0.0/24', gateway: '10.89.0.1' });
    expect(pinnedSubnet('172.31.255.248/29')).toEqual({ subnet: '172.31.255.248/29', gateway: '172.31.255.249' });
    expect(pinnedSubnet('10.0.0.0/8').gateway).toBe('10.0.0.1');
  });
});

describe('publish: same', () => {
  it("publishes the container's own port on the host, so an A record works with the image's port", () => {
    const compiled = stack('', '    provides:\n      http: { publish: same }\n');
    expect(compiled.services[0]!.provides[0]!.publish).toBe(8080);
    expect(containerSpec(compiled.services[0]!, IDENTITY, new Map()).publish).toEqual({ '8080/tcp': '8080' });
    expect(compiled.services[0]!.replace.order).toBe('stop-first');
  });

  it('is the only word publish takes', () => {
    expect(() => stack('', '    provides:\n      http: { publish: any }\n')).toThrow(
      /provides\.http\.publish: expected a port number, "same", or \{ port, address \}/,
    );
  });
});

describe('the host addresses a port is published on', () => {
  const onStackNetwork: NetworkAttachment = { network: stackNetworkName(IDENTITY), publishOn: ['127.0.0.1', '10.0.0.5'] };

  it('are loopback and the advertised address by default, loopback alone when nothing is advertised', () => {
    const service = stack('', '    provides:\n      http: { publish: 8080 }\n').services[0]!;
    expect(containerSpec(service, IDENTITY, new Map(), onStackNetwork).publishOn).toEqual({ '8080/tcp': ['127.0.0.1', '10.0.0.5'] });
    expect(containerSpec(service, IDENTITY, new Map()).publishOn).toEqual({ '8080/tcp': ['127.0.0.1'] });
  });

  it('are the one address publish names: 0.0.0.0 opts in to every interface', () => {
    const service = stack('', '    provides:\n      http: { publish: { port: 3306, address: 0.0.0.0 } }\n').services[0]!;
    expect(service.provides[0]).toMatchObject({ publish: 3306, publishAddress: '0.0.0.0' });
    const spec = containerSpec(service, IDENTITY, new Map(), onStackNetwork);
    expect(spec).toMatchObject({ publish: { '8080/tcp': '3306' }, publishOn: { '8080/tcp': ['0.0.0.0'] } });
    expect(stack('', '    provides:\n      http: { publish: { port: same, address: "::" } }\n').services[0]!.provides[0]).toMatchObject({
      publish: 8080,
      publishAddress: '::',
    });
    expect(() => stack('', '    provides:\n      http: { publish: { port: 1, address: everywhere } }\n')).toThrow(
      /provides\.http\.publish\.address: expected an IP address like 0\.0\.0\.0/,
    );
  });
});

describe('a container on the stack network', () => {
  const attachment: NetworkAttachment = {
    network: stackNetworkName(IDENTITY),
    dns: { address: '172.18.0.1', search: searchDomains('hello', 'dev'), options: ['ndots:2'] },
  };

  it('joins the network of its agent, with the host DNS as its resolver, and SCS_DNS says where that is', () => {
    const spec = containerSpec(stack('').services[0]!, IDENTITY, new Map(), attachment);
    expect(spec.networkName).toBe('scs-hello-dev-host-1');
    expect(spec.dns).toEqual({ servers: ['172.18.0.1'], search: ['hello.dev.disco', 'dev.disco', 'disco'], options: ['ndots:2'] });
    expect(spec.env.SCS_DNS).toBe('172.18.0.1:53');
  });

  it('with dns: none, joins the network and keeps Docker’s resolver', () => {
    const spec = containerSpec(stack('dns: none\n').services[0]!, IDENTITY, new Map(), { network: attachment.network });
    expect(spec.networkName).toBe('scs-hello-dev-host-1');
    expect(spec.dns).toBeUndefined();
    expect(spec.env.SCS_DNS).toBeUndefined();
  });

  it("on the host's network: no resolver (Docker refuses one there), but SCS_DNS still says where it is", () => {
    const compiled = stack('', '    network: { method: host }\n');
    const spec = containerSpec(compiled.services[0]!, IDENTITY, new Map(), attachment);
    expect(spec.networkName).toBeUndefined();
    expect(spec.dns).toBeUndefined();
    expect(spec.env.SCS_DNS).toBe('172.18.0.1:53');
  });

  it('a resolver that moves makes a new container (the config hash changes)', () => {
    const service = stack('').services[0]!;
    const moved: NetworkAttachment = { ...attachment, dns: { ...attachment.dns!, address: '172.19.0.1' } };
    expect(containerSpec(service, IDENTITY, new Map(), moved).labels['scs.config-hash']).not.toBe(
      containerSpec(service, IDENTITY, new Map(), attachment).labels['scs.config-hash'],
    );
  });
});
