// Test helpers: building write batches, and the bucket statistics (docs/design.md) computed directly from values
// (simple-statistics for the moments, the R type-7 definition for percentiles), to check the store against.
import * as ss from 'simple-statistics';
import { makeSeries, type Tags, type TestResult, WriteBatch } from '../../src/model/result.js';

export interface Row {
  /** ms */
  t: number;
  success?: boolean;
  latency?: number | null;
  metrics?: Record<string, number>;
  tags?: Tags;
  error?: string;
}

export function batchOf(rows: Row[]): WriteBatch {
  const b = new WriteBatch();
  const series = new Map<string, ReturnType<typeof makeSeries>>();
  for (const r of rows) {
    const s = makeSeries('test_result', r.tags ?? {});
    const shared = series.get(s.key) ?? s;
    series.set(s.key, shared);
    b.addResult(
      shared,
      r.t * 1000,
      r.success ?? true,
      r.latency === undefined ? null : r.latency,
      r.metrics ?? null,
      r.error ?? null,
      null,
    );
  }
  return b;
}

/** The results of a batch as the store shows them once written (TestResult). */
export function storedForm(batch: WriteBatch): TestResult[] {
  return batch.resultRows().map((r) => ({
    time: r.time,
    success: r.success,
    latency_ms: r.latency,
    metrics: r.metrics,
    error: r.error,
    error_type: r.errorType,
    tags: r.series.tags,
  }));
}

/** R type 7 (linear interpolation of order statistics), written from its definition. */
export function type7(values: number[], q: number): number {
  const x = [...values].sort((a, b) => a - b);
  const h = (x.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, x.length - 1);
  return x[lo]! + (h - lo) * (x[hi]! - x[lo]!);
}

export interface Expected {
  test_count: number;
  success_count: number;
  failure_count: number;
  availability_pct: number | null;
  stats: {
    count: number;
    mean: number | null;
    min: number | null;
    max: number | null;
    stddev: number | null;
    p50: number | null;
    p95: number | null;
    p99: number | null;
  };
}

export function expectedOf(rows: Row[], metric = 'latency_ms'): Expected {
  const vals = rows
    .map((r) => (metric === 'latency_ms' ? r.latency : r.metrics?.[metric]))
    .filter((v): v is number => v !== null && v !== undefined);
  const ok = rows.filter((r) => r.success ?? true).length;
  const none = vals.length === 0;
  return {
    test_count: rows.length,
    success_count: ok,
    failure_count: rows.length - ok,
    availability_pct: rows.length ? (100 * ok) / rows.length : null,
    stats: {
      count: vals.length,
      mean: none ? null : ss.mean(vals),
      min: none ? null : ss.min(vals),
      max: none ? null : ss.max(vals),
      stddev: none ? null : ss.standardDeviation(vals), // population
      p50: none ? null : type7(vals, 0.5),
      p95: none ? null : type7(vals, 0.95),
      p99: none ? null : type7(vals, 0.99),
    },
  };
}

/** Relative difference, safe around zero. */
export function relErr(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale < 1e-12 ? 0 : Math.abs(a - b) / scale;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
