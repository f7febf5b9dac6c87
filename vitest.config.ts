import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default on 2 cores is one file at a time; much of a file's time is waiting on PostgreSQL or a child process.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
