// Service names: endpoint.role.service.environment, most specific first.
// One grammar for the CLI, manifests, the wire protocol and DNS.

export interface EndpointName {
  readonly endpoint: string;
  readonly role: string;
  readonly service: string;
  readonly environment: string;
}

export const DEFAULT_ENVIRONMENT = 'default';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class NameError extends Error {
  override readonly name = 'NameError';
}

export function isLabel(label: string): boolean {
  return LABEL.test(label);
}

/** Checks one label; the message says which part of the name was wrong and why. */
export function checkLabel(label: string, what: string): string {
  const lower = label.toLowerCase();
  if (lower.length === 0) throw new NameError(`${what} is empty`);
  if (lower.length > 63) throw new NameError(`${what} "${label}" is longer than 63 characters`);
  if (!LABEL.test(lower)) {
    throw new NameError(`${what} "${label}" must be letters, digits and inner hyphens (like "db" or "us-east-1")`);
  }
  return lower;
}

/**
 * Parses `endpoint.role.service[.environment]`, case-insensitively; a trailing dot is allowed
 * so that names copied from DNS work too.
 */
export function parseName(input: string): EndpointName {
  const text = input.endsWith('.') ? input.slice(0, -1) : input;
  const labels = text.split('.');
  if (labels.length < 3 || labels.length > 4) {
    throw new NameError(`"${input}" is not a name like "mysql.db.blog.prod" (endpoint.role.service[.environment])`);
  }
  const [endpoint, role, service, environment] = labels as [string, string, string, string?];
  return {
    endpoint: checkLabel(endpoint, 'endpoint'),
    role: checkLabel(role, 'role'),
    service: checkLabel(service, 'service'),
    environment: environment === undefined ? DEFAULT_ENVIRONMENT : checkLabel(environment, 'environment'),
  };
}

/** Returns an error message, or undefined when the name is valid: for validators. */
export function nameProblem(input: string): string | undefined {
  try {
    parseName(input);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function formatName(name: EndpointName): string {
  return `${name.endpoint}.${name.role}.${name.service}.${name.environment}`;
}

/** The canonical, fully qualified form of a name given as text. */
export function canonicalName(input: string): string {
  return formatName(parseName(input));
}

/** `mysql-main` → `MYSQL_MAIN`, the form used in `SCS_REQUIRE_<ENDPOINT>`. */
export function envKey(endpoint: string): string {
  return endpoint.toUpperCase().replaceAll('-', '_');
}
