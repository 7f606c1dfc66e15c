// One connection pipelines 100,000 provides: how many the server takes before its per-session cap
// refuses the rest.

import { connect } from 'node:net';
import { consola } from 'consola';
import { DiscoServer } from '../../src/server/server.ts';
import type { Attack } from './attack.ts';

const PROVIDES = 100_000;
const CAP = 10_000;

const attack: Attack = {
  name: 'provide-flood',
  replays: `one connection pipelines ${PROVIDES.toLocaleString('en')} provides`,
  before: '100,000 endpoints registered by one connection in 3.2 s',
  target: `at most ${CAP.toLocaleString('en')} taken (the default cap per session)`,
  async run() {
    const server = new DiscoServer({ host: '127.0.0.1', port: 0, logger: consola.create({ level: -999 }) });
    const { port } = await server.listen();
    const socket = connect({ host: '127.0.0.1', port });
    socket.setEncoding('utf8');
    let replies = 0;
    let refused = 0;
    let rest = '';
    const done = new Promise<void>((resolve) => {
      socket.on('data', (text: string) => {
        const lines = (rest + text).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          const reply = JSON.parse(line) as { re?: number; ok?: boolean; error?: { code: string } };
          if (typeof reply.re !== 'number' || reply.re === 0) continue;
          replies++;
          if (reply.error?.code === 'too_many_provisions') refused++;
          if (replies === PROVIDES) resolve();
        }
      });
      // Each refusal is a bad request: past 100 in a burst the server cuts the connection (too_many_errors).
      socket.on('close', () => resolve());
    });
    let batch = `${JSON.stringify({ op: 'hello', id: 0, version: 1 })}\n`;
    for (let i = 0; i < PROVIDES; i++) {
      batch += `${JSON.stringify({ op: 'provide', id: i + 1, name: 'mysql.db.blog.prod', host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 3306 })}\n`;
    }
    const t0 = performance.now();
    socket.write(batch);
    await done;
    const seconds = (performance.now() - t0) / 1000;
    const taken = server.registry.list().length;
    socket.destroy();
    await server.close();
    return {
      figure: `${taken.toLocaleString('en')} taken, ${refused} refused with too_many_provisions before the cut, in ${seconds.toFixed(1)} s`,
      met: taken <= CAP,
    };
  },
};

export default attack;
