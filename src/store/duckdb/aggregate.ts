// Aggregates over any period, time zone, grouping and filter, read in one snapshot as a "real-time aggregate"
// (TimescaleDB's design): clean closed buckets come from rollups, the rest (the open hour, and buckets that took
// writes after they were rolled up) from raw rows, so every acknowledged write is visible at once.
//
// Time in [b0, bn) is split into three disjoint parts:
//   D: days of the daily rollup (only for day/week/month in the rollup's own zone) that are not dirty;
//   H: UTC hours of the hourly rollup (only when every boundary is a whole UTC hour) that are not dirty and not in D;
//   R: everything else, read raw.
// Moments merge exactly (Chan's formula). Percentiles are exact (R type 7) when a group-bucket has one source
// (one rollup row, or raw rows only) or when its raw rows are still kept; only buckets reaching back past the
// raw retention come from merged sketch bins (within 0.8 %, see model/stats.ts).
import { type Moments, mergeMoments, QUANTILES, sketchQuantile } from '../../model/stats.js';
import { bucketStart, ceilHour, floorHour, HOUR_MS, interiorSlotFor, nextBucketStart } from '../../time/buckets.js';
import { intersectRanges, mergeRanges, type Range, subtractRanges } from '../../time/ranges.js';
import type { AggregateGroup, AggregateQuery, AggregateResult } from '../types.js';
import { type DuckDBConnection, queryColumns } from './db.js';
import { type RankedGroup, rankedQuantiles } from './ranked-quantiles.js';
import type { GroupPlan } from './series-registry.js';
import { sketchKeySql } from './sketch-sql.js';
import { type BucketMap, bucketMap, ParamBag, rangesPredicate, sumOfSquaresSql } from './sql.js';

export interface RollupState {
  hourlyWatermark: number | null;
  dailyWatermark: number | null;
  dailyTz: string | null;
  dirtyHours: number[];
  dirtyDays: number[];
  /** Raw rows before this time (ms) are deleted; 0 when none were. */
  rawFloor: number;
  /** Changes whenever past rollup rows are rewritten; answers report it so callers can reuse final buckets. */
  generation: string;
}

interface Parts {
  /** End of the last range that only deleted raw rows could have served, or null. */
  incompleteBefore: number | null;
  /** Ranges read from the daily rollup (bucket column), with dirty days excluded. */
  day: Range[];
  /** Ranges read from the hourly rollup, with dirty hours excluded. */
  hour: Range[];
  raw: Range[];
}

/**
 * The days of the daily rollup (in `tz`, before `watermark`) that lie wholly inside one bucket: a day row counts
 * for the bucket that holds its start, so a bucket that starts or ends inside a day (a report's range cut at the
 * current hour) takes that day's part from hours or raw rows instead.
 */
export function wholeDays(boundaries: readonly number[], tz: string, watermark: number): Range[] {
  const out: Range[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const lo = boundaries[i]!;
    const hi = Math.min(boundaries[i + 1]!, watermark);
    if (hi - lo < 22 * HOUR_MS) continue; // no day fits
    let d = bucketStart('day', tz, lo);
    if (d < lo) d = nextBucketStart('day', tz, d);
    let end = d;
    while (nextBucketStart('day', tz, end) <= hi) end = nextBucketStart('day', tz, end);
    if (end > d) out.push([d, end]);
  }
  return mergeRanges(out);
}

