// Reads of the analyses' inputs (Store.runSummaries, failureSummaries, failureFingerprints, failureBuckets), in
// the aggregates' way: whole closed hours that no late write touched come from run_hour and failure_hour, the
// rest of the window (its partial first and last hours, dirty hours, the open hour) from raw results through
// the same SQL (summaries.ts), inside one snapshot. Nothing scales with the raw rows of the whole window.
import { configurationOf, isDefaultConfiguration, RUN_TAGS, tagsIdentity } from '../../model/configuration.js';
import type { Category } from '../../model/fingerprint.js';
import type { Tags } from '../../model/result.js';
import { ceilHour, floorHour, HOUR_MS } from '../../time/buckets.js';
import { intersectRanges, type Range, subtractRanges } from '../../time/ranges.js';
import { appendRunSummary, emptyRunSummary } from '../run-summaries.js';
import type {
  FailureBucket,
  FailureBucketQuery,
  FailureQuery,
  FailureSummaries,
  FailureSummary,
  FingerprintInfo,
  RunQuery,
  RunSummary,
  TagFilters,
} from '../types.js';
import type { RollupState } from './aggregate.js';
import { type DuckDBConnection, queryColumns, streamColumns } from './db.js';
import type { SeriesRegistry } from './series-registry.js';
import { ParamBag, rangesPredicate } from './sql.js';
import { FAILURE_COLUMNS, hourOf, RUN_SUMMARY_CTES } from './summaries.js';

/** Where each part of a window comes from: whole hours from the hourly summary tables, the rest from raw rows. */
export interface SummaryParts {
  stored: Range[];
  raw: Range[];
}

/**
 * Splits [start, stop) into whole UTC hours served by the summary tables (closed, below the hourly watermark, not
 * dirty, not cut by one of `cuts`, not touching `avoid`) and the rest, read raw (only where raw rows are kept).
 */
export function summaryParts(
  start: number,
  stop: number,
  st: RollupState,
  cuts: readonly number[] = [],
  avoid: readonly Range[] = [],
): SummaryParts {
  const window: Range = [start, stop];
  let stored: Range[] = [];
  const first = ceilHour(start);
  const end = Math.min(floorHour(stop), st.hourlyWatermark ?? -Infinity);
  if (end > first) {
    const blocked: Range[] = [
      ...st.dirtyHours.map((h): Range => [h, h + HOUR_MS]),
      ...cuts
        .filter((c) => c > start && c < stop && c % HOUR_MS !== 0)
        .map((c): Range => [floorHour(c), floorHour(c) + HOUR_MS]),
      ...avoid.map(([a, b]): Range => [floorHour(a), ceilHour(b)]),
    ];
    stored = subtractRanges([[first, end]], blocked);
  }
  const raw = intersectRanges(subtractRanges([window], stored), [st.rawFloor, Number.MAX_SAFE_INTEGER]);
  return { stored, raw };
}

/** Predicate on series ids; TRUE when every series of the measurement is wanted. */
function seriesIn(p: ParamBag, col: string, ids: readonly number[] | null): string {
  return ids === null ? 'TRUE' : `${col} IN (SELECT unnest(${p.ints(ids)}))`;
}

const num = (x: unknown): number => Number(x);

// ---- run summaries (flaky tests) -------------------------------------------------------------------------------

