// The test run StrykerJS uses: the project's own, without the tests that need a Docker daemon
// (they mutate nothing in scope and take minutes per run).
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(base, defineConfig({ test: { exclude: ['test/integration/up.test.ts', '**/node_modules/**', '**/.git/**'] } }));