/** Splits [b0, bn) into rollup-served and raw-served ranges. */
export function planParts(tz: string, boundaries: readonly number[], st: RollupState): Parts {
  const b0 = boundaries[0]!;
  const bn = boundaries[boundaries.length - 1]!;
  const full: Range[] = [[b0, bn]];
  let day: Range[] = [];
  // Any period: an hourly query's one bucket over a month (the analyses' totals) holds whole days too.
  if (st.dailyTz === tz && st.dailyWatermark !== null && st.dailyWatermark > b0) {
    const dirty: Range[] = st.dirtyDays.map((d) => [d, nextBucketStart('day', tz, d)]);
    day = subtractRanges(wholeDays(boundaries, tz, st.dailyWatermark), dirty);
  }
  let hour: Range[] = [];
  // Whole UTC hours inside the range, when no boundary cuts one (the first and last may: those parts are raw).
  if (interiorSlotFor(boundaries) === HOUR_MS && st.hourlyWatermark !== null && st.hourlyWatermark > b0) {
    const dirty: Range[] = st.dirtyHours.map((h) => [h, h + HOUR_MS]);
    hour = subtractRanges(subtractRanges([[ceilHour(b0), Math.min(floorHour(bn), st.hourlyWatermark)]], dirty), day);
  }
  const raw = subtractRanges(subtractRanges(full, day), hour);
  // Raw rows before the floor are gone: what no rollup covers there is missing.
  const missing = intersectRanges(raw, [b0, st.rawFloor]);
  return {
    day,
    hour,
    raw: intersectRanges(raw, [st.rawFloor, bn]),
    incompleteBefore: missing.length ? missing[missing.length - 1]![1] : null,
  };
}

interface Acc {
  tc: number;
  sc: number;
  moments: Moments;
  /** Sources with metric values: rollup rows plus 1 for raw rows. */
  sources: number;
  p: [number | null, number | null, number | null];
}

/** Adds row i of a part's result (tc, sc, n, s, m2, mn, mx columns) to an accumulator; returns its n. */
function addCounts(a: Acc, cols: Record<string, unknown[]>, i: number): number {
  a.tc += cols.tc![i] as number;
  a.sc += cols.sc![i] as number;
  const n = cols.n![i] as number;
  if (n > 0) {
    a.moments = mergeMoments(a.moments, {
      n,
      sum: cols.s![i] as number,
      m2: cols.m2![i] as number,
      min: cols.mn![i] as number,
      max: cols.mx![i] as number,
    });
  }
  return n;
}

/** Memory bound of exact percentiles (tests make it small to reach every path). */
export interface ExactLimits {
  /**
   * Raw values a quantile_cont query holds at most (it holds them all, outside DuckDB's buffer limit); a
   * group-bucket with more is ranked by counting instead (ranked-quantiles.ts), and reads at most a quarter of this.
   */
  sliceRows: number;
}

export const EXACT_LIMITS: ExactLimits = { sliceRows: 1_000_000 };

