// Everything scs asks of the Docker Engine, through dockerode (loaded by dockerode.ts). No other module imports it.

import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import type {
  ContainerEngine,
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerSummary,
  ExecResult,
  NetworkInfo,
} from '../agent/container-engine.ts';
import { contextFiles } from '../build-context.ts';
import { DockerClient } from './dockerode.ts';
import { DockerError } from './errors.ts';
import { followEvents } from './events.ts';
import { LABEL } from './labels.ts';
import { containerInfoOf, containerSummaryOf, createOptions, type InspectData, labelFilter } from './mapping.ts';
import { execIn, followLogs, type LogOptions, readLogs, tailOf } from './output.ts';

export type { ContainerEvent, ContainerInfo, ContainerSpec };
export { DockerError, LABEL };

export class Engine implements ContainerEngine {
  readonly docker: Docker;

  constructor(docker: Docker = new DockerClient()) {
    this.docker = docker;
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new DockerError(`cannot reach the Docker Engine (${(error as Error).message}); is dockerd running? (scripts/start-docker)`);
    }
  }

  async imageExists(tag: string): Promise<boolean> {
    try {
      await this.docker.getImage(tag).inspect();
      return true;
    } catch {
      return false;
    }
  }

  /** Builds from a copy of the context (so a generated Dockerfile never lands in the user's folder). */
  async build(
    image: {
      tag: string;
      context: string;
      dockerfile: string | undefined;
      dockerfilePath: string;
      hash: string;
      leaveOut?: readonly string[];
    },
    onLine: (line: string) => void,
    labels: Record<string, string> = {},
  ): Promise<void> {
    const staging = mkdtempSync(join(tmpdir(), 'scs-build-'));
    try {
      // Only the files the hash covers: what is ignored, and the stack's secrets, never leave the folder.
      const files = contextFiles(image.context, new Set(image.leaveOut));
      for (const file of files) {
        mkdirSync(dirname(join(staging, file)), { recursive: true });
        cpSync(join(image.context, file), join(staging, file));
      }
      if (image.dockerfile !== undefined) writeFileSync(join(staging, image.dockerfilePath), image.dockerfile);
      const sent = image.dockerfile === undefined || files.includes(image.dockerfilePath) ? files : [...files, image.dockerfilePath];
      const stream = await this.docker.buildImage(
        { context: staging, src: sent },
        { t: image.tag, dockerfile: image.dockerfilePath, labels: { ...labels, [LABEL.image]: image.hash }, rm: true, forcerm: true },
      );
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (error: Error | null, output: Array<{ error?: string }>) => {
            const failed = error?.message ?? output.find((item) => item.error)?.error;
            if (failed) reject(new DockerError(`building ${image.tag} failed: ${failed.trim()}`));
            else resolve();
          },
          (event: { stream?: string; status?: string }) => {
            const text = (event.stream ?? event.status ?? '').trim();
            if (text) onLine(text);
          },
        );
      });
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Images carrying all these labels, with their tags, size (bytes) and time of creation (Unix seconds). */
  async listImages(
    labels: Record<string, string>,
  ): Promise<Array<{ id: string; tags: string[]; labels: Record<string, string>; size: number; created: number }>> {
    const images = await this.docker.listImages({
      filters: { label: Object.entries(labels).map(([k, value]) => (value ? `${k}=${value}` : k)) },
    });
    return images.map((image) => ({
      id: image.Id,
      tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      labels: image.Labels ?? {},
      size: image.Size,
      created: image.Created,
    }));
  }

  /** The ids of the images that containers, running or not, were created from. */
  async imagesInUse(): Promise<Set<string>> {
    return new Set((await this.containersByImage()).keys());
  }

  /** How many containers, running or not, were created from each image (by id). */
  async containersByImage(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const container of await this.docker.listContainers({ all: true })) {
      counts.set(container.ImageID, (counts.get(container.ImageID) ?? 0) + 1);
    }
    return counts;
  }

  /** Removes one tag; the image goes with its last tag. Never forced: Docker keeps an image a container uses. */
  async removeImageTag(tag: string): Promise<'removed' | 'in use'> {
    try {
      await this.docker.getImage(tag).remove();
      return 'removed';
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return 'in use';
      throw error;
    }
  }

  /** Creates the volume when missing, on a driver with options (e.g. the local driver mounting NFS) when given. */
  async ensureVolume(
    name: string,
    labels: Record<string, string>,
    driver?: { driver: string; options: Record<string, string> },
  ): Promise<void> {
    try {
      await this.docker.getVolume(name).inspect();
    } catch {
      await this.docker.createVolume({
        Name: name,
        Labels: labels,
        ...(driver ? { Driver: driver.driver, DriverOpts: driver.options } : {}),
      });
    }
  }

  /** The driver options a volume was created with; undefined when there is no such volume. */
  async volumeOptions(name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.docker.getVolume(name).inspect()).Options ?? {};
    } catch {
      return undefined;
    }
  }

  async volumeLabels(name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.docker.getVolume(name).inspect()).Labels ?? {};
    } catch {
      return undefined;
    }
  }

  async volumeExists(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).inspect();
      return true;
    } catch {
      return false;
    }
  }

  async removeVolume(name: string): Promise<void> {
    await this.docker.getVolume(name).remove();
  }

  async create(spec: ContainerSpec): Promise<string> {
    return (await this.docker.createContainer(createOptions(spec))).id;
  }

  async start(id: string): Promise<void> {
    await this.docker.getContainer(id).start();
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    let data: Docker.ContainerInspectInfo;
    try {
      data = await this.docker.getContainer(id).inspect();
    } catch {
      return undefined;
    }
    return containerInfoOf(data as unknown as InspectData);
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
    return containers.map(containerSummaryOf);
  }

  async stop(id: string, seconds = 10): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: seconds });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 304 && (error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    await this.docker.getContainer(id).rename({ name });
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }

  /** Runs a command in a running container; resolves with its exit code and (bounded) output. */
  exec(id: string, command: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<ExecResult> {
    return execIn(this.docker, id, command, env, timeoutMs);
  }

  /** Streams container events for one label, across daemon restarts; returns a function that stops the stream. */
  events(label: Record<string, string>, onEvent: (event: ContainerEvent) => void): Promise<() => void> {
    return followEvents(this.docker, label, (labels) => this.list(labels), onEvent);
  }

  /** The last lines a container printed, for error messages about it. */
  tail(id: string, lines = 5): Promise<string> {
    return tailOf(this.docker, id, lines);
  }

  /**
   * What a container printed (its last `tail` lines, from `sinceNs`), each line led by Docker's
   * RFC 3339 timestamp; with `follow`, what it prints next too, until it stops.
   */
  logs(id: string, options: LogOptions, onText: (text: string, stream: 'stdout' | 'stderr') => void): Promise<void> {
    return readLogs(this.docker, id, options, onText);
  }

  /** Follows what a container prints from `sinceNs` (nanoseconds since the epoch), each line led by its timestamp. */
  followLogs(
    id: string,
    sinceNs: bigint,
    onText: (text: string, stream: 'stdout' | 'stderr') => void,
    onEnd: () => void,
  ): Promise<() => void> {
    return followLogs(this.docker, id, sinceNs, onText, onEnd);
  }

  async networkInfo(name: string): Promise<NetworkInfo | undefined> {
    let network: { IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> } };
    try {
      network = await this.docker.getNetwork(name).inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
    const config = network.IPAM?.Config?.find((each) => each.Gateway && each.Subnet && !each.Subnet.includes(':'));
    if (!config) throw new Error(`network ${name} has no IPv4 gateway`);
    return { gateway: config.Gateway!, subnet: config.Subnet! };
  }

  /** With `pinned`, a network it makes has that subnet and gateway; one that exists is returned as it is. */
  async ensureNetwork(name: string, labels: Record<string, string>, pinned?: NetworkInfo): Promise<NetworkInfo> {
    const known = await this.networkInfo(name);
    if (known) return known;
    try {
      await this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Labels: labels,
        CheckDuplicate: true,
        ...(pinned ? { IPAM: { Driver: 'default', Config: [{ Subnet: pinned.subnet, Gateway: pinned.gateway }] } } : {}),
      });
    } catch (error) {
      // Another agent of this stack on the same daemon made it first: use theirs.
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
    }
    const made = await this.networkInfo(name);
    if (!made) throw new Error(`network ${name} is gone as soon as it was made`);
    return made;
  }

  async removeNetwork(name: string): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).remove();
      return true;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 403 || status === 409) return false;
      throw error;
    }
  }

  /** The host's address on the default bridge: where containers reach ports published on this host. */
  async bridgeGateway(): Promise<string | undefined> {
    try {
      const network = (await this.docker.getNetwork('bridge').inspect()) as {
        IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> };
        Options?: Record<string, string>;
      };
      const gateway = network.IPAM?.Config?.find((config) => config.Gateway)?.Gateway;
      if (gateway) return gateway;
      // The default bridge often leaves Gateway out; it is the bridge interface's own address,
      // which Node lists only while a container is attached, and otherwise the subnet's first host.
      const name = network.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
      const onInterface = networkInterfaces()[name]?.find((address) => address.family === 'IPv4')?.address;
      if (onInterface) return onInterface;
      const subnet = network.IPAM?.Config?.map((config) => config.Subnet).find((cidr) => cidr && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr));
      if (!subnet) return undefined;
      const octets = subnet.split('/')[0]!.split('.').map(Number);
      const value = (((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0) + 1;
      return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
    } catch {
      return undefined;
    }
  }
}
