import type { WireEndpoint } from '../protocol/messages.ts';
import type { Provision } from '../registry/types.ts';

export function toWireEndpoint(provision: Provision): WireEndpoint {
  const { id, name, address, attributes } = provision;
  return { id, name, host: address.host, port: address.port, protocol: address.protocol, attrs: { ...attributes } };
}
