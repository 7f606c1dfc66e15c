// The systemd template unit that runs `scs agent`, one instance per stack: scs-agent@blog.service
// runs the stack whose files are in /etc/scs/blog/. `scs agent --print-unit` writes it, with the
// absolute path of the scs that prints it, so that the unit runs the scs that was installed.

import { accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pinnedSubnet } from '../cidr.ts';
import { EXIT, UserError } from '../errors.ts';
import type { CompiledStack } from '../manifest/compiled.ts';
import { DNS_SOCKETS } from './passed-sockets.ts';

export interface InstalledScs {
  /** The `scs` command, an absolute path. */
  readonly scs: string;
  /** The folder of the node that runs it, put first on the unit's PATH (`scs` starts with `#!/usr/bin/env node`). */
  readonly nodeFolder: string;
}

/** This scs as it was started (`/usr/local/bin/scs`, not the file that link points to: an upgrade moves that). */
export function installedScs(argv1 = process.argv[1], execPath = process.execPath): InstalledScs {
  const scs = resolve(argv1 ?? 'scs');
  try {
    accessSync(scs, constants.X_OK);
  } catch {
    throw new Error(`${scs}, the scs running, is not an executable file; print the unit with the installed scs`);
  }
  return { scs, nodeFolder: dirname(execPath) };
}

/** Where the stack files of instance %i are, and where the agent runs. */
export const UNIT_STACKS = '/etc/scs';

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin'];
const unitPath = (nodeFolder: string) => [...new Set([nodeFolder, ...SYSTEM_PATH])].join(':');

export function agentUnit({ scs, nodeFolder }: InstalledScs): string {
  return `# scs-agent@.service: the scs agent of one stack, one instance per stack.
#   Stack files in ${UNIT_STACKS}/STACK/ (scs-stack.yaml, overlays as SCS_FILE in ${UNIT_STACKS}/STACK/agent.env).
#   State in /var/lib/scs/PROJECT/STACK/ (StateDirectory=scs). Written by \`scs agent --print-unit\`.
#   Install: scs agent --print-unit > /etc/systemd/system/scs-agent@.service
#            systemctl daemon-reload && systemctl enable --now scs-agent@blog
[Unit]
Description=scs agent of the stack %i
After=network-online.target docker.service
Wants=network-online.target
ConditionPathIsDirectory=${UNIT_STACKS}/%i
# Restarted however often it dies: Restart=always is the promise, not a budget.
StartLimitIntervalSec=0

[Service]
Type=simple
WorkingDirectory=${UNIT_STACKS}/%i
Environment=PATH=${unitPath(nodeFolder)}
EnvironmentFile=-${UNIT_STACKS}/%i/agent.env
ExecStart=${scs} agent
# A dead agent is back 100 ms later, and adopts its containers. SIGTERM (systemctl stop or restart, a
# reboot) hands over: the containers run on, and the next start takes them over, moving nothing.
# \`scs down\` drains the stack; the agent then exits ${EXIT.drained}, which is not restarted.
Restart=always
RestartSec=100ms
RestartPreventExitStatus=${EXIT.drained}
SuccessExitStatus=${EXIT.drained}
KillMode=mixed
TimeoutStopSec=30s
StateDirectory=scs
StateDirectoryMode=0700

[Install]
WantedBy=multi-user.target
`;
}

/** The socket unit of a compiled stack: it needs the stack network's subnet pinned, and its DNS. */
export function socketUnitOf(compiled: Pick<CompiledStack, 'stack' | 'subnet' | 'dns'>): string {
  if (compiled.dns === 'none') throw new UserError(`the stack ${compiled.stack} says dns: none: it has no host DNS sockets to hold`);
  if (compiled.subnet === undefined) {
    throw new UserError(
      `the stack ${compiled.stack} does not pin its network's subnet, so its DNS address is not known before Docker makes the network: ` +
        'add network: { subnet: 10.89.0.0/24 } (a subnet unused on this host) to the stack file',
    );
  }
  return agentSocketUnit(compiled.stack, pinnedSubnet(compiled.subnet).gateway);
}

/**
 * The socket unit of one stack, scs-agent@STACK.socket: systemd binds the host DNS's sockets on the
 * stack network's gateway (FreeBind: before Docker has made that network) and hands them to every
 * agent it starts, so queries sent while the agent restarts wait for it instead of being refused.
 * The gateway is known in advance only when the stack file pins the network's subnet.
 */
export function agentSocketUnit(stack: string, gateway: string, port = 53): string {
  const at = `${gateway}:${port}`;
  return `# scs-agent@${stack}.socket: the host DNS's sockets of the stack ${stack}, held across agent restarts.
#   Its gateway ${gateway} is the first address of network.subnet in the stack file. Written by \`scs agent --print-socket\`.
#   Install: scs agent --print-socket > /etc/systemd/system/scs-agent@${stack}.socket
#            systemctl daemon-reload && systemctl enable --now scs-agent@${stack}.socket
[Unit]
Description=scs agent of the stack ${stack}: its host DNS sockets
Before=docker.service

[Socket]
# UDP before TCP: the agent takes the sockets named ${DNS_SOCKETS} in this order.
ListenDatagram=${at}
ListenStream=${at}
FileDescriptorName=${DNS_SOCKETS}
# Bound before the stack network (and so the gateway's address) exists.
FreeBind=yes
Service=scs-agent@${stack}.service

[Install]
WantedBy=sockets.target
`;
}
