import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The global teardown stops the engine gracefully, which can take longer than the 10 s default.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.unit.spec.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.integration.spec.ts'],
          globalSetup: ['test/integration/support/global-setup.ts'],
          // One engine and one database for the whole run; the flows' topics are shared,
          // so test files run one after another.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.spec.ts'],
          // Its own engine and database (the analyst's deployments must not reach the integration
          // tests), and the built web workspace.
          globalSetup: ['test/integration/support/global-setup.ts', 'test/e2e/support/web-build.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
