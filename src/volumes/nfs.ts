// `nfs`: a Docker volume on the local driver that mounts an NFS export when a container starts.
// Docker does the mount (with the kernel's NFS client), so nothing is attached on the host first.

import type { NfsOptions } from '../manifest/compiled.ts';
import { VolumeError } from './errors.ts';
import { DockerVolumeProvisioner } from './local.ts';
import type { DockerVolumeDriver, VolumeContext } from './provisioner.ts';

/** The local driver's options for an NFS mount, as `docker volume create --opt` takes them. */
export function nfsDriver(nfs: NfsOptions): DockerVolumeDriver {
  const options = [`addr=${nfs.server}`, `nfsvers=${nfs.version}`, ...(nfs.options ? [nfs.options] : [])].join(',');
  return { driver: 'local', options: { type: 'nfs', o: options, device: `:${nfs.path}` } };
}

export class NfsProvisioner extends DockerVolumeProvisioner {
  override readonly method = 'nfs' as const;
  private readonly wanted: DockerVolumeDriver;

  constructor(
    name: string,
    private readonly nfs: NfsOptions,
    context: VolumeContext,
  ) {
    const driver = nfsDriver(nfs);
    super(name, context, driver);
    this.wanted = driver;
  }

  /** Docker never changes a volume's options: one made with others is an error, not a silent mismatch. */
  override async provision(): Promise<void> {
    const existing = await this.context.engine.volumeOptions?.(this.name);
    if (existing && !this.wantedOptions(existing))
      throw new VolumeError(
        `the Docker volume ${this.name} exists with other options (${JSON.stringify(existing)}); remove it with scs down --volumes to make it anew`,
      );
    await super.provision();
  }

  /** One with other options is not as wanted: provision() says so. */
  override async provisioned(): Promise<boolean> {
    if (!(await super.provisioned())) return false;
    const existing = await this.context.engine.volumeOptions?.(this.name);
    return existing === undefined || this.wantedOptions(existing);
  }

  private wantedOptions(existing: Record<string, string>): boolean {
    return JSON.stringify(sorted(existing)) === JSON.stringify(sorted(this.wanted.options));
  }

  override async status(): Promise<string> {
    const text = await super.status();
    return `${text} (${this.nfs.server}:${this.nfs.path}, NFS ${this.nfs.version})`;
  }
}

const sorted = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
