// Runs inside a harness host's namespace, as the soak's eyes on that host's disco server: every
// INTERVAL ms it asks the server for NAME's endpoints over the protocol and over DNS (dig), and
// prints one JSON line per answer: {"at", "via": "list"|"dns", "endpoints": ["host:port", ...]} or
// {"at", "via", "error"} when the server does not answer. `at` is when the question was sent.
//   node sample.mjs ADDRESS PORT DNS-PORT NAME INTERVAL
//   node sample.mjs --write ADDRESS PORT NAME   one provide, and its answer: {"at", "via": "write", "ok"|"error"}
// With SCS_TOKEN_FILE set, each hello carries that token.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const token = process.env.SCS_TOKEN_FILE ? readFileSync(process.env.SCS_TOKEN_FILE, 'utf8').trim() : undefined;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Sends OP after a hello and resolves with its reply, or with an error after TIMEOUT ms. */
const ask = (host, port, op, timeout) =>
  new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    let buffer = '';
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeout, () => done({ error: 'timeout' }));
    socket.on('error', (error) => done({ error: error.code ?? error.message }));
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ op: 'hello', id: 1, version: 1, client: 'soak sampler', ...(token ? { token } : {}) })}\n`);
      socket.write(`${JSON.stringify({ ...op, id: 2 })}\n`);
    });
    socket.setEncoding('utf8').on('data', (text) => {
      buffer += text;
      for (const line of buffer.split('\n').slice(0, -1)) {
        const reply = JSON.parse(line);
        // A refused hello answers for the request too: the session it needed was never made.
        if (reply.re === 2 || (reply.re === 1 && !reply.ok)) done(reply);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
  });

const list = async (host, port, name) => {
  const reply = await ask(host, port, { op: 'list', name }, 1000);
  if (reply.error && !reply.re) return { error: reply.error };
  return reply.ok ? { endpoints: reply.endpoints.map((e) => `${e.host}:${e.port}`).sort() } : { error: reply.error.code };
};

// _ENDPOINT._tcp.SERVICE.STACK.ENV.disco. SRV, each answer "1 1 PORT 10-201-1-13.addr.disco."
const dns = (host, port, name) =>
  new Promise((resolve) => {
    const [endpoint, ...rest] = name.split('.');
    const query = `_${endpoint}._tcp.${rest.join('.')}.disco.`;
    execFile('dig', [`@${host}`, '-p', port, '+short', '+time=1', '+tries=1', 'SRV', query], (error, stdout) => {
      if (error || stdout.startsWith(';;')) return resolve({ error: error ? `dig exited ${error.code}` : stdout.trim() });
      const endpoints = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [, , srvPort, target] = line.split(' ');
          return `${target.replace(/\.addr\.disco\.$/, '').replaceAll('-', '.')}:${srvPort}`;
        });
      resolve({ endpoints: endpoints.sort() });
    });
  });

const args = process.argv.slice(2);
if (args[0] === '--write') {
  const [, host, port, name] = args;
  const at = Date.now();
  const reply = await ask(host, port, { op: 'provide', name, host: '192.0.2.1', port: 9 }, 20_000);
  print({ at, via: 'write', ms: Date.now() - at, ...(reply.ok ? { ok: true } : { error: reply.error?.code ?? reply.error }) });
  process.exit(0);
}
const [host, port, dnsPort, name, interval] = args;
for (;;) {
  const at = Date.now();
  const [viaList, viaDns] = await Promise.all([list(host, port, name), dns(host, dnsPort, name)]);
  print({ at, via: 'list', ...viaList });
  print({ at, via: 'dns', ...viaDns });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
