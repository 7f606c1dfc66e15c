// Runs inside a harness host's namespace: every INTERVAL ms, reads the address in FILE (a dependent's
// current upstream) and fetches http://ADDRESS/, printing one JSON line per request.
//   node probe.mjs FILE INTERVAL
import { readFileSync } from 'node:fs';
import { get } from 'node:http';

const [file, interval] = process.argv.slice(2);
const upstream = () => {
  try {
    return readFileSync(file, 'utf8').trim().split(';')[0];
  } catch {
    return '';
  }
};
const once = (address) =>
  new Promise((resolve) => {
    if (!address) return resolve(false);
    const request = get(`http://${address}/`, { timeout: 1000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
for (;;) {
  const at = Date.now();
  const address = upstream();
  const ok = await once(address);
  process.stdout.write(`${JSON.stringify({ at, ok, upstream: address })}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
