// Exact type-7 percentiles of group-buckets too large to hold: DuckDB's quantile_cont keeps every value of a
// query in memory, outside its buffer limit (about 64 bytes a value: a week of the demo fleet in one bucket, 2 M
// values, held 130 MB for the length of the query). Here the order statistics the percentiles need are found by
// counting instead: a histogram of each group's values locates the bin that holds each wanted rank, and the values
// of those bins alone are read in order (a bin that holds more than `fetchLimit` is counted again, finer). Every
// group of a bucket is ranked in the same passes, so a bucket is read about three times whatever its groups. The
// answer is quantile_cont's; the histograms stay in DuckDB (an aggregate it may spill), and the service holds the
// few bins that hold a wanted rank and at most `fetchLimit` values at a time.
import { QUANTILES, type7 } from '../../model/stats.js';
import { type DuckDBConnection, queryColumns } from './db.js';
import type { ParamBag } from './sql.js';

/** Bins of one histogram pass (at least 2). */
const BINS = 4096;

/** One group's values: how many, the least and the greatest. */
export interface RankedGroup {
  g: number;
  n: number;
  min: number;
  max: number;
}

/** The values of the groups to rank: `sql` selects columns `g` (INTEGER) and `v` (DOUBLE, no nulls). */
export type ValuesOf = (p: ParamBag) => string;

/** A group's values in [lo, hi] (both ends held): `count` of them, `below` less than lo, the ranks (0-based) inside. */
interface Interval {
  g: number;
  lo: number;
  hi: number;
  below: number;
  count: number;
  ranks: number[];
}

/** The 0-based ranks whose values the type-7 percentiles of `n` values interpolate between (those type7 asks for). */
function ranksOf(n: number): number[] {
  const out = new Set<number>();
  for (const q of QUANTILES)
    type7(n, q, (rank) => {
      out.add(rank);
      return 0;
    });
  return [...out].sort((a, b) => a - b);
}

/** The intervals as list parameters joined to the values: each row of `values` in an interval gets its index. */
function inIntervals(p: ParamBag, values: ValuesOf, ivs: readonly Interval[]): string {
  return `WITH iv AS (SELECT unnest(${p.ints(ivs.map((iv) => iv.g))}) AS g, unnest(${p.doubles(ivs.map((iv) => iv.lo))}) AS lo,
                             unnest(${p.doubles(ivs.map((iv) => iv.hi))}) AS hi, unnest(${p.ints(ivs.map((_, i) => i))}) AS i)
          SELECT iv.i, iv.lo, iv.hi, x.v FROM (${values(p)}) x JOIN iv ON x.g = iv.g AND x.v >= iv.lo AND x.v <= iv.hi`;
}

/**
 * Type-7 p50, p95 and p99 of each group's values, by group. The bins of an interval [lo, hi] are
 * floor((v - lo) / (hi - lo) · bins): a monotone function of v, so each bin holds every value between its least and
 * greatest, and lo and hi fall in different bins, so each pass leaves an interval fewer values, until it holds at
 * most `fetchLimit` of them or one value repeated.
 */
