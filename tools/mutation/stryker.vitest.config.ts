// The test run StrykerJS uses: the project's own, without
// - the tests that need a Docker daemon or pack and install the package: they mutate nothing in
//   scope and take minutes per run;
// - the resolver recipes (real unbound and dnsmasq, waiting out real 5 s TTLs) and container-dns
//   (Docker): every DNS behaviour they see is also asked directly of disco by the dns tests, and
//   their hooks start disco's DNS, which would make every DNS mutant static (docs/testing.md).
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.ts';
import FOLDERS from './folders.json' with { type: 'json' };

const outOfScope = [
  'up',
  'up-takeover',
  'up-tls',
  'networks-eni',
  'volumes-ebs-up',
  'volumes-nfs',
  'operate',
  'build-output',
  'log-stream',
  'secrets',
  'images-prune',
  'docker-kill',
  'install',
  'resolver-recipes',
  'container-dns',
].map((name) => `test/integration/${name}.test.ts`);

// A folder may name its own tests (client's): the files whose subject it is. Its mutants are then
// tried against those alone, not against every test that reaches the folder's code on the way to
// something else: etcd-ha and etcd-failover start etcd clusters for each mutant they reach, and the
// CLI tests run the client in a child process, which Stryker's mutant switch never reaches. A
// mutant only those would have killed counts as survived: the score errs low, not high.
const folders: Record<string, { mutate: string[]; tests?: string[] }> = FOLDERS;
const chosen = (process.env.MUTATE ?? '').split(',').filter(Boolean);
// Folders that share a run name the same tests (folders.ts), each once.
const ownTests = chosen.every((name) => folders[name]?.tests !== undefined)
  ? [...new Set(chosen.flatMap((name) => folders[name]?.tests ?? []))]
  : [];

// The fuzzers run for every mutant they reach, most of dns/ and of the server: 10,000 packets or
// lines instead of 100,000 still mix every kind of malformed input with the well-formed, in a tenth
// of the time. Their seed is fixed here, so that a mutant the fuzz kills in one run is killed in
// the next, on the same code.
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...outOfScope, 'test/e2e/**', '**/node_modules/**', '**/.git/**'],
      env: { FUZZ_PACKETS: '10000', FUZZ_LINES: '10000', FUZZ_SEED: '1' },
    },
  }),
);

// mergeConfig joins arrays: a folder's own tests must replace the project's include, not add to it.
export default ownTests.length > 0 ? { ...config, test: { ...config.test, include: ownTests } } : config;
