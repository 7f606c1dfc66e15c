// Runs inside a harness host's namespace: every INTERVAL ms, asks disco at ADDRESS:PORT for the
// endpoints of NAME (a pattern) over the wire protocol, printing one JSON line per answer:
// {"at", "endpoints": ["host:port", ...]} or {"at", "error"} when disco does not answer.
//   node lister.mjs ADDRESS PORT NAME INTERVAL
// With SCS_TOKEN_FILE set, its hello carries that token, as disco beyond loopback has tokens.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [host, port, name, interval] = process.argv.slice(2);
const token = process.env.SCS_TOKEN_FILE ? readFileSync(process.env.SCS_TOKEN_FILE, 'utf8').trim() : undefined;
const once = () =>
  new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    let buffer = '';
    const done = (answer) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done({ error: 'timeout' }));
    socket.on('error', (error) => done({ error: error.code ?? error.message }));
    socket.on('connect', () => {
      socket.write(`${JSON.stringify({ op: 'hello', id: 1, version: 1, client: 'harness lister', ...(token ? { token } : {}) })}\n`);
      socket.write(`${JSON.stringify({ op: 'list', id: 2, name })}\n`);
    });
    socket.setEncoding('utf8').on('data', (text) => {
      buffer += text;
      for (const line of buffer.split('\n').slice(0, -1)) {
        const reply = JSON.parse(line);
        if (reply.re === 2)
          done(reply.ok ? { endpoints: reply.endpoints.map((e) => `${e.host}:${e.port}`).sort() } : { error: reply.error });
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
  });
for (;;) {
  const at = Date.now();
  process.stdout.write(`${JSON.stringify({ at, ...(await once()) })}\n`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
