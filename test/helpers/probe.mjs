// Runs inside a harness host's namespace: every INTERVAL ms, reads the address in FILE (a dependent's
// current upstream) and fetches http://ADDRESS/, printing one JSON line per request (when it
// was sent, how long it took, whether it succeeded, and where it went). A request
// fails on an error, a status other than 200, or no answer within TIMEOUT ms (default 1000).
//   node probe.mjs FILE INTERVAL [TIMEOUT]
import { readFileSync } from 'node:fs';
import { getOk } from './http-ok.mjs';

const [file, interval, timeout = '1000'] = process.argv.slice(2);
const upstream = () => {
  try {
    return readFileSync(file, 'utf8').trim().split(';')[0];
  } catch {
    return '';
  }
};
const once = (address) => (address ? getOk(`http://${address}/`, Number(timeout)) : Promise.resolve(false));
for (;;) {
  const at = Date.now();
  const address = upstream();
  const ok = await once(address);
  process.stdout.write(`${JSON.stringify({ at, ms: Date.now() - at, ok, upstream: address })}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
