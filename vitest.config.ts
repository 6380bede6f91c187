import { defineConfig } from 'vitest/config';

/**
 * Files that assert how fast the service answers /ping while it works: they run after every other file, one at a
 * time, so that the suite's own parallel files do not take the main thread's CPU (on a 2-core machine the rest of
 * the suite running beside them added 20-40 ms to what the service itself holds the event loop for).
 */
const TIMING = ['test/e2e/event-loop.test.ts', 'test/e2e/fuzz-soak.test.ts'];

/**
 * End-to-end files: the CLI and service in child processes (crash, full disk, exports, the demo), a browser on the
 * dashboard, docker compose and the examples, InfluxDB in a container, and the HTTP API through a live server
 * (src/api/, test/support/server.ts). Everything else under src/ is the `unit` project (`npm run test:unit`, README "Run it
 * and test it"): pure functions, the analyses and stores on in-memory (or temporary-file) DuckDB, the InfluxDB store
 * against its loopback imitation.
 */
const E2E = [
  'test/**/*.test.ts',
  'src/api/**/*.test.ts',
  'src/cli/analyze.test.ts',
  'src/store/influxdb/influxdb.contract.test.ts',
];

export default defineConfig({
  test: {
    // DuckDB is a native addon: separate processes keep each test file's database and threads apart.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end files spawn the built command; this rebuilds dist/ first when the source is newer.
    globalSetup: ['test/support/built-cli.ts'],
    // `vitest run` (npm test) runs all three projects: every file once.
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E, exclude: TIMING } },
      { extends: true, test: { name: 'timing', include: TIMING, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
