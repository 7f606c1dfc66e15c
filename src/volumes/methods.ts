// Each volume method and the provisioner that implements it: the one place that knows them all,
// so that the interface (provisioner.ts) knows none of them.

import { ec2Settings } from '../aws/ec2-settings.ts';
import type { CompiledVolume } from '../manifest/compiled.ts';
import { EbsProvisioner } from './aws-ec2-ebs.ts';
import { DockerVolumeProvisioner, LocalPathProvisioner } from './local.ts';
import { NfsProvisioner } from './nfs.ts';
import type { VolumeContext, VolumeProvisioner } from './provisioner.ts';

export function volumeProvisioner(volume: CompiledVolume, context: VolumeContext): VolumeProvisioner {
  switch (volume.method) {
    case 'named':
      return new DockerVolumeProvisioner(volume.source, context);
    case 'local':
      return new LocalPathProvisioner(volume.source);
    case 'nfs':
      return new NfsProvisioner(volume.source, volume.nfs, context);
    case 'aws-ec2-ebs':
      return new EbsProvisioner(volume, ec2Settings(context.env ?? process.env), context);
  }
}
