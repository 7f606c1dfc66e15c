// Each network method and the provisioner that implements it (one so far, aws-ec2-eni): the one
// place that knows them, so that the interface (provisioner.ts) knows none of them. The ENI code
// (and with it the AWS SDK) is loaded on the provisioner's first call: a stack without one never loads it.

import type { CompiledService, EniOptions } from '../manifest/compiled.ts';
import type { NetnsSetup, NetworkContext, NetworkProvisioner } from './provisioner.ts';

/** The provisioner of a service's network, or undefined when Docker's own networks serve it. */
export function networkProvisioner(service: CompiledService, context: NetworkContext): NetworkProvisioner | undefined {
  const eni = service.container.eni;
  return eni ? new LazyEniProvisioner(service.name, eni, context) : undefined;
}

/** An ENI provisioner made when first used; a bad setting in the environment fails that first call. */
class LazyEniProvisioner implements NetworkProvisioner {
  readonly method = 'aws-ec2-eni' as const;
  private loaded: Promise<NetworkProvisioner> | undefined;

  constructor(
    private readonly service: string,
    private readonly eni: EniOptions,
    private readonly context: NetworkContext,
  ) {}

  private load(): Promise<NetworkProvisioner> {
    this.loaded ??= Promise.all([import('./aws-ec2-eni.ts'), import('../aws/ec2-settings.ts')]).then(
      ([{ EniProvisioner }, { ec2Settings }]) =>
        new EniProvisioner(this.service, this.eni, ec2Settings(this.context.env ?? process.env), this.context),
    );
    return this.loaded;
  }

  async provisioned(): Promise<boolean> {
    return (await this.load()).provisioned();
  }

  async provision(): Promise<void> {
    return (await this.load()).provision();
  }

  async attach(): Promise<NetnsSetup> {
    return (await this.load()).attach();
  }

  async enter(pid: number): Promise<NetnsSetup> {
    return (await this.load()).enter(pid);
  }

  async detach(): Promise<void> {
    return (await this.load()).detach();
  }

  async deprovision(): Promise<void> {
    return (await this.load()).deprovision();
  }

  async adopt(): Promise<boolean> {
    return (await this.load()).adopt();
  }

  async status(): Promise<string> {
    return (await this.load()).status();
  }
}
