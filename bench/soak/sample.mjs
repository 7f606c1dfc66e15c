// Runs inside a harness host's namespace, as the soak's eyes on that host's disco server: every
// INTERVAL ms it asks the server for NAME's endpoints over the protocol (in one session, kept open
// as a client's is) and over DNS (dig), and
// prints one JSON line per answer: {"at", "via": "list"|"dns", "endpoints": ["host:port", ...]} or
// {"at", "via", "error"} when the server does not answer, with "opened": true when the list had to
// open a new session first. `at` is when the question was sent.
//   node sample.mjs ADDRESS PORT DNS-PORT NAME INTERVAL
//   node sample.mjs --write ADDRESS PORT NAME   one provide, and its answer: {"at", "via": "write", "ok"|"error"}
// With SCS_TOKEN_FILE set, each hello carries that token.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const token = process.env.SCS_TOKEN_FILE ? readFileSync(process.env.SCS_TOKEN_FILE, 'utf8').trim() : undefined;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

/**
 * A session with the server, kept open as a client's would be (pings answered), asking one request at
 * a time: a reply, or {error} after TIMEOUT ms, when the connection is dropped and made again next time.
 */
class Session {
  constructor(host, port) {
    Object.assign(this, { host, port, socket: undefined, opening: undefined, waiting: new Map(), nextId: 1 });
  }

  open(timeout) {
    return new Promise((resolve) => {
      const socket = connect({ host: this.host, port: Number(this.port) });
      this.socket = socket;
      this.opening = resolve;
      socket.setTimeout(timeout, () => this.close({ error: 'timeout' }));
      let buffer = '';
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
      socket.setEncoding('utf8').on('data', (text) => {
        buffer += text;
        for (const line of buffer.split('\n').slice(0, -1)) {
          const reply = JSON.parse(line);
          if (reply.op === 'ping') socket.write('{"op":"pong"}\n');
          this.waiting.get(reply.re)?.(reply);
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      socket.on('connect', () => {
        socket.setTimeout(0);
        this.request({ op: 'hello', version: 1, client: 'soak sampler', ...(token ? { token } : {}) }, timeout).then((welcome) => {
          this.opening = undefined;
          resolve(welcome);
        });
      });
    });
  }

  request(op, timeout) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.close({ error: 'timeout' }), timeout);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(reply);
      });
      this.socket.write(`${JSON.stringify({ ...op, id })}\n`);
    });
  }

  close(reply = { error: 'closed' }) {
    this.socket?.destroy();
    this.socket = undefined;
    this.opening?.({ ok: false, error: reply.error });
    this.opening = undefined;
    for (const done of [...this.waiting.values()]) done(reply);
  }

  /**
   * OP's reply, after opening the session (and waiting for its welcome) when there is none; `opened`
   * then says so, as opening one is a write (its lease), which a partition's minority cannot make.
   */
  async ask(op, timeout) {
    const opened = !this.socket;
    if (opened) {
      const welcome = await this.open(timeout);
      if (!welcome.ok) {
        this.close();
        return { error: welcome.error?.code ?? welcome.error, opened };
      }
    }
    const reply = await this.request(op, timeout);
    return { ...(reply.ok ? reply : { error: reply.error?.code ?? reply.error }), ...(opened ? { opened } : {}) };
  }
}

const list = async (session, name) => {
  const reply = await session.ask({ op: 'list', name }, 1000);
  const opened = reply.opened ? { opened: true } : {};
  return reply.error
    ? { error: reply.error, ...opened }
    : { endpoints: reply.endpoints.map((e) => `${e.host}:${e.port}`).sort(), ...opened };
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
  // A new session is a write too (its lease): whichever of the two is refused first answers.
  const reply = await new Session(host, port).ask({ op: 'provide', name, host: '192.0.2.1', port: 9 }, 20_000);
  print({ at, via: 'write', ms: Date.now() - at, ...(reply.error ? { error: reply.error } : { ok: true }) });
  process.exit(0);
}
const [host, port, dnsPort, name, interval] = args;
const session = new Session(host, port);
for (;;) {
  const at = Date.now();
  const [viaList, viaDns] = await Promise.all([list(session, name), dns(host, dnsPort, name)]);
  print({ at, via: 'list', ...viaList });
  print({ at, via: 'dns', ...viaDns });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(interval) - (Date.now() - at))));
}
