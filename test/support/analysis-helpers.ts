// Helpers for the analysis tests: a real in-memory DuckDB store, requests with defaults, and write batches that
// carry everything a result or breaker event can (error_type and breaker transitions included).
import { afterEach } from 'vitest';
import type { AnalysisRequest } from '../../src/analysis/types.js';
import {
  type BreakerState,
  makeSeries,
  type SeriesRef,
  type Tags,
  type TestResult,
  WriteBatch,
} from '../../src/model/result.js';
import { DuckDBStore } from '../../src/store/duckdb/index.js';
import { HOUR } from './helpers.js';

export const openStore = (): Promise<DuckDBStore> =>
  DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });

/**
 * A store in the states the summary property tests explore: `first` written, the first `rollupHours` hours after
 * `base` rolled up (0: none), `late` written (late writes below the watermark), and optionally everything up to
 * `until` rolled up again.
 */
export async function storeWithLateWrites(
  first: readonly FullRow[],
  late: readonly FullRow[],
  o: { base: number; rollupHours: number; rollupAgain: boolean; until: number },
): Promise<DuckDBStore> {
  const store = await openStore();
  await store.write(batchWith(first));
  if (o.rollupHours > 0) await store.rollup(o.base + o.rollupHours * HOUR);
  await store.write(batchWith(late));
  if (o.rollupAgain) await store.rollup(o.until);
  return store;
}

/**
 * Call inside a describe: gives a function that opens a fresh in-memory store for the running test, and closes it
 * after that test, so the runner suites do not each repeat the open/close bookkeeping.
 */
export function storePerTest(): () => Promise<DuckDBStore> {
  let store: DuckDBStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return async () => (store = await openStore());
}

export function request(start: number, stop: number, more: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return { start, stop, filters: {}, groupBy: [], metric: 'latency_ms', tz: 'UTC', options: {}, ...more };
}

export interface FullRow {
  /** ms */
  t: number;
  success: boolean;
  latency?: number | null;
  metrics?: Record<string, number>;
  tags?: Tags;
  error?: string | null;
  errorType?: string | null;
}

/**
 * What a store keeps of rows written in this order: one per series (tag set) and timestamp, the last written
 * winning, in the order of the rows that stay.
 */
export function lastWritten(rows: readonly FullRow[]): FullRow[] {
  const kept = new Map<string, number>();
  rows.forEach((r, i) => {
    const tags = Object.entries(r.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    kept.set(`${JSON.stringify(tags)} ${r.t}`, i);
  });
  return [...kept.values()].sort((a, b) => a - b).map((i) => rows[i]!);
}

export interface BreakerRow {
  /** ms */
  t: number;
  state: BreakerState;
  tags: Tags;
  failures?: number | null;
}

export function batchWith(rows: readonly FullRow[], breakers: readonly BreakerRow[] = []): WriteBatch {
  const b = new WriteBatch();
  const series = new Map<string, SeriesRef>();
  const shared = (m: 'test_result' | 'circuit_breaker', tags: Tags): SeriesRef => {
    const s = makeSeries(m, tags);
    const got = series.get(s.key) ?? s;
    series.set(s.key, got);
    return got;
  };
  for (const r of rows) {
    b.addResult(
      shared('test_result', r.tags ?? {}),
      r.t * 1000,
      r.success,
      r.latency ?? null,
      r.metrics ?? null,
      r.error ?? null,
      r.errorType ?? null,
    );
  }
  for (const e of breakers) b.addBreaker(shared('circuit_breaker', e.tags), e.t * 1000, e.state, e.failures ?? null);
  return b;
}

/** A TestResult as the store returns it (time in µs), for pure-function tests. */
export function result(
  tMs: number,
  success: boolean,
  tags: Tags = {},
  error: string | null = null,
  errorType: string | null = null,
  latency: number | null = null,
): TestResult {
  return { time: tMs * 1000, success, latency_ms: latency, metrics: null, error, error_type: errorType, tags };
}
