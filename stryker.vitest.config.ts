// The test run StrykerJS uses: the project's own, without the tests that need a Docker daemon or
// pack and install the package. They mutate nothing in scope and take minutes per run.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

const outOfScope = ['up', 'up-takeover', 'operate', 'build-output', 'log-stream', 'secrets', 'images-prune', 'docker-kill', 'install'].map(
  (name) => `test/integration/${name}.test.ts`,
);

export default mergeConfig(base, defineConfig({ test: { exclude: [...outOfScope, 'test/e2e/**', '**/node_modules/**', '**/.git/**'] } }));
