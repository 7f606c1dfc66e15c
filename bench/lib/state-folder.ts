// Imported first by every benchmark that starts an agent: its agents keep their state in a temporary
// folder, never in the user's own (~/.local/state/scs), as the tests' do.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.SCS_STATE_DIR ??= mkdtempSync(join(tmpdir(), 'scs-bench-state-'));
