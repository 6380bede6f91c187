import { defineConfig } from 'vitest/config';

/**
 * Files that assert how fast the service answers /ping while it works: they run after every other file, one at a
 * time, so that the suite's own parallel files do not take the main thread's CPU (on a 2-core machine the rest of
 * the suite running beside them added 20-40 ms to what the service itself holds the event loop for).
 */
const TIMING = ['test/event-loop.test.ts', 'test/fuzz-soak.test.ts'];

export default defineConfig({
  test: {
    // DuckDB is a native addon: separate processes keep each test file's database and threads apart.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'suite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], exclude: TIMING } },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
