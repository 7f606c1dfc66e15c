// The two methods without outside parts: `named`, a plain Docker volume, and `local`, a host folder.

import { mkdirSync, statSync } from 'node:fs';
import { carries } from '../agent/identity.ts';
import type { DockerVolumeDriver, VolumeContext, VolumeMount, VolumeProvisioner } from './provisioner.ts';

export class DockerVolumeProvisioner implements VolumeProvisioner {
  readonly method: 'named' | 'nfs' = 'named';

  constructor(
    protected readonly name: string,
    protected readonly context: VolumeContext,
    private readonly driver?: DockerVolumeDriver,
  ) {}

  async provision(): Promise<void> {
    await this.context.engine.ensureVolume(this.name, this.context.labels, this.driver);
  }

  async provisioned(): Promise<boolean> {
    return this.context.engine.volumeExists(this.name);
  }

  async attach(): Promise<VolumeMount> {
    // Docker mounts it when the container starts.
    return { type: 'volume', source: this.name };
  }

  async detach(): Promise<void> {}

  async deprovision(): Promise<void> {
    const labels = await this.context.engine.volumeLabels(this.name);
    if (!labels) return;
    // A volume of this name that scs did not make for this deployment (the user's, another copy of the stack's) is not ours to delete.
    if (!carries(labels, this.context.labels)) {
      this.context.logger.warn(`left volume ${this.name}: scs did not create it for this stack (it lacks this deployment's labels)`);
      return;
    }
    await this.context.engine.removeVolume(this.name);
    this.context.logger.info(`removed volume ${this.name}`);
  }

  async status(): Promise<string> {
    return (await this.context.engine.volumeExists(this.name)) ? `${this.name} created` : `${this.name} not created`;
  }
}

export class LocalPathProvisioner implements VolumeProvisioner {
  readonly method = 'local' as const;

  constructor(private readonly path: string) {}

  async provision(): Promise<void> {
    mkdirSync(this.path, { recursive: true });
  }

  async provisioned(): Promise<boolean> {
    return isFolder(this.path);
  }

  async attach(): Promise<VolumeMount> {
    return { type: 'bind', source: this.path };
  }

  async detach(): Promise<void> {}

  /** The host's folder is the user's: `down --volumes` leaves it. */
  async deprovision(): Promise<void> {}

  async status(): Promise<string> {
    try {
      return statSync(this.path).isDirectory() ? `${this.path} present` : `${this.path} is not a folder`;
    } catch {
      return `${this.path} missing`;
    }
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
