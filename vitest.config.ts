import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // The real-MTA suite owns a network namespace; keep it from racing other files for CPU.
    fileParallelism: true,
    reporters: ['default'],
  },
});
