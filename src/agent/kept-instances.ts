// The embedded disco lives in its agent's process, in memory: what it keeps goes when the agent does.
// Its instances records (a drain, a count) must outlive the agent, as they do on an external disco,
// so the agent keeps a copy in its state folder (`instances.json`), written whenever one changes and
// read back into the next embedded disco before any client connects. What the file holds is checked
// with the wire's own schema: a bad file is said once and left aside.

import { closeSync, constants, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsolaInstance } from 'consola';
import * as v from 'valibot';
import { describeIssues } from '../protocol/fields.ts';
import { INSTANCES_LIMITS, InstancesSchema } from '../protocol/instances.ts';
import type { InstancesBook } from '../server/instances-book.ts';
import { readOwnFile } from './own-file.ts';

const KeptSchema = v.pipe(v.array(InstancesSchema), v.maxLength(INSTANCES_LIMITS.records));

export const keptInstancesFile = (folder: string) => join(folder, 'instances.json');

/** Fills `book` from the folder's copy, then keeps the copy current; returns the function that stops it. */
export function keepInstances(book: InstancesBook, folder: string, logger: ConsolaInstance): () => void {
  const file = keptInstancesFile(folder);
  const text = readOwnFile(file);
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = v.safeParse(KeptSchema, json);
    if (parsed.success) for (const record of parsed.output) book.keep(record);
    else
      logger.warn(
        `${file} is left aside (drains and counts start empty): ${json === undefined ? 'not JSON' : describeIssues(parsed.issues)}`,
      );
  }
  return book.listen(() => {
    try {
      write(file, `${JSON.stringify(book.list())}\n`);
    } catch (error) {
      logger.warn(`could not keep the drains and counts in ${file}: ${(error as Error).message}`);
    }
  });
}

/** Written whole beside it, then renamed over it: a reader never sees half a file; a link in the way is removed, not written through. */
function write(file: string, text: string): void {
  rmSync(`${file}.tmp`, { force: true });
  const fd = openSync(`${file}.tmp`, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
}
