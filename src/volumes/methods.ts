// Each volume method and the provisioner that implements it: the one place that knows them all,
// so that the interface (provisioner.ts) knows none of them. An AWS method's code (and with it the
// AWS SDK) is loaded on its provisioner's first call: a stack without one, and `scs ps` of any
// stack, never load it.

import type { CompiledVolume } from '../manifest/compiled.ts';
import { DockerVolumeProvisioner, LocalPathProvisioner } from './local.ts';
import { NfsProvisioner } from './nfs.ts';
import type { VolumeContext, VolumeMount, VolumeProvisioner } from './provisioner.ts';

export function volumeProvisioner(volume: CompiledVolume, context: VolumeContext): VolumeProvisioner {
  switch (volume.method) {
    case 'named':
      return new DockerVolumeProvisioner(volume.source, context);
    case 'local':
      return new LocalPathProvisioner(volume.source);
    case 'nfs':
      return new NfsProvisioner(volume.source, volume.nfs, context);
    case 'aws-ec2-ebs':
      return new LazyEbsProvisioner(volume, context);
  }
}

type EbsVolume = Extract<CompiledVolume, { method: 'aws-ec2-ebs' }>;

/** An EBS provisioner made when first used; a bad setting in the environment fails that first call. */
class LazyEbsProvisioner implements VolumeProvisioner {
  readonly method = 'aws-ec2-ebs' as const;
  private loaded: Promise<VolumeProvisioner> | undefined;

  constructor(
    private readonly volume: EbsVolume,
    private readonly context: VolumeContext,
  ) {}

  private load(): Promise<VolumeProvisioner> {
    this.loaded ??= Promise.all([import('./aws-ec2-ebs.ts'), import('../aws/ec2-settings.ts')]).then(
      ([{ EbsProvisioner }, { ec2Settings }]) =>
        new EbsProvisioner(this.volume, ec2Settings(this.context.env ?? process.env), this.context),
    );
    return this.loaded;
  }

  async provisioned(): Promise<boolean> {
    return (await this.load()).provisioned();
  }

  async provision(): Promise<void> {
    return (await this.load()).provision();
  }

  async attach(): Promise<VolumeMount> {
    return (await this.load()).attach();
  }

  async detach(): Promise<void> {
    return (await this.load()).detach();
  }

  async deprovision(): Promise<void> {
    return (await this.load()).deprovision();
  }

  async adopt(): Promise<boolean> {
    return (await (await this.load()).adopt?.()) ?? false;
  }

  async status(): Promise<string> {
    return (await this.load()).status();
  }
}
