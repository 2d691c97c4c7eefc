import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real PostgreSQL clusters, proxies and load; on
    // 2 cores they run one file at a time so timing assertions stay honest.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    reporters: ['default'],
    setupFiles: ['test/helpers/setup-file.ts'],
    // Ink renders only its last frame when CI is set; the UI tests drive a live UI, as a person at a terminal sees it.
    env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