export async function readRunSummaries(
  c: DuckDBConnection,
  reg: SeriesRegistry,
  q: RunQuery,
  st: RollupState,
): Promise<RunSummary[]> {
  const matched = reg.match(q.filters, 'test_result');
  if (matched.length === 0) return [];
  const filtered = Object.keys(q.filters).length > 0;
  // The stored summaries are per default configuration: they serve a request that asks for that rule and filters
  // on configuration tags only (a filter on a run tag such as worker selects part of a configuration's runs).
  const useStored =
    isDefaultConfiguration(q.configuration) && Object.keys(q.filters).every((k) => !RUN_TAGS.includes(k));
  const groupOf = new Map<number, string>();
  const tagsOf = new Map<string, Tags>();
  for (const s of matched) {
    const tags = useStored ? null : configurationOf(s.tags, q.configuration);
    const g = useStored ? s.config! : tagsIdentity(tags!);
    groupOf.set(s.id, g);
    if (!tagsOf.has(g)) tagsOf.set(g, tags ?? configurationOf(s.tags));
  }
  const ex = q.exclude && q.exclude.starts.length > 0 ? q.exclude : null;
  const avoid: Range[] = ex ? ex.starts.map((s): Range => [s / 1000, (s + ex.bucketUs) / 1000]) : [];
  const parts = useStored
    ? summaryParts(q.start, q.stop, st, [], avoid)
    : { stored: [], raw: intersectRanges([[q.start, q.stop]], [st.rawFloor, Number.MAX_SAFE_INTEGER]) };
  const p = new ParamBag();
  const pieces: string[] = [];
  if (parts.stored.length > 0) {
    const configs = filtered ? p.strs([...tagsOf.keys()]) : null;
    pieces.push(
      `SELECT config AS g, ${hourOf('bucket')}::DOUBLE AS h, runs::DOUBLE AS runs, failures::DOUBLE AS failures, first_ok, last_ok,
              epoch_us(first_time)::DOUBLE AS ft, epoch_us(last_time)::DOUBLE AS lt, transitions::DOUBLE AS transitions, tail,
              streak::DOUBLE AS streak, 0::DOUBLE AS excluded
       FROM run_hour WHERE ${rangesPredicate(p, 'bucket', parts.stored)}${configs ? ` AND config IN (SELECT unnest(${configs}))` : ''}`,
    );
  }
  let ctes = '';
  if (parts.raw.length > 0) {
    const ids = [...groupOf.keys()];
    // Groups go to SQL as integers (RUN_SUMMARY_CTES sorts by them) and come back as their identities.
    const groups = [...tagsOf.keys()];
    const groupIndex = new Map(groups.map((g, i) => [g, i]));
    const exCte = ex
      ? `, ex AS (SELECT DISTINCT unnest(${p.bigints(ex.starts.map((s) => Math.floor(s / ex.bucketUs)))}) AS b)`
      : '';
    const exFlag = ex ? `(epoch_us(r.time) // ${p.bigint(ex.bucketUs)}) IN (SELECT b FROM ex)` : 'FALSE';
    ctes = `WITH sm AS (SELECT unnest(${p.ints(ids)}) AS sid, unnest(${p.ints(ids.map((id) => groupIndex.get(groupOf.get(id)!)!))}) AS g)${exCte},
       flagged AS (SELECT sm.g, ${hourOf('r.time')} AS h, r.time, r.success, ${exFlag} AS excluded
                   FROM results r JOIN sm ON r.series_id = sm.sid WHERE ${rangesPredicate(p, 'r.time', parts.raw)}),
       src AS (SELECT g, h, time, success FROM flagged WHERE NOT excluded),
       ${RUN_SUMMARY_CTES},
       left_out AS (SELECT g, h, count(*) AS excluded FROM flagged WHERE excluded GROUP BY g, h) `;
    pieces.push(
      `SELECT ${p.strs(groups)}[coalesce(s.g, l.g) + 1] AS g, coalesce(s.h, l.h)::DOUBLE AS h, coalesce(s.runs, 0)::DOUBLE AS runs,
              s.failures::DOUBLE AS failures, s.first_ok, s.last_ok, epoch_us(s.first_time)::DOUBLE AS ft, epoch_us(s.last_time)::DOUBLE AS lt,
              s.transitions::DOUBLE AS transitions, s.tail, s.streak::DOUBLE AS streak, coalesce(l.excluded, 0)::DOUBLE AS excluded
       FROM summary s FULL OUTER JOIN left_out l ON s.g = l.g AND s.h = l.h`,
    );
  }
  if (pieces.length === 0) return [];
  const sql = `${ctes}SELECT * FROM (${pieces.join(' UNION ALL ')})${q.merged ? ' ORDER BY g, h' : ''}`;
  const out: RunSummary[] = [];
  // Merged: each configuration's pieces in time order fold into one as they stream in, so a month of hours per
  // configuration (166,800 pieces on 30 days of the demo fleet) is never held as objects at once.
  const cur: { m: RunSummary | null; g: unknown } = { m: null, g: undefined };
  await streamColumns(c, sql, p.values, p.types, (cols, n) => {
    for (let i = 0; i < n; i++) {
      const runs = num(cols.runs![i]);
      const piece: RunSummary = {
        configuration: tagsOf.get(cols.g![i] as string)!,
        hour: num(cols.h![i]) * HOUR_MS,
        runs,
        failures: num(cols.failures![i] ?? 0),
        firstSuccess: runs > 0 ? (cols.first_ok![i] as boolean) : null,
        lastSuccess: runs > 0 ? (cols.last_ok![i] as boolean) : null,
        firstTime: runs > 0 ? num(cols.ft![i]) : null,
        lastTime: runs > 0 ? num(cols.lt![i]) : null,
        transitions: num(cols.transitions![i] ?? 0),
        tail: (cols.tail![i] as string | null) ?? '',
        streak: num(cols.streak![i] ?? 0),
        excluded: num(cols.excluded![i] ?? 0),
      };
      if (!q.merged) {
        out.push(piece);
        continue;
      }
      if (cur.m === null || cols.g![i] !== cur.g) {
        if (cur.m) out.push(cur.m);
        cur.m = emptyRunSummary(piece);
        cur.g = cols.g![i];
      }
      appendRunSummary(cur.m, piece);
    }
  });
  if (cur.m) out.push(cur.m);
  return out;
}