export async function aggregateQuery(
  conn: DuckDBConnection,
  q: AggregateQuery,
  plan: GroupPlan,
  st: RollupState,
  limits: ExactLimits = EXACT_LIMITS,
): Promise<AggregateResult> {
  const level = q.stats ?? 'percentiles';
  const parts = planParts(q.tz, q.boundaries, st);
  // Buckets with no raw part are closed and clean: final, and left out when the caller holds them.
  const nB = q.boundaries.length - 1;
  const clean: boolean[] = new Array<boolean>(nB).fill(true);
  for (const [a, b] of parts.raw) {
    for (let i = 0; i < nB; i++) if (q.boundaries[i]! < b && q.boundaries[i + 1]! > a) clean[i] = false;
  }
  // Closed clean buckets the caller already holds from an answer under this generation are left out.
  const reused: number[] = [];
  if (q.reuse && q.reuse.generation === st.generation) {
    for (let i = 0; i < nB; i++) if (clean[i] && q.reuse.buckets.has(i)) reused.push(i);
    if (reused.length > 0) {
      const done = reused.map((i) => [q.boundaries[i]!, q.boundaries[i + 1]!] as Range);
      parts.day = subtractRanges(parts.day, done);
      parts.hour = subtractRanges(parts.hour, done);
    }
  }
  const slot = interiorSlotFor(q.boundaries);
  // Percentiles of buckets merged from several rollup rows need the raw values while they are kept. When every
  // bucket is inside the raw retention and none is too large for one query, read everything raw in one pass per
  // slice (counts and moments too) rather than merging rollup rows and then reading the same raw rows again for the
  // percentiles.
  // Groups of one series in hourly buckets keep the rollup: each of its rows holds that bucket's exact percentiles.
  let rawRows: Map<number, number> | null = null;
  if (level === 'percentiles' && parts.raw.length > 0) rawRows = await rawRowsPerBucket(conn, q.boundaries, parts.raw);
  const oneSeriesPerGroup = q.period === 'hour' && plan.sids.length === plan.groups.length;
  if (
    level === 'percentiles' &&
    !oneSeriesPerGroup &&
    q.boundaries[0]! >= st.rawFloor &&
    parts.day.length + parts.hour.length > 0
  ) {
    const rolled = mergeRanges([...parts.day, ...parts.hour]);
    const counts = await rawRowsPerBucket(conn, q.boundaries, rolled);
    // Not when a bucket holds more rows than one percentile query may: its percentiles are ranked by counting
    // (step 3), which reads the raw rows anyway, and its counts and moments come cheaper from the rollups.
    if (Math.max(0, ...counts.values(), ...(rawRows?.values() ?? [])) <= limits.sliceRows) {
      for (const [b, n] of counts) rawRows = (rawRows ?? new Map()).set(b, (rawRows?.get(b) ?? 0) + n);
      parts.raw = mergeRanges([...parts.raw, ...rolled]);
      parts.day = [];
      parts.hour = [];
    }
  }
  const acc = new Map<number, Acc>(); // key: b * nGroups + g
  const nG = plan.groups.length;
  const get = (b: number, g: number): Acc => {
    const k = b * nG + g;
    let a = acc.get(k);
    if (!a) {
      a = { tc: 0, sc: 0, moments: { n: 0, sum: 0, m2: 0, min: null, max: null }, sources: 0, p: [null, null, null] };
      acc.set(k, a);
    }
    return a;
  };
  const valueExpr = (alias: string, p: ParamBag): string =>
    q.metric === 'latency_ms' ? `${alias}.latency_ms` : `${alias}.metrics[${p.str(q.metric)}]`;

  const common = (p: ParamBag): { map: BucketMap; ctes: string; gm: GroupMap } => {
    const map = bucketMap(p, q.boundaries, slot);
    const gm = groupMap(p, plan);
    return { map, gm, ctes: `${gm.cte}, ${map.cte}` };
  };

  // 1. Rollup rows (D and H): counts, moments, and the stored exact percentiles of single-row buckets.
  if (parts.day.length + parts.hour.length > 0) {
    const p = new ParamBag();
    const { map, ctes, gm } = common(p);
    // Counts only: the count rows (metric ''), not the metric's moments.
    const metrics = level === 'counts' ? `''` : `'', ${p.str(q.metric)}`;
    const piece = (table: string, ranges: Range[]): string =>
      `SELECT ${map.index('x', 'bucket')} AS b, ${gm.g('x')} AS g, x.metric, x.test_count, x.success_count, x.n, x.sum, x.m2, x.min, x.max, x.p50, x.p95, x.p99
       FROM ${table} x ${gm.join('x')} ${map.join('x', 'bucket')}
       WHERE x.metric IN (${metrics}) AND ${rangesPredicate(p, 'x.bucket', ranges)} AND ${gm.where('x')}`;
    const pieces: string[] = [];
    if (parts.day.length) pieces.push(piece('rollup_day', parts.day));
    if (parts.hour.length) pieces.push(piece('rollup_hour', parts.hour));
    const cols = await queryColumns(
      conn,
      `WITH ${ctes},
       parts AS (${pieces.join(' UNION ALL ')}),
       agg AS (SELECT b, g,
                 sum(test_count) FILTER (WHERE metric = '') AS tc,
                 sum(success_count) FILTER (WHERE metric = '') AS sc,
                 sum(n) FILTER (WHERE metric <> '') AS n,
                 sum(sum) FILTER (WHERE metric <> '') AS s,
                 min(min) AS mn, max(max) AS mx,
                 count(*) FILTER (WHERE metric <> '' AND n > 0) AS srcs,
                 max(p50) AS p50, max(p95) AS p95, max(p99) AS p99
               FROM parts GROUP BY b, g),
       dev AS (SELECT x.b, x.g, sum(x.m2 + x.n * pow(x.sum / x.n - a.s / a.n, 2)) AS m2
               FROM parts x JOIN agg a ON x.b = a.b AND x.g = a.g
               WHERE x.metric <> '' AND x.n > 0 GROUP BY x.b, x.g)
       SELECT agg.b, agg.g, coalesce(tc, 0)::DOUBLE AS tc, coalesce(sc, 0)::DOUBLE AS sc, coalesce(n, 0)::DOUBLE AS n,
              coalesce(s, 0)::DOUBLE AS s, coalesce(dev.m2, 0)::DOUBLE AS m2, mn, mx, srcs::INTEGER AS srcs, p50, p95, p99
       FROM agg LEFT JOIN dev ON agg.b = dev.b AND agg.g = dev.g`,
      p.values,
      p.types,
    );
    const len = (cols.b ?? []).length;
    for (let i = 0; i < len; i++) {
      const a = get(cols.b![i] as number, cols.g![i] as number);
      addCounts(a, cols, i);
      a.sources += cols.srcs![i] as number;
      a.p = [cols.p50![i] as number | null, cols.p95![i] as number | null, cols.p99![i] as number | null];
    }
  }

  // 2. Raw rows (R), aggregated per bucket and group with exact type-7 percentiles; for percentiles in slices of
  // whole buckets of about sliceRows rows, since quantile_cont holds every value of a slice in memory. A bucket
  // with more rows is a slice read without them: its group-buckets get theirs in step 3 (by groups, or ranked).
  /** Group-buckets whose raw values were read without their percentiles (their slice was over the bound). */
  const rawOnly = new Set<number>();
  if (parts.raw.length > 0) {
    const slices =
      level === 'percentiles' && rawRows
        ? sliceRanges(parts.raw, q.boundaries, rawRows, limits.sliceRows)
        : [{ ranges: parts.raw, over: false }];
    for (const slice of slices) {
      const p = new ParamBag();
      const { map, ctes, gm } = common(p);
      // Only what the level needs: counts never read the metric column; percentiles alone need the values sorted.
      const v = level === 'counts' ? 'NULL::DOUBLE' : valueExpr('r', p);
      const over = level === 'percentiles' && slice.over;
      const q7 = level === 'percentiles' && !over ? 'quantile_cont(v, [0.5, 0.95, 0.99])' : 'NULL::DOUBLE[3]';
      const cols = await queryColumns(
        conn,
        `WITH ${ctes},
         src AS (SELECT ${map.index('r', 'time')} AS b, ${gm.g('r')} AS g, r.success, ${v} AS v
                 FROM results r ${gm.join('r')} ${map.join('r', 'time')}
                 WHERE ${rangesPredicate(p, 'r.time', slice.ranges)} AND ${gm.where('r')})
         SELECT * EXCLUDE (q), q[1] AS p50, q[2] AS p95, q[3] AS p99 FROM (
           SELECT b, g, count(*)::DOUBLE AS tc, count_if(success)::DOUBLE AS sc, count(v)::DOUBLE AS n,
                  coalesce(sum(v), 0)::DOUBLE AS s, coalesce(${sumOfSquaresSql('v')}, 0)::DOUBLE AS m2,
                  min(v)::DOUBLE AS mn, max(v)::DOUBLE AS mx, ${q7} AS q
           FROM src GROUP BY b, g)`,
        p.values,
        p.types,
      );
      const len = (cols.b ?? []).length;
      for (let i = 0; i < len; i++) {
        const a = get(cols.b![i] as number, cols.g![i] as number);
        if (addCounts(a, cols, i) > 0) {
          a.sources += 1;
          a.p = [cols.p50![i] as number | null, cols.p95![i] as number | null, cols.p99![i] as number | null];
          if (over) rawOnly.add((cols.b![i] as number) * nG + (cols.g![i] as number));
        }
      }
    }
  }

  // 3. Group-buckets fed by several sources. Where the raw rows of the whole bucket are still kept (the bucket
  // starts at or after the raw floor), their exact type-7 percentiles; older buckets from merged sketch bins
  // (within 0.8 %). Group-buckets read raw in step 2 without their percentiles get them here too, from the same
  // raw rows.
  const exact: number[] = [];
  const rawExact: number[] = [];
  const sketched: number[] = [];
  for (const [k, a] of acc) {
    if (level !== 'percentiles') {
      a.p = [null, null, null];
      continue;
    }
    if (a.sources <= 1) {
      if (rawOnly.has(k)) rawExact.push(k);
      continue;
    }
    if (q.boundaries[Math.floor(k / nG)]! >= st.rawFloor) exact.push(k);
    else sketched.push(k);
  }
  const bucketRange = (b: number): Range => [q.boundaries[b]!, q.boundaries[b + 1]!];
  await exactPercentiles(exact, (b) => [bucketRange(b)]);
  await exactPercentiles(rawExact, (b) => intersectRanges(parts.raw, bucketRange(b)));

  /**
   * Exact percentiles of `keys`, each group-bucket's values in `rangesOf` its bucket. quantile_cont holds every
   * value of a query in memory: they are read in slices of whole buckets of about sliceRows raw rows (counted from
   * the rollups), and the group-buckets of a bucket with more are ranked by counting, so memory stays bounded
   * however long the range.
   */
  async function exactPercentiles(keys: number[], rangesOf: (b: number) => Range[]): Promise<void> {
    for (const slice of slicesByRows(keys, nG, (k) => acc.get(k)!.tc, limits.sliceRows)) {
      const buckets = [...new Set(slice.keys.map((k) => Math.floor(k / nG)))];
      const ranges = mergeRanges(buckets.flatMap(rangesOf));
      if (slice.over) {
        const groups: RankedGroup[] = [];
        for (const k of slice.keys) {
          const m = acc.get(k)!.moments;
          if (m.n > 0 && m.min !== null && m.max !== null) groups.push({ g: k % nG, n: m.n, min: m.min, max: m.max });
        }
        const theirs = onlyGroups(
          plan,
          groups.map((x) => x.g),
        );
        const got = await rankedQuantiles(
          conn,
          () => new ParamBag(),
          (p) => {
            const gm = groupMap(p, theirs);
            const v = valueExpr('r', p);
            return `WITH ${gm.cte} SELECT ${gm.g('r')} AS g, ${v} AS v FROM results r ${gm.join('r')}
                    WHERE ${rangesPredicate(p, 'r.time', ranges)} AND ${v} IS NOT NULL AND ${gm.where('r')}`;
          },
          groups,
          Math.max(1, Math.floor(limits.sliceRows / 4)),
        );
        for (const k of slice.keys) {
          const q = got.get(k % nG);
          if (q) acc.get(k)!.p = q;
        }
        continue;
      }
      const p = new ParamBag();
      const { map, ctes, gm } = common(p);
      const v = valueExpr('r', p);
      const wanted = new Set(slice.keys);
      const cols = await queryColumns(
        conn,
        `WITH ${ctes}
         SELECT b, g, q[1] AS p50, q[2] AS p95, q[3] AS p99 FROM (
         SELECT ${map.index('r', 'time')} AS b, ${gm.g('r')} AS g, quantile_cont(${v}, [0.5, 0.95, 0.99]) AS q
         FROM results r ${gm.join('r')} ${map.join('r', 'time')}
         WHERE ${rangesPredicate(p, 'r.time', ranges)} AND ${v} IS NOT NULL AND ${gm.where('r')}
         GROUP BY 1, 2)`,
        p.values,
        p.types,
      );
      const len = (cols.b ?? []).length;
      for (let i = 0; i < len; i++) {
        const b = cols.b![i] as number;
        const g = cols.g![i] as number;
        if (!wanted.has(b * nG + g)) continue; // a single-source group-bucket of the same buckets: it has its values
        get(b, g).p = [cols.p50![i] as number | null, cols.p95![i] as number | null, cols.p99![i] as number | null];
      }
    }
  }
  const sketchedKeys = new Set(sketched);
  if (sketched.length > 0) {
    const p = new ParamBag();
    const { map, ctes, gm } = common(p);
    let metric: string | undefined; // bound on first use: an unused parameter is an error
    const v = valueExpr('r', p);
    // Bins exist for rollup rows older than the raw floor (written when their raw rows were deleted); newer
    // parts of a bucket contribute their raw values as bins of one.
    const floor: Range = [0, st.rawFloor];
    const above: Range = [st.rawFloor, Number.MAX_SAFE_INTEGER];
    const binPiece = (table: string, ranges: Range[]): string =>
      `SELECT ${map.index('x', 'bucket')} AS b, ${gm.g('x')} AS g, x.k, x.c, x.s FROM ${table} x ${gm.join('x')} ${map.join('x', 'bucket')}
       WHERE x.metric = ${(metric ??= p.str(q.metric))} AND ${rangesPredicate(p, 'x.bucket', ranges)} AND ${gm.where('x')}`;
    const rawPiece = (ranges: Range[]): string =>
      `SELECT ${map.index('r', 'time')} AS b, ${gm.g('r')} AS g, ${sketchKeySql(v)} AS k, 1 AS c, ${v} AS s
       FROM results r ${gm.join('r')} ${map.join('r', 'time')}
       WHERE ${rangesPredicate(p, 'r.time', ranges)} AND ${v} IS NOT NULL AND ${gm.where('r')}`;
    const pieces: string[] = [];
    const dayOld = intersectRanges(parts.day, floor);
    const hourOld = intersectRanges(parts.hour, floor);
    const rawAll = mergeRanges([
      ...intersectRanges(parts.day, above),
      ...intersectRanges(parts.hour, above),
      ...parts.raw,
    ]);
    if (dayOld.length) pieces.push(binPiece('rollup_day_bins', dayOld));
    if (hourOld.length) pieces.push(binPiece('rollup_hour_bins', hourOld));
    if (rawAll.length) pieces.push(rawPiece(rawAll));
    // The mean of the bin that holds order statistic floor((tot - 1) q) + plus (0-based).
    const rank = (qv: number, plus: number): string =>
      `arg_min(s / c, k) FILTER (WHERE cum > floor((tot - 1) * ${qv}) + ${plus})`;
    const sel = QUANTILES.flatMap((qv, i) => [`${rank(qv, 0)} AS k${i}a`, `${rank(qv, 1)} AS k${i}b`]).join(', ');
    const cols = await queryColumns(
      conn,
      `WITH ${ctes},
       need AS (SELECT unnest(${p.bigints(sketched)}) AS key),
       bins AS (${pieces.join(' UNION ALL ')}),
       merged AS (SELECT b, g, k, sum(c) AS c, sum(s) AS s FROM bins
                  WHERE (b::BIGINT * ${p.bigint(nG)} + g) IN (SELECT key FROM need) GROUP BY b, g, k),
       w AS (SELECT b, g, k, c, s,
                    sum(c) OVER (PARTITION BY b, g ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
                    sum(c) OVER (PARTITION BY b, g) AS tot
             FROM merged)
       SELECT b, g, any_value(tot)::DOUBLE AS tot, ${sel} FROM w GROUP BY b, g`,
      p.values,
      p.types,
    );
    const len = (cols.b ?? []).length;
    for (let i = 0; i < len; i++) {
      const a = get(cols.b![i] as number, cols.g![i] as number);
      const tot = cols.tot![i] as number;
      const m = a.moments;
      if (m.n === 0 || m.min === null || m.max === null) continue;
      a.p = QUANTILES.map((qv, j) =>
        sketchQuantile(
          qv,
          tot,
          cols[`k${j}a`]![i] as number,
          (cols[`k${j}b`]![i] as number | null) ?? null,
          m.min!,
          m.max!,
        ),
      ) as [number, number, number];
    }
  }

  const out: AggregateGroup[] = plan.groups.map((group) => ({ group: group as Record<string, string>, buckets: [] }));
  const keys = [...acc.keys()].sort((x, y) => x - y);
  for (const k of keys) {
    const b = Math.floor(k / nG);
    const a = acc.get(k)!;
    if (a.tc === 0) continue;
    out[k - b * nG]!.buckets.push({
      bucket: b,
      testCount: a.tc,
      successCount: a.sc,
      n: a.moments.n,
      sum: a.moments.sum,
      m2: a.moments.m2,
      min: a.moments.min,
      max: a.moments.max,
      p50: a.moments.n > 0 ? a.p[0] : null,
      p95: a.moments.n > 0 ? a.p[1] : null,
      p99: a.moments.n > 0 ? a.p[2] : null,
      approximate: sketchedKeys.has(k),
    });
  }
  const result: AggregateResult = {
    groups: out.filter((o) => o.buckets.length > 0),
    generation: st.generation,
    final: clean.flatMap((c, i) => (c ? [i] : [])),
    reused,
  };
  if (parts.incompleteBefore !== null) result.incompleteBefore = parts.incompleteBefore;
  return result;
}

