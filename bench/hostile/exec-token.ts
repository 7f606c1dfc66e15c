// `scs require --exec` run with SCS_TOKEN set: the real CLI against a real disco, and a command that
// prints the variable. The figure is whether the command saw the token.

import { scs } from '../../test/helpers/cli.ts';
import { startDisco } from '../../test/helpers/disco.ts';
import type { Attack } from './attack.ts';

const TOKEN = 'a-secret-token-of-this-client-0123456789';

const attack: Attack = {
  name: 'exec-token',
  replays: 'scs require --exec runs a command that prints $SCS_TOKEN',
  before: 'the command saw the token',
  target: 'the command sees no token',
  async run() {
    const disco = await startDisco();
    const command = scs(
      ['require', 'web.web.hello.dev', '--disco', `127.0.0.1:${disco.address().port}`, '--exec', 'echo "token=[$SCS_TOKEN]"'],
      {
        SCS_TOKEN: TOKEN,
      },
    );
    try {
      const deadline = Date.now() + 15_000;
      while (!command.stdout.includes('token=[') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      if (!command.stdout.includes('token=[')) return { figure: `the command did not run: ${command.stderr.trim()}`, met: false };
      const seen = command.stdout.includes(`token=[${TOKEN}]`);
      return { figure: seen ? 'the command saw the token' : 'the command sees no token', met: !seen };
    } finally {
      command.child.kill('SIGKILL');
      await disco.close();
    }
  },
};

export default attack;
