import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each test file's agents keep their state in a temporary folder (SCS_STATE_DIR).
    setupFiles: ['test/helpers/state-folder.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers and containers; on 2 cores, running files one by one keeps timings honest.
    fileParallelism: false,
  },
});