/**
 * How rows find their group: a list indexed by series id (no join: a hash join of every raw row with a series
 * table cost more than the aggregation it fed), or, when ids run beyond MAX_LISTED_SERIES, a join with the plan.
 */
interface GroupMap {
  cte: string;
  join(alias: string): string;
  g(alias: string): string;
  /** Keeps rows of series in the plan. */
  where(alias: string): string;
}

const MAX_LISTED_SERIES = 1_000_000;

/** The plan's series of the given groups only (group indexes unchanged). */
function onlyGroups(plan: GroupPlan, groups: readonly number[]): GroupPlan {
  const keep = new Set(groups);
  const sids: number[] = [];
  const gids: number[] = [];
  plan.sids.forEach((sid, i) => {
    if (keep.has(plan.gids[i]!)) {
      sids.push(sid);
      gids.push(plan.gids[i]!);
    }
  });
  return { sids, gids, groups: plan.groups };
}

function groupMap(p: ParamBag, plan: GroupPlan): GroupMap {
  const maxId = plan.sids.reduce((m, x) => Math.max(m, x), 0);
  if (maxId <= MAX_LISTED_SERIES) {
    const list = new Array<number | null>(maxId).fill(null);
    for (const [i, sid] of plan.sids.entries()) list[sid - 1] = plan.gids[i]!;
    const gl = p.intsOrNull(list);
    const g = (a: string) => `list_extract(${gl}, ${a}.series_id)`;
    return { cte: 'gm AS (SELECT 1 AS one)', join: () => '', g, where: (a) => `${g(a)} IS NOT NULL` };
  }
  return {
    cte: `sm AS (SELECT unnest(${p.ints(plan.sids)}) AS sid, unnest(${p.ints(plan.gids)}) AS g)`,
    join: (a) => `JOIN sm ON ${a}.series_id = sm.sid`,
    g: () => 'sm.g',
    where: () => 'TRUE',
  };
}

