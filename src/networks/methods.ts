// Each network method and the provisioner that implements it (one so far, aws-ec2-eni): the one
// place that knows them, so that the interface (provisioner.ts) knows none of them.

import { ec2Settings } from '../aws/ec2-settings.ts';
import type { CompiledService } from '../manifest/compiled.ts';
import { EniProvisioner } from './aws-ec2-eni.ts';
import type { NetworkContext, NetworkProvisioner } from './provisioner.ts';

/** The provisioner of a service's network, or undefined when Docker's own networks serve it. */
export function networkProvisioner(service: CompiledService, context: NetworkContext): NetworkProvisioner | undefined {
  const eni = service.container.eni;
  return eni ? new EniProvisioner(service.name, eni, ec2Settings(context.env ?? process.env), context) : undefined;
}
