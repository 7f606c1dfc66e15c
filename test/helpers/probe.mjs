// Runs inside a harness host's namespace: every INTERVAL ms, reads the address in FILE (a dependent's
// current upstream) and fetches http://ADDRESS/, printing one JSON line per request (when it
// was sent, how long it took, whether it succeeded, and where it went). A request
// fails on an error, a status other than 200, or no answer within TIMEOUT ms (default 1000).
//   node probe.mjs FILE INTERVAL [TIMEOUT]
import { readFileSync } from 'node:fs';
import { get } from 'node:http';

const [file, interval, timeout = '1000'] = process.argv.slice(2);
const upstream = () => {
  try {
    return readFileSync(file, 'utf8').trim().split(';')[0];
  } catch {
    return '';
  }
};
// Settles exactly once, on every outcome: a body that stalls after its headers (a container killed
// mid-answer) fails at the deadline, as a refused connection fails at once.
const once = (address) =>
  new Promise((resolve) => {
    if (!address) return resolve(false);
    const request = get(`http://${address}/`, (response) => {
      response.resume();
      response.on('end', () => settle(response.statusCode === 200));
      response.on('error', () => settle(false));
      response.on('close', () => settle(false));
    });
    const deadline = setTimeout(() => request.destroy(new Error('timed out')), Number(timeout));
    const settle = (ok) => {
      clearTimeout(deadline);
      resolve(ok);
    };
    request.on('error', () => settle(false));
  });
for (;;) {
  const at = Date.now();
  const address = upstream();
  const ok = await once(address);
  process.stdout.write(`${JSON.stringify({ at, ms: Date.now() - at, ok, upstream: address })}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
