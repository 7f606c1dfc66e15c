// One HTTP GET that settles exactly once, on every outcome: true for a 200 read to its end, false for
// anything else, and false at the deadline for an answer whose body stalls after its headers (a
// container removed mid-answer) as for one that never comes. A plain script's module, so that
// probe.mjs (run inside a harness namespace) and the TypeScript helpers share it.

import { get } from 'node:http';

/** GETs `url`; `agent: false` for a connection of its own, else Node's global (keep-alive) agent. */
export function getOk(url, timeoutMs, { agent } = {}) {
  return new Promise((resolve) => {
    const request = get(url, agent === undefined ? {} : { agent }, (response) => {
      response.resume();
      response.on('end', () => settle(response.statusCode === 200));
      response.on('error', () => settle(false));
      response.on('close', () => settle(false));
    });
    const deadline = setTimeout(() => request.destroy(new Error('timed out')), timeoutMs);
    const settle = (ok) => {
      clearTimeout(deadline);
      resolve(ok);
    };
    request.on('error', () => settle(false));
  });
}
