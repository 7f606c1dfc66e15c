// Which events a name pattern selects. Event names have up to four labels: an endpoint's four, a
// service's three (`service.stack.environment`), a disco server's one (its id). They are matched
// from the right, as DNS names are, and the labels a name lacks must be `*` in the pattern: so
// `*.*.blog.prod` selects blog's endpoints and its services' steps, and only `*.*.*.*` (every
// name) selects the disco servers themselves.

import { WILDCARD } from '../names.ts';

export function eventMatches(pattern: string, name: string): boolean {
  const wanted = pattern.split('.');
  const labels = name.split('.');
  if (labels.length > wanted.length) return false;
  const missing = wanted.length - labels.length;
  return wanted.every((label, at) => label === WILDCARD || (at >= missing && label === labels[at - missing]));
}
