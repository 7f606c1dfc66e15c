import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start servers and containers; on 2 cores, running files one by one keeps timings honest.
    fileParallelism: false,
  },
});
