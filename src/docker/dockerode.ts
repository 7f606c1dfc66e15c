// dockerode, loaded without the two parts of it that scs never calls. When it loads, dockerode
// requires its BuildKit session (lib/session.js: gRPC and a protobuf loader) and docker-modem its
// SSH transport (lib/ssh.js: ssh2 and its ciphers), whether or not a build asks for BuildKit or the
// host is `ssh://`. scs builds with the classic builder and talks to a socket or TCP: those two
// loads were a third of an agent's start (`npm run bench:up`, docs/performance.md). Each module is
// put in require's cache (which Node documents as open to added entries) as a function that, on its
// first call, requires the real module and hands over to it: a `DOCKER_HOST=ssh://` still works,
// it pays for ssh2 then.

import Module, { createRequire } from 'node:module';
import type Docker from 'dockerode';

// Named apart from `require`, so that the bundler leaves these calls to run as written, from
// node_modules (test/integration/install.test.ts reads the bundle for them by this name).
const requireFromNodeModules = createRequire(import.meta.url);

/** The modules deferred, as each package's main module (lib/docker.js, lib/modem.js) requires them; both export one function. */
const DEFERRED: ReadonlyArray<{ readonly from: 'dockerode' | 'docker-modem'; readonly request: string }> = [
  { from: 'dockerode', request: './session' },
  { from: 'docker-modem', request: './ssh' },
];

/** A stand-in for the CommonJS module at `file` whose export is a function: the real one is loaded at the first call. */
function deferModule(file: string): void {
  if (requireFromNodeModules.cache[file]) return; // loaded already: nothing to save
  let real: ((...args: unknown[]) => unknown) | undefined;
  const later = function (this: unknown, ...args: unknown[]): unknown {
    if (!real) {
      delete requireFromNodeModules.cache[file];
      real = requireFromNodeModules(file) as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  const stand = new Module(file);
  stand.filename = file;
  stand.loaded = true;
  stand.exports = later;
  requireFromNodeModules.cache[file] = stand;
}

function dockerode(): typeof Docker {
  const main = requireFromNodeModules.resolve('dockerode');
  // docker-modem as dockerode finds it: beside it, or in its own node_modules.
  const modem = createRequire(main).resolve('docker-modem');
  for (const { from, request } of DEFERRED) {
    try {
      deferModule(createRequire(from === 'dockerode' ? main : modem).resolve(request));
    } catch {
      // Moved in a later release: loaded as dockerode loads it, only slower.
    }
  }
  return requireFromNodeModules('dockerode') as typeof Docker;
}

export const DockerClient: typeof Docker = dockerode();
