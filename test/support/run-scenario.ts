// One scenario of test runs shared by the store contract suite and the InfluxDB store's own tests of the analyses'
// inputs: the rows written, a window that starts and ends inside an hour, and the run summaries per configuration
// and hour (the worker left out of the configuration) and failure summaries that every store must give for it.

import { emptyRunSummary } from '../../src/store/run-summaries.js';
import type { FailureSummaries, RunSummary } from '../../src/store/types.js';
import { HOUR_MS } from '../../src/time/buckets.js';
import type { Row } from './helpers.js';

export const T0 = Date.UTC(2026, 10, 21, 10); // 2026-11-21T10:00:00Z
const M = 60_000;
const us = (m: number): number => (T0 + m * M) * 1000;

/** Configuration test=a runs on two workers (ties at 10:10: failures first); test=b on one. */
export const RUN_ROWS: Row[] = [
  { t: T0 + 5 * M, success: true, tags: { test: 'a', worker: 'w1' } },
  { t: T0 + 10 * M, success: false, tags: { test: 'a', worker: 'w2' }, error: 'timeout after 5012 ms' },
  { t: T0 + 10 * M, success: true, tags: { test: 'a', worker: 'w1' } },
  { t: T0 + 50 * M, success: false, tags: { test: 'a', worker: 'w1' }, error: 'timeout after 4980 ms' },
  {
    t: T0 + 65 * M,
    success: false,
    tags: { test: 'a', worker: 'w2' },
    error: 'connect ECONNREFUSED 10.0.0.7:5432',
  },
  { t: T0 + 90 * M, success: false, tags: { test: 'a', worker: 'w1' }, error: 'timeout after 12 s' },
  { t: T0 + 140 * M, success: true, tags: { test: 'a', worker: 'w2' } },
  { t: T0 + 20 * M, success: false, tags: { test: 'b', worker: 'w1' }, error: 'timeout after 7 ms' },
  { t: T0 + 100 * M, success: true, tags: { test: 'b', worker: 'w1' } },
];

/** A window that starts and ends inside an hour: 10:07 to 12:30. */
export const RUN_WINDOW = { start: T0 + 7 * M, stop: T0 + 150 * M };

/** A run summary: what is given, the rest as for no runs. */
export const piece = (p: Partial<RunSummary> & Pick<RunSummary, 'configuration' | 'hour'>): RunSummary => ({
  ...emptyRunSummary(p),
  ...p,
});

/** Run summaries in a stable order: by hour, then configuration. */
export const byPiece = (xs: RunSummary[]): RunSummary[] =>
  [...xs].sort(
    (x, y) => x.hour - y.hour || (JSON.stringify(x.configuration) < JSON.stringify(y.configuration) ? -1 : 1),
  );

/** The run summaries of RUN_ROWS in RUN_WINDOW, the worker left out of the configuration. */
export const RUN_SUMMARIES: RunSummary[] = [
  piece({
    configuration: { test: 'a' },
    hour: T0,
    runs: 3,
    failures: 2,
    firstSuccess: false,
    lastSuccess: false,
    firstTime: us(10),
    lastTime: us(50),
    transitions: 2,
    tail: 'FPF',
    streak: 1,
  }),
  piece({
    configuration: { test: 'b' },
    hour: T0,
    runs: 1,
    failures: 1,
    firstSuccess: false,
    lastSuccess: false,
    firstTime: us(20),
    lastTime: us(20),
    tail: 'F',
    streak: 1,
  }),
  piece({
    configuration: { test: 'a' },
    hour: T0 + HOUR_MS,
    runs: 2,
    failures: 2,
    firstSuccess: false,
    lastSuccess: false,
    firstTime: us(65),
    lastTime: us(90),
    tail: 'FF',
    streak: 2,
  }),
  piece({
    configuration: { test: 'b' },
    hour: T0 + HOUR_MS,
    runs: 1,
    firstSuccess: true,
    lastSuccess: true,
    firstTime: us(100),
    lastTime: us(100),
    tail: 'P',
    streak: 1,
  }),
  piece({
    configuration: { test: 'a' },
    hour: T0 + 2 * HOUR_MS,
    runs: 1,
    firstSuccess: true,
    lastSuccess: true,
    firstTime: us(140),
    lastTime: us(140),
    tail: 'P',
    streak: 1,
  }),
];

/** A cut asked of the failure summaries inside the window's second hour: 11:20. */
export const FAILURE_CUT = T0 + 80 * M;

/**
 * Failure summaries as rows to compare: worker, piece start, failures, first and last time, example, and the
 * fingerprint's category; by piece start, then worker.
 */
export const failureRows = (got: FailureSummaries): unknown[][] =>
  got.rows
    .map((r) => [
      r.series.worker,
      r.start,
      r.failures,
      r.firstTime,
      r.lastTime,
      r.example,
      got.fingerprints.get(r.fingerprint)?.category,
    ])
    .sort((x, y) => Number(x[1]) - Number(y[1]) || String(x[0]).localeCompare(String(y[0])));

/** The failure summaries of test=a in RUN_WINDOW cut at FAILURE_CUT (as failureRows gives them). */
export const FAILURE_ROWS: unknown[][] = [
  ['w1', T0 + 7 * M, 1, us(50), us(50), 'timeout after 4980 ms', 'timeout'],
  ['w2', T0 + 7 * M, 1, us(10), us(10), 'timeout after 5012 ms', 'timeout'],
  ['w2', T0 + HOUR_MS, 1, us(65), us(65), 'connect ECONNREFUSED 10.0.0.7:5432', 'connection'],
  ['w1', FAILURE_CUT, 1, us(90), us(90), 'timeout after 12 s', 'timeout'],
];

/** What the timeouts of RUN_ROWS share: one fingerprint, whose pattern says so. */
export const TIMEOUT_KIND = { category: 'timeout', errorType: null, pattern: 'timeout after <duration>' };