/** Raw rows per bucket index inside `ranges` (all series: an upper bound for a filtered query). */
async function rawRowsPerBucket(
  conn: DuckDBConnection,
  boundaries: readonly number[],
  ranges: readonly Range[],
): Promise<Map<number, number>> {
  const p = new ParamBag();
  const map = bucketMap(p, boundaries, interiorSlotFor(boundaries));
  const cols = await queryColumns(
    conn,
    `WITH ${map.cte} SELECT ${map.index('r', 'time')} AS b, count(*)::DOUBLE AS n
     FROM results r ${map.join('r', 'time')} WHERE ${rangesPredicate(p, 'r.time', ranges)} GROUP BY 1`,
    p.values,
    p.types,
  );
  const out = new Map<number, number>();
  const len = (cols.b ?? []).length;
  for (let i = 0; i < len; i++) out.set(cols.b![i] as number, cols.n![i] as number);
  return out;
}

/**
 * Buckets (ascending, with their rows) in runs read by one exact-percentile query each: a run ends at the first
 * bucket boundary after its rows reach `limit` (so it holds less than `limit` rows plus one bucket's); a bucket of
 * more than `limit` rows is a run of its own, `over` the bound, since quantile_cont holds every value of a query in
 * memory, outside DuckDB's buffer limit (a month of 10 M results in one bucket per endpoint: 150 MB): its
 * group-buckets are ranked by counting instead.
 */
