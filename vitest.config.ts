import { defineConfig } from 'vitest/config';

// Real clients (npm, pip, mvn, aws) run inside tests: generous timeouts, and at most two files
// at once on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
