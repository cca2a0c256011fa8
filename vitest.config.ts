import { defineConfig } from 'vitest/config';

// Unit and integration tests in one run. Integration tests share one private Docker engine
// (scripts/engine.sh) and the machine has 2 cores, so test files run one at a time.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    fileParallelism: false,
    // generous for integration tests (container starts, readiness waits); unit tests finish fast anyway
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // starts scripts/engine.sh when it is not running and we are root; stops it if it started it
    globalSetup: ['test/support/global-setup.ts'],
    reporters: process.env.CI === 'true' ? ['verbose'] : ['default'],
  },
});