// ---- failure summaries (failure patterns) ------------------------------------------------------------------------

/** Series ids of test results matching `filters`; null for all of them. */
function resultSeries(reg: SeriesRegistry, filters: TagFilters): number[] | null {
  if (Object.keys(filters).length === 0) return null;
  return reg.match(filters, 'test_result').map((s) => s.id);
}

/** Starts of the pieces of `raw`: each range cut at every hour boundary and every cut inside it. */
function pieceStarts(raw: readonly Range[], cuts: readonly number[]): number[] {
  const out: number[] = [];
  for (const [a, b] of raw) {
    const inside = new Set<number>([a]);
    for (let h = ceilHour(a); h < b; h += HOUR_MS) if (h > a) inside.add(h);
    for (const x of cuts) if (x > a && x < b) inside.add(x);
    out.push(...inside);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

export async function readFailureSummaries(
  c: DuckDBConnection,
  reg: SeriesRegistry,
  q: FailureQuery,
  st: RollupState,
): Promise<FailureSummaries> {
  const ids = resultSeries(reg, q.filters);
  const rows: FailureSummary[] = [];
  if (ids !== null && ids.length === 0) return { rows, fingerprints: new Map() };
  const cuts = [...(q.cuts ?? [])];
  const parts = summaryParts(q.start, q.stop, st, cuts);
  const push = (cols: Record<string, unknown[]>): void => {
    const n = (cols.sid ?? []).length;
    for (let i = 0; i < n; i++) {
      rows.push({
        series: reg.byIdOrThrow(cols.sid![i] as number).tags,
        start: num(cols.start![i]),
        fingerprint: cols.fingerprint![i] as string,
        failures: num(cols.failures![i]),
        firstTime: num(cols.ft![i]),
        lastTime: num(cols.lt![i]),
        example: cols.example![i] as string,
      });
    }
  };
  if (parts.stored.length > 0) {
    const p = new ParamBag();
    push(
      await queryColumns(
        c,
        `SELECT series_id AS sid, epoch_ms(bucket)::DOUBLE AS start, fingerprint, failures::DOUBLE AS failures,
                epoch_us(first_time)::DOUBLE AS ft, epoch_us(last_time)::DOUBLE AS lt, example
         FROM failure_hour WHERE ${rangesPredicate(p, 'bucket', parts.stored)} AND ${seriesIn(p, 'series_id', ids)}`,
        p.values,
        p.types,
      ),
    );
  }
  if (parts.raw.length > 0) {
    const p = new ParamBag();
    const starts = pieceStarts(parts.raw, cuts);
    push(
      await queryColumns(
        c,
        `WITH pieces AS (SELECT make_timestamptz(unnest(${p.bigints(starts.map((s) => s * 1000))})) AS t),
         g AS (SELECT r.series_id AS sid, pieces.t AS t, r.fingerprint, ${FAILURE_COLUMNS}
               FROM results r ASOF JOIN pieces ON r.time >= pieces.t
               WHERE ${rangesPredicate(p, 'r.time', parts.raw)} AND NOT r.success AND r.fingerprint IS NOT NULL AND ${seriesIn(p, 'r.series_id', ids)}
               GROUP BY r.series_id, pieces.t, r.fingerprint)
         SELECT sid, epoch_ms(t)::DOUBLE AS start, fingerprint, failures::DOUBLE AS failures, epoch_us(first_time)::DOUBLE AS ft,
                epoch_us(last_time)::DOUBLE AS lt, example FROM g`,
        p.values,
        p.types,
      ),
    );
  }
  return { rows, fingerprints: await readFingerprintInfo(c, new Set(rows.map((r) => r.fingerprint))) };
}

/** What each of `fps` stands for. */
async function readFingerprintInfo(
  c: DuckDBConnection,
  fps: ReadonlySet<string>,
): Promise<Map<string, FingerprintInfo>> {
  const out = new Map<string, FingerprintInfo>();
  if (fps.size === 0) return out;
  const p = new ParamBag();
  const cols = await queryColumns(
    c,
    `SELECT fingerprint, category, error_type, pattern FROM fingerprints WHERE fingerprint IN (SELECT unnest(${p.strs([...fps])}))`,
    p.values,
    p.types,
  );
  const n = (cols.fingerprint ?? []).length;
  for (let i = 0; i < n; i++) {
    out.set(cols.fingerprint![i] as string, {
      category: cols.category![i] as Category,
      errorType: cols.error_type![i] as string | null,
      pattern: cols.pattern![i] as string,
    });
  }
  return out;
}

export async function readFailureFingerprints(
  c: DuckDBConnection,
  reg: SeriesRegistry,
  q: { start: number; stop: number; filters: TagFilters },
  st: RollupState,
): Promise<Set<string>> {
  const ids = resultSeries(reg, q.filters);
  const out = new Set<string>();
  if ((ids !== null && ids.length === 0) || !(q.stop > q.start)) return out;
  const parts = summaryParts(q.start, q.stop, st);
  const p = new ParamBag();
  const pieces: string[] = [];
  if (parts.stored.length) {
    pieces.push(
      `SELECT fingerprint FROM failure_hour WHERE ${rangesPredicate(p, 'bucket', parts.stored)} AND ${seriesIn(p, 'series_id', ids)}`,
    );
  }
  if (parts.raw.length) {
    pieces.push(
      `SELECT fingerprint FROM results WHERE ${rangesPredicate(p, 'time', parts.raw)} AND NOT success AND fingerprint IS NOT NULL AND ${seriesIn(p, 'series_id', ids)}`,
    );
  }
  if (pieces.length === 0) return out;
  const cols = await queryColumns(
    c,
    `SELECT DISTINCT fingerprint FROM (${pieces.join(' UNION ALL ')})`,
    p.values,
    p.types,
  );
  for (const f of cols.fingerprint ?? []) out.add(f as string);
  return out;
}

/**
 * Buckets of `bucketMs` (aligned to the epoch) with at least `minFailures` failures, with their runs: the failed
 * rows' times are counted first (a few per cent of the rows, one column), then the runs of those buckets only.
 */
export async function readFailureBuckets(
  c: DuckDBConnection,
  reg: SeriesRegistry,
  q: FailureBucketQuery,
): Promise<FailureBucket[]> {
  const ids = resultSeries(reg, q.filters);
  if (ids !== null && ids.length === 0) return [];
  const p = new ParamBag();
  const w = p.bigint(q.bucketMs * 1000);
  const range = `time >= ${p.ts(q.start)} AND time < ${p.ts(q.stop)} AND ${seriesIn(p, 'series_id', ids)}`;
  const cols = await queryColumns(
    c,
    `WITH f AS (SELECT epoch_us(time) // ${w} AS b, count(*) AS failures FROM results WHERE ${range} AND NOT success
                GROUP BY 1 HAVING count(*) >= ${p.bigint(q.minFailures)}),
          a AS (SELECT epoch_us(time) // ${w} AS b, count(*) AS runs FROM results
                WHERE ${range} AND epoch_us(time) // ${w} IN (SELECT b FROM f) GROUP BY 1)
     SELECT f.b::DOUBLE AS b, a.runs::DOUBLE AS runs, f.failures::DOUBLE AS failures FROM f JOIN a ON f.b = a.b ORDER BY 1`,
    p.values,
    p.types,
  );
  const out: FailureBucket[] = [];
  const n = (cols.b ?? []).length;
  for (let i = 0; i < n; i++)
    out.push({ start: num(cols.b![i]) * q.bucketMs, runs: num(cols.runs![i]), failures: num(cols.failures![i]) });
  return out;
}
