import { defineConfig } from 'vitest/config';

// Unit and integration tests: *.test.ts beside the code. Playwright owns e2e/**/*.spec.ts.
export default defineConfig({
  test: {
    include: ['main/**/*.test.ts', 'renderer/src/**/*.test.{ts,tsx}', 'native/**/*.test.ts', 'e2e/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