function bucketRuns(
  rows: readonly (readonly [number, number])[],
  limit: number,
): { buckets: number[]; over: boolean }[] {
  const out: { buckets: number[]; over: boolean }[] = [];
  let cur: number[] = [];
  let sum = 0;
  for (const [b, n] of rows) {
    if (cur.length > 0 && (sum >= limit || n > limit)) {
      out.push({ buckets: cur, over: false });
      cur = [];
      sum = 0;
    }
    if (n > limit) out.push({ buckets: [b], over: true });
    else {
      cur.push(b);
      sum += n;
    }
  }
  if (cur.length > 0) out.push({ buckets: cur, over: false });
  return out;
}

/** `ranges` cut into the runs of bucketRuns (each slice: its parts of `ranges`, and whether it is over the bound). */
function sliceRanges(
  ranges: readonly Range[],
  boundaries: readonly number[],
  rows: ReadonlyMap<number, number>,
  limit: number,
): { ranges: Range[]; over: boolean }[] {
  const runs = bucketRuns(
    [...rows].sort((x, y) => x[0] - y[0]),
    limit,
  );
  const edges = [-Infinity, ...runs.slice(1).map((r) => boundaries[r.buckets[0]!]!), Infinity];
  return runs
    .map((r, i) => ({ ranges: intersectRanges(ranges, [edges[i]!, edges[i + 1]!]), over: r.over }))
    .filter((r) => r.ranges.length > 0);
}

/** A slice of group-bucket keys read by one exact-percentile query; `over` for one bucket of more rows than the bound. */
export interface Slice {
  keys: number[];
  over?: true;
}

/** Group-bucket keys (b * nG + g) in the runs of bucketRuns, each bucket's rows the sum of its keys'. */
export function slicesByRows(
  keys: number[],
  nG: number,
  rows: (key: number) => number,
  limit = EXACT_LIMITS.sliceRows,
): Slice[] {
  const byBucket = new Map<number, number[]>();
  for (const k of [...keys].sort((x, y) => x - y)) {
    const b = Math.floor(k / nG);
    const ks = byBucket.get(b);
    if (ks) ks.push(k);
    else byBucket.set(b, [k]);
  }
  const perBucket = [...byBucket].map(([b, ks]) => [b, ks.reduce((n, k) => n + rows(k), 0)] as const);
  return bucketRuns(perBucket, limit).map((r) => ({
    keys: r.buckets.flatMap((b) => byBucket.get(b)!),
    ...(r.over ? { over: true as const } : {}),
  }));
}
