// Each network method and the provisioner that implements it (one so far, aws-ec2-eni): the one
// place that knows them, so that the interface (provisioner.ts) knows none of them.

import { ec2Settings } from '../aws/ec2-settings.ts';
import type { ServicePlan } from '../manifest/compile.ts';
import { EniProvisioner } from './aws-ec2-eni.ts';
import type { NetworkContext, NetworkProvisioner } from './provisioner.ts';

/** The provisioner of a service's network, or undefined when Docker's own networks serve it. */
export function networkProvisioner(plan: ServicePlan, context: NetworkContext): NetworkProvisioner | undefined {
  const eni = plan.container.eni;
  return eni ? new EniProvisioner(plan.role, eni, ec2Settings(context.env ?? process.env), context) : undefined;
}
