import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time (Vitest's default on 2 cores, said here on purpose): the files share one PostgreSQL, whose
    // transaction horizon is the whole cluster's, so a file's open transaction holds back another's audit sealing and its
    // verify counts entries as pending.
    maxWorkers: 1,
    reporters: ['default'],
  },
});
