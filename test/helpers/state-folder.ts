// Loaded before every test file (vitest.config.ts `setupFiles`): each file's agents keep their state
// in a temporary folder of its own, never in the real user's (~/.local/state/scs) nor in /var/lib/scs;
// and the bundle its code caches.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'scs-state-'));
process.env.SCS_STATE_DIR = root;
// The installed scs's code caches (cli/start.ts) too: not in the user's ~/.cache/scs.
process.env.SCS_CODE_CACHE = join(root, 'code-cache');
// Were the test run under systemd, its unit's state folder is not the tests' either.
delete process.env.STATE_DIRECTORY;

// Hooks after run last first: this one after the file's own, which stop its agents.
afterAll(() => rmSync(root, { recursive: true, force: true }));
