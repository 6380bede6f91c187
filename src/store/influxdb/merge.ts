// Merging rows into group-buckets, in TypeScript, exactly: counts and sums add, M2 merges by Chan's formula,
// min/max take the extremes. Percentiles: a group-bucket fed by one row keeps that row's exact values (R type 7,
// from Flux's exact_mean quantile); one fed by several rollup rows gets them from the merged sketch bins (within
// 0.8 %, model/stats.ts), the contract's allowance for merged buckets.

import type { Tags } from '../../model/result.js';
import { EMPTY_MOMENTS, type Moments, mergeMoments, QUANTILES, sketchQuantile } from '../../model/stats.js';
import { bucketIndex } from '../../time/buckets.js';
import type { AggregateGroup, BucketAggregate, StatsLevel } from '../types.js';
import { M_COUNTS, M_SKETCH, M_STATS } from './schema.js';

export interface Acc {
  group: (string | null)[];
  bucket: number;
  tc: number;
  sc: number;
  moments: Moments;
  /** Rows with metric values that fed this group-bucket. */
  sources: number;
  p: [number | null, number | null, number | null];
  bins: Map<number, { c: number; s: number }>;
}

export class Merger {
  readonly acc = new Map<string, Acc>();
  constructor(
    readonly boundaries: readonly number[],
    readonly groupBy: readonly string[],
    /** What the caller asked for: below 'percentiles' no percentile is given (none was read). */
    readonly level: StatsLevel = 'percentiles',
  ) {}

  get(bucket: number, tags: Record<string, unknown>): Acc {
    const group = this.groupBy.map((k) => {
      const v = tags[k];
      return typeof v === 'string' && v !== '' ? v : null;
    });
    const key = `${bucket}\u0000${JSON.stringify(group)}`;
    let a = this.acc.get(key);
    if (!a) {
      a = { group, bucket, tc: 0, sc: 0, moments: EMPTY_MOMENTS, sources: 0, p: [null, null, null], bins: new Map() };
      this.acc.set(key, a);
    }
    return a;
  }

  addCounts(a: Acc, tc: number, sc: number): void {
    a.tc += tc;
    a.sc += sc;
  }

  addMoments(a: Acc, m: Moments, p: [number | null, number | null, number | null]): void {
    if (m.n <= 0) return;
    a.moments = mergeMoments(a.moments, m);
    a.sources += 1;
    a.p = p;
  }

  addBin(a: Acc, key: number, c: number, s: number): void {
    const b = a.bins.get(key);
    if (b) {
      b.c += c;
      b.s += s;
    } else a.bins.set(key, { c, s });
  }

  /** A pivoted rollup row (test_result_counts, test_result_stats or test_result_sketch) at window start `timeMs`. */
  addRollupRow(measurement: string, timeMs: number, tags: Tags, f: Record<string, unknown>): void {
    const b = bucketIndex(this.boundaries, timeMs);
    if (b < 0) return;
    const a = this.get(b, tags);
    const n = (k: string): number | null => (typeof f[k] === 'number' ? (f[k] as number) : null);
    if (measurement === M_COUNTS) this.addCounts(a, n('test_count') ?? 0, n('success_count') ?? 0);
    else if (measurement === M_STATS) {
      const count = n('n') ?? 0;
      if (count > 0) {
        this.addMoments(a, { n: count, sum: n('sum') ?? 0, m2: n('m2') ?? 0, min: n('min'), max: n('max') }, [
          n('p50'),
          n('p95'),
          n('p99'),
        ]);
      }
    } else if (measurement === M_SKETCH) {
      for (const [k, v] of Object.entries(f)) {
        if (k[0] !== 'c' || typeof v !== 'number') continue;
        const key = Number(k.slice(1));
        if (!Number.isInteger(key)) continue;
        this.addBin(a, key, v, n(`s${k.slice(1)}`) ?? 0);
      }
    }
  }

  /** The accumulated group-buckets in the Store port's shape, groups in first-seen order, buckets ascending. */
  result(): AggregateGroup[] {
    const groups = new Map<string, AggregateGroup>();
    const accs = [...this.acc.values()].sort((x, y) => x.bucket - y.bucket);
    for (const a of accs) {
      if (a.tc === 0) continue;
      const gk = JSON.stringify(a.group);
      let g = groups.get(gk);
      if (!g) {
        const group: Record<string, string | null> = {};
        for (const [i, k] of this.groupBy.entries()) group[k] = a.group[i]!;
        // The port's Tags type has no nulls; the aggregates layer reads a missing group value as null.
        g = { group: group as Tags, buckets: [] };
        groups.set(gk, g);
      }
      g.buckets.push(finish(a, this.level));
    }
    return [...groups.values()];
  }
}

export function finish(a: Acc, level: StatsLevel = 'percentiles'): BucketAggregate {
  const m = a.moments;
  let p = a.p;
  let approximate = false;
  if (level !== 'percentiles') p = [null, null, null];
  else if (m.n > 0 && a.sources > 1) {
    approximate = true;
    p =
      a.bins.size > 0 && m.min !== null && m.max !== null
        ? sketchPercentiles(a.bins, m.min, m.max)
        : [null, null, null];
  }
  return {
    bucket: a.bucket,
    testCount: a.tc,
    successCount: a.sc,
    n: m.n,
    sum: m.sum,
    m2: m.m2,
    min: m.min,
    max: m.max,
    p50: m.n > 0 ? p[0] : null,
    p95: m.n > 0 ? p[1] : null,
    p99: m.n > 0 ? p[2] : null,
    approximate,
  };
}

/** Type-7 percentiles from merged bins: the mean of the bin holding each needed order statistic. */
export function sketchPercentiles(
  bins: Map<number, { c: number; s: number }>,
  min: number,
  max: number,
): [number | null, number | null, number | null] {
  const keys = [...bins.keys()].sort((x, y) => x - y);
  const cum: number[] = [];
  let tot = 0;
  for (const k of keys) cum.push((tot += bins.get(k)!.c));
  const meanAt = (rank: number): number | null => {
    if (rank >= tot) return null;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > rank) hi = mid;
      else lo = mid + 1;
    }
    const b = bins.get(keys[lo]!)!;
    return b.s / b.c;
  };
  return QUANTILES.map((q) => {
    const lo = Math.floor((tot - 1) * q);
    const a = meanAt(lo);
    if (a === null) return null;
    return sketchQuantile(q, tot, a, meanAt(lo + 1), min, max);
  }) as [number | null, number | null, number | null];
}
