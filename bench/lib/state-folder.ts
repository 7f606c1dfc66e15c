// Imported first by every benchmark that starts an agent: its agents keep their state in a temporary
// folder, never in the user's own (~/.local/state/scs), as the tests' do; so does the bundle its code caches.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.SCS_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'scs-bench-state-'));
// And the bundle's code caches (cli/start.ts), not in the user's ~/.cache/scs.
process.env.SCS_CODE_CACHE ??= join(process.env.SCS_STATE_DIR, 'code-cache');