export async function rankedQuantiles(
  conn: DuckDBConnection,
  newParams: () => ParamBag,
  values: ValuesOf,
  groups: readonly RankedGroup[],
  fetchLimit: number,
  bins = BINS,
): Promise<Map<number, [number, number, number]>> {
  if (groups.some((x) => !Number.isFinite(x.min) || !Number.isFinite(x.max)))
    throw new Error('ranked quantiles: values outside the double range');
  /** Order statistics found, by group and rank. */
  const found = new Map<number, Map<number, number>>(groups.map((x) => [x.g, new Map()]));
  let open: Interval[] = groups
    .filter((x) => x.n > 0)
    .map((x) => ({ g: x.g, lo: x.min, hi: x.max, below: 0, count: x.n, ranks: ranksOf(x.n) }));
  while (open.length > 0) {
    let fetch: Interval[] = [];
    const split: Interval[] = [];
    for (const iv of open) {
      if (iv.lo === iv.hi) for (const r of iv.ranks) found.get(iv.g)!.set(r, iv.lo);
      else if (iv.count <= fetchLimit) fetch.push(iv);
      else split.push(iv);
    }
    // Every read scans the bucket: the values are fetched in one read when they fit, or in a few when each is a
    // small bin; otherwise one more histogram pass (over all of them at once) makes them small bins first.
    const fetched = fetch.reduce((n, iv) => n + iv.count, 0);
    if (fetched > fetchLimit && fetch.some((iv) => iv.count > fetchLimit / 64)) {
      split.push(...fetch);
      fetch = [];
    }
    open = [];
    // The values of the intervals to fetch, in reads of at most fetchLimit values, each in interval and value order.
    for (let i = 0; i < fetch.length; ) {
      const batch: Interval[] = [];
      let total = 0;
      while (i < fetch.length && (batch.length === 0 || total + fetch[i]!.count <= fetchLimit)) {
        total += fetch[i]!.count;
        batch.push(fetch[i++]!);
      }
      const p = newParams();
      const cols = await queryColumns(
        conn,
        `SELECT i, v FROM (${inIntervals(p, values, batch)}) ORDER BY i, v`,
        p.values,
        p.types,
      );
      const is = (cols.i ?? []) as number[];
      const vs = (cols.v ?? []) as number[];
      let at = 0;
      batch.forEach((iv, k) => {
        const from = at;
        while (at < is.length && is[at] === k) at++;
        if (at - from !== iv.count) throw new Error('ranked quantiles: an interval holds other values than counted');
        for (const r of iv.ranks) found.get(iv.g)!.set(r, vs[from + r - iv.below]!);
      });
    }
    if (split.length > 0) {
      // Each interval's histogram stays in DuckDB: only the bins that hold a wanted rank come back (at most six an
      // interval, however many groups and bins). (v - lo) / (hi - lo) on halves near the ends of the double range,
      // where hi - lo would overflow (halving a subnormal loses its last bit, and could make lo and hi equal).
      const p = newParams();
      const halves = p.ints(split.map((iv) => (Math.abs(iv.lo) > 1e300 || Math.abs(iv.hi) > 1e300 ? 2 : 1)));
      const wanted = split.flatMap((iv, i) => iv.ranks.map((r) => [i, r - iv.below] as const));
      const cols = await queryColumns(
        conn,
        `WITH h AS (SELECT i, k, count(*) AS c, min(v) AS mn, max(v) AS mx FROM (
                      SELECT i, v, least(${bins - 1}, floor((v / h - lo / h) / (hi / h - lo / h) * ${bins}))::BIGINT AS k
                      FROM (SELECT *, ${halves}[i + 1] AS h FROM (${inIntervals(p, values, split)})))
                    GROUP BY i, k),
              w AS (SELECT *, sum(c) OVER (PARTITION BY i ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                              sum(c) OVER (PARTITION BY i) AS total
                    FROM h),
              rk AS (SELECT unnest(${p.ints(wanted.map(([i]) => i))}) AS i, unnest(${p.bigints(wanted.map(([, r]) => r))}) AS r)
         SELECT w.i, rk.r::DOUBLE AS r, w.c::DOUBLE AS c, (w.cum - w.c)::DOUBLE AS before, w.total::DOUBLE AS total,
                w.mn::DOUBLE AS mn, w.mx::DOUBLE AS mx
         FROM w JOIN rk ON w.i = rk.i AND rk.r >= w.cum - w.c AND rk.r < w.cum
         ORDER BY w.i, rk.r`,
        p.values,
        p.types,
      );
      const len = (cols.i ?? []).length;
      const placed = new Array<number>(split.length).fill(0);
      let bin: Interval | null = null;
      for (let row = 0; row < len; row++) {
        const i = cols.i![row] as number;
        const iv = split[i]!;
        const c = cols.c![row] as number;
        const before = cols.before![row] as number;
        if ((cols.total![row] as number) !== iv.count)
          throw new Error('ranked quantiles: an interval holds other values than counted');
        // lo and hi are in different bins, so a bin holds fewer values than its interval: a bin that holds them all
        // means values outside the double range (the store keeps none), which no pass would narrow.
        if (c >= iv.count) throw new Error('ranked quantiles: an interval does not narrow');
        const rank = iv.below + (cols.r![row] as number);
        if (bin === null || bin.g !== iv.g || bin.below !== iv.below + before) {
          bin = {
            g: iv.g,
            lo: cols.mn![row] as number,
            hi: cols.mx![row] as number,
            below: iv.below + before,
            count: c,
            ranks: [],
          };
          open.push(bin);
        }
        bin.ranks.push(rank);
        placed[i]!++;
      }
      if (split.some((iv, i) => placed[i] !== iv.ranks.length))
        throw new Error('ranked quantiles: an interval holds other values than counted');
    }
  }
  const out = new Map<number, [number, number, number]>();
  for (const { g, n } of groups) {
    if (n === 0) continue;
    const at = found.get(g)!;
    out.set(g, QUANTILES.map((q) => type7(n, q, (rank) => at.get(rank)!)) as [number, number, number]);
  }
  return out;
}
