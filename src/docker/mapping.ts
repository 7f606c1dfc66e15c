// Docker's answers, as the agent's engine interface has them: shared by Engine (dockerode) and
// DockerReader (the light reader of `scs ps` and `scs logs`), so both say the same of a container.

import type Docker from 'dockerode';
import { isLoopbackHost } from '../address.ts';
import type { ContainerInfo, ContainerSpec, ContainerSummary } from '../agent/container-engine.ts';

/** The parts of `GET /containers/{id}/json` read here. */
export interface InspectData {
  Id: string;
  Name: string;
  State: {
    Running: boolean;
    Restarting: boolean;
    StartedAt: string;
    Status: string;
    ExitCode: number;
    Pid?: number;
    Health?: { Status: string };
  };
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null };
  NetworkSettings: {
    Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    Networks?: Record<string, { IPAddress?: string }> | null;
  };
}

/** The parts of an entry of `GET /containers/json` read here. */
export interface ListData {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

export function containerInfoOf(data: InspectData): ContainerInfo {
  const ports: Record<string, number> = {};
  for (const [port, bindings] of Object.entries(data.NetworkSettings.Ports ?? {})) {
    // Published on loopback and the advertised address, a port any free one may differ between them: the advertised one is provided.
    const published = bindings?.filter((binding) => binding.HostPort) ?? [];
    const host = (published.find((binding) => !isLoopbackHost(binding.HostIp ?? '')) ?? published[0])?.HostPort;
    if (host) ports[port] = Number(host);
  }
  const network = Object.values(data.NetworkSettings.Networks ?? {})[0];
  return {
    id: data.Id,
    name: data.Name.replace(/^\//, ''),
    // While Docker waits to restart a container by its policy, it says Running and Restarting: it is not running.
    running: data.State.Running && !data.State.Restarting,
    startedAt: data.State.StartedAt,
    status: data.State.Status,
    health: data.State.Health?.Status,
    labels: data.Config.Labels ?? {},
    env: Object.fromEntries((data.Config.Env ?? []).map(splitEnvLine)),
    ip: network?.IPAddress || undefined,
    ports,
    exitCode: data.State.ExitCode,
    ...(data.State.Pid ? { pid: data.State.Pid } : {}),
  };
}

export function containerSummaryOf(c: ListData): ContainerSummary {
  return { id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, labels: c.Labels };
}

/** What Docker is asked to create for a container spec: the agent's containers, and `scs run`'s one-offs. */
export function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const [port, host] of Object.entries(spec.publish)) {
    exposed[port] = {};
    if (spec.network === 'bridge')
      bindings[port] = (spec.publishOn?.[port] ?? ['']).map((address) => ({ HostIp: address, HostPort: host }));
  }
  return {
    name: spec.name,
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: spec.labels,
    ExposedPorts: exposed,
    HostConfig: {
      // docker-init as PID 1 forwards signals and reaps zombies: programs that ignore SIGTERM as
      // PID 1 (shells, busybox httpd) still stop at once, and `kill -HUP 1` still reaches them.
      Init: true,
      NetworkMode: spec.network === 'bridge' ? (spec.networkName ?? 'bridge') : spec.network,
      ...(spec.dns ? { Dns: spec.dns.servers, DnsSearch: spec.dns.search, DnsOptions: spec.dns.options } : {}),
      PortBindings: bindings,
      RestartPolicy: { Name: spec.restart === 'no' ? '' : spec.restart, MaximumRetryCount: 0 },
      Mounts: spec.mounts.map((mount) => ({
        Type: mount.type,
        Source: mount.source,
        Target: mount.target,
        ReadOnly: mount.readOnly === true,
      })),
    },
  };
}

/** Docker's label filter for a list: every label given must match. */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, value]) => `${k}=${value}`);
}

function splitEnvLine(line: string): [string, string] {
  const at = line.indexOf('=');
  return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
}

const BILLION = 1_000_000_000n;

/** A time as Docker's `since` takes it: "seconds.nanoseconds" since the epoch. */
export function dockerSince(ns: bigint): string {
  return `${ns / BILLION}.${String(ns % BILLION).padStart(9, '0')}`;
}
