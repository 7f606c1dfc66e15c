// The folders `npm run mutation` reports on: which files each one mutates, read as Stryker reads its
// patterns, and which folders share a Stryker run.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import FOLDERS from '../../../tools/mutation/folders.json' with { type: 'json' };
import { type Folder, filesOf, mutates, runsOf } from '../../../tools/mutation/folders.ts';

const SERVER: Folder = { mutate: ['src/server/server.ts'], ignoreStatic: true };
const CONNECTIONS: Folder = { mutate: ['src/server/**/*.ts', '!src/server/server.ts', '!src/server/etcd-*.ts'], ignoreStatic: true };

describe('which files a folder mutates', () => {
  it('reads its patterns in turn, a "!" taking out files an earlier pattern added', () => {
    expect(mutates(CONNECTIONS.mutate, 'src/server/framing.ts')).toBe(true);
    expect(mutates(CONNECTIONS.mutate, 'src/server/tls/gate.ts')).toBe(true);
    expect(mutates(CONNECTIONS.mutate, 'src/server/server.ts')).toBe(false);
    expect(mutates(CONNECTIONS.mutate, 'src/server/etcd-store.ts')).toBe(false);
    expect(mutates(CONNECTIONS.mutate, 'src/client/client.ts')).toBe(false);
  });

  it('adds back a file a later pattern names again', () => {
    expect(mutates(['src/**/*.ts', '!src/a.ts', 'src/a.ts'], 'src/a.ts')).toBe(true);
    expect(mutates(['!src/a.ts', 'src/*.ts'], 'src/a.ts')).toBe(true);
  });

  it('finds them on disk, sorted, in folders below the pattern', () => {
    const root = mkdtempSync(join(tmpdir(), 'scs-mutation-folders-'));
    try {
      for (const file of [
        'src/server/server.ts',
        'src/server/tls/gate.ts',
        'src/server/framing.ts',
        'src/server/etcd-store.ts',
        'src/names.ts',
      ]) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), '');
      }
      expect(filesOf(root, CONNECTIONS)).toEqual(['src/server/framing.ts', 'src/server/tls/gate.ts']);
      expect(filesOf(root, SERVER)).toEqual(['src/server/server.ts']);
      expect(filesOf(root, { mutate: ['src/names.ts'] })).toEqual(['src/names.ts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const folders: Record<string, Folder> = FOLDERS;

  it("gives each of the project's files to one folder at most, so no mutant is counted twice", () => {
    const owner = new Map<string, string>();
    for (const [name, folder] of Object.entries(folders)) {
      const files = filesOf(root, folder);
      expect(files.length, `${name} mutates no file`).toBeGreaterThan(0);
      for (const file of files) {
        expect(owner.get(file), `${file} is in ${owner.get(file)} and ${name}`).toBeUndefined();
        owner.set(file, name);
      }
    }
  });

  it('leaves no file of the folders it cuts in parts (src/server, src/client) out, however files are renamed or added', () => {
    const all = filesOf(root, { mutate: ['src/server/**/*.ts', 'src/client/**/*.ts'] });
    const owned = new Set(Object.values(folders).flatMap((folder) => filesOf(root, folder)));
    expect(all.filter((file) => !owned.has(file))).toEqual([]);
  });
});

describe('which folders share a Stryker run', () => {
  const folders: Record<string, Folder> = {
    names: { mutate: ['src/names.ts'] },
    server: SERVER,
    dns: { mutate: ['src/dns/**/*.ts'] },
    connections: CONNECTIONS,
    etcd: { mutate: ['src/server/etcd-*.ts'], ignoreStatic: true, concurrency: 2 },
    client: { mutate: ['src/client/client.ts'], ignoreStatic: true, tests: ['test/a.test.ts'] },
    parts: { mutate: ['src/client/view.ts'], ignoreStatic: true, tests: ['test/a.test.ts'] },
    other: { mutate: ['src/other.ts'], ignoreStatic: true, tests: ['test/b.test.ts'] },
  };

  it('those whose options agree, in the order chosen', () => {
    expect(runsOf(folders, Object.keys(folders))).toEqual([
      ['names', 'dns'],
      ['server', 'connections'],
      ['etcd'],
      ['client', 'parts'],
      ['other'],
    ]);
  });

  it('only those chosen', () => {
    expect(runsOf(folders, ['dns', 'parts'])).toEqual([['dns'], ['parts']]);
    expect(runsOf(folders, [])).toEqual([]);
  });
});
