// The analyses' inputs (runSummaries, failureSummaries, failureFingerprints, failureBuckets) read through the real
// client and adapter from a loopback /api/v2/query imitation. The imitation answers every query the way its Flux
// program defines (a small model written here from the program's text: its range, tag filters, configuration
// grouping, hour pieces, excluded buckets, segments), in annotated CSV with the columns and types InfluxDB gives
// those programs. It is not InfluxDB: it checks what the adapter sends, and how it reads, merges and maps answers.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, type Row } from '../../../test/support/helpers.js';
import { annotatedCsv, type CsvTable, InfluxImitation } from '../../../test/support/influx-imitation.js';
import { imitationStore } from '../../../test/support/influx-imitation-contract.js';
import {
  byPiece,
  FAILURE_CUT,
  FAILURE_ROWS,
  failureRows,
  piece,
  RUN_ROWS,
  RUN_SUMMARIES,
  RUN_WINDOW,
  TIMEOUT_KIND,
} from '../../../test/support/run-scenario.js';
import { mergeRunSummaries } from '../../analysis/flaky-tests.js';
import { type ConfigurationRule, configurationOf } from '../../model/configuration.js';
import { EXAMPLE_CHARS, failureKindOf } from '../../model/fingerprint.js';
import type { Tags } from '../../model/result.js';
import { DAY_MS, floorHour, HOUR_MS } from '../../time/buckets.js';
import type { TagFilters } from '../types.js';
import { chunks, decodeTail, planSummaries, RAW_CHUNK_HOURS, segmentsOf } from './analysis-reads.js';
import type { InfluxStore } from './index.js';

const T0 = Date.UTC(2026, 10, 21, 10);
const M = 60_000;
const runRows = RUN_ROWS;

// ---- a model of the programs, answering from results --------------------------------------------------------

interface Res {
  us: number;
  success: boolean;
  tags: Tags;
  error: string | null;
  errorType: string | null;
  fingerprint: string | null;
}

/** The results as the store writes them (the fingerprint is computed at write time: take it from the batch). */
function resultsOf(rows: Row[]): Res[] {
  const b = batchOf(rows);
  return b.resultRows().map((r) => ({
    us: r.time,
    success: r.success,
    tags: r.series.tags,
    error: r.error,
    errorType: r.errorType,
    fingerprint: r.fingerprint,
  }));
}

const iso = (ms: number): string => new Date(ms).toISOString();
const timesIn = (q: string, fn: string): [number, number][] =>
  [...q.matchAll(new RegExp(`${fn}\\(start: time\\(v: "([^"]+)"\\), stop: time\\(v: "([^"]+)"\\)\\)`, 'g'))].map(
    (m) => [Date.parse(m[1]!), Date.parse(m[2]!)],
  );
const rangeOf = (q: string): [number, number] => timesIn(q, 'range')[0]!;

/** The tag filters of a query (any of a key's values; all keys), read back from its filter line. */
function filtersOf(q: string): TagFilters {
  const line = q.split('\n').find((l) => l.includes('|> filter(fn: (r) => (r["')) ?? '';
  const out: TagFilters = {};
  for (const m of line.matchAll(/r\["((?:[^"\\]|\\.)*)"\] == "((?:[^"\\]|\\.)*)"/g))
    (out[JSON.parse(`"${m[1]}"`) as string] ??= []).push(JSON.parse(`"${m[2]}"`) as string);
  return out;
}
const matches = (tags: Tags, f: TagFilters): boolean =>
  Object.entries(f).every(([k, vs]) => tags[k] !== undefined && vs.includes(tags[k]!));

const cut = (s: string, n: number): string => [...s].slice(0, n).join('');

/** The run reduce of analysis-queries.ts on runs sorted by (µs, outcome). */
function reduceRuns(rs: Res[]) {
  const sorted = [...rs].sort((x, y) => x.us - y.us || Number(x.success) - Number(y.success));
  const a = { runs: 0, failures: 0, firstOk: 0, lastOk: 0, firstT: 0, lastT: 0, transitions: 0, tail: 0, streak: 0 };
  for (const r of sorted) {
    const ok = r.success ? 1 : 0;
    a.transitions += a.runs > 0 && a.lastOk !== ok ? 1 : 0;
    a.streak = a.runs > 0 && a.lastOk === ok ? a.streak + 1 : 1;
    if (a.runs === 0) {
      a.firstOk = ok;
      a.firstT = r.us;
    }
    a.runs++;
    a.failures += 1 - ok;
    a.lastOk = ok;
    a.lastT = r.us;
    a.tail = (a.tail * 2 + 1 - ok) % 1024;
  }
  return a;
}

/** Groups by a key, keeping the first-seen order. */
function groupBy<T>(xs: T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

const tagCols = (tags: Tags): [string, string, boolean][] =>
  Object.keys(tags)
    .sort()
    .map((k): [string, string, boolean] => [k, 'string', true]);
const tagVals = (tags: Tags): string[] =>
  Object.keys(tags)
    .sort()
    .map((k) => tags[k]!);
const LONG = 'long';
const TIME = 'dateTime:RFC3339';

/** runSummariesQuery: tables "runs" per configuration and piece, "excluded" counts. */
function answerRuns(q: string, all: Res[]): CsvTable[] {
  const [a, b] = rangeOf(q);
  const f = filtersOf(q);
  const except = /group\(columns: (\[[^\]]*\]), mode: "except"\)/.exec(q);
  const only = /group\(columns: (\[[^\]]*\])\)\n/.exec(q);
  const rule: ConfigurationRule = except
    ? { ignore: (JSON.parse(except[1]!) as string[]).filter((c) => c !== '_time' && c !== '_value') }
    : { only: (JSON.parse(only![1]!) as string[]).filter((c) => c !== '_start' && c !== '_stop') };
  const ex = new Set(
    (/excluded = \[([^\]]*)\]/.exec(q)?.[1] ?? '')
      .split(', ')
      .filter(Boolean)
      .map((x) => Number(x.split(':')[0])),
  );
  const bucketUs = Number(/r\._t \/ (\d+)/.exec(q)?.[1] ?? 1);
  const inside = all.filter((r) => r.us >= a * 1000 && r.us < b * 1000 && matches(r.tags, f));
  const piece = (r: Res): number => Math.max(a, floorHour(r.us / 1000));
  const groups = groupBy(inside, (r) => JSON.stringify([piece(r), configurationOf(r.tags, rule)]));
  const out: CsvTable[] = [];
  for (const [key, rs] of groups) {
    const [start, config] = JSON.parse(key) as [number, Tags];
    const stop = Math.min(b, floorHour(start) + HOUR_MS);
    const head: [string, string, boolean][] = [
      ['_start', TIME, true],
      ['_stop', TIME, true],
      ...(except
        ? ([
            ['_field', 'string', true],
            ['_measurement', 'string', true],
          ] as [string, string, boolean][])
        : []),
      ...tagCols(config),
    ];
    const headVals = [iso(start), iso(stop), ...(except ? ['success', 'test_result'] : []), ...tagVals(config)];
    const kept = rs.filter((r) => !ex.has(Math.floor(r.us / bucketUs)));
    const left = rs.length - kept.length;
    if (kept.length > 0) {
      const s = reduceRuns(kept);
      const cols = [
        '_runs',
        '_failures',
        '_first_ok',
        '_last_ok',
        '_first_t',
        '_last_t',
        '_transitions',
        '_tail',
        '_streak',
      ];
      out.push({
        result: 'runs',
        columns: [...head, ...cols.map((c): [string, string, boolean] => [c, LONG, false])],
        rows: [
          [...headVals, s.runs, s.failures, s.firstOk, s.lastOk, s.firstT, s.lastT, s.transitions, s.tail, s.streak],
        ],
      });
    }
    if (left > 0)
      out.push({ result: 'excluded', columns: [...head, ['_value', LONG, false]], rows: [[...headVals, left]] });
  }
  return out;
}

/** What the analysis task writes for the whole hours of `all` (default rule), read back pivoted. */
function answerStoredRuns(q: string, all: Res[]): CsvTable[] {
  const [a, b] = rangeOf(q);
  const f = filtersOf(q);
  const out: CsvTable[] = [];
  const hours = groupBy(
    all.filter((r) => r.us >= a * 1000 && r.us < b * 1000),
    (r) => String(floorHour(r.us / 1000)),
  );
  for (const [h, rs] of hours) {
    for (const [c, cr] of groupBy(rs, (r) => JSON.stringify(configurationOf(r.tags)))) {
      const config = JSON.parse(c) as Tags;
      if (!matches(config, f)) continue;
      const s = reduceRuns(cr);
      out.push({
        result: '_result',
        columns: [
          ['_start', TIME, true],
          ['_stop', TIME, true],
          ['_time', TIME, false],
          ['_measurement', 'string', true],
          ...tagCols(config),
          ['failures', LONG, false],
          ['first_ok', 'boolean', false],
          ['first_time', LONG, false],
          ['last_ok', 'boolean', false],
          ['last_time', LONG, false],
          ['runs', LONG, false],
          ['streak', LONG, false],
          ['tail', LONG, false],
          ['transitions', LONG, false],
        ],
        rows: [
          [
            iso(a),
            iso(b),
            iso(Number(h)),
            'test_run_summary',
            ...tagVals(config),
            s.failures,
            s.firstOk === 1,
            s.firstT,
            s.lastOk === 1,
            s.lastT,
            s.runs,
            s.streak,
            s.tail,
            s.transitions,
          ],
        ],
      });
    }
  }
  return out;
}

interface FailurePiece {
  start: number;
  stop: number;
  tags: Tags;
  fingerprint: string;
  rs: Res[];
}

function failurePieces(segments: [number, number][], all: Res[], f: TagFilters): FailurePiece[] {
  const out: FailurePiece[] = [];
  for (const [a, b] of segments) {
    const fails = all.filter(
      (r) => r.fingerprint !== null && r.us >= a * 1000 && r.us < b * 1000 && matches(r.tags, f),
    );
    const start = (r: Res): number => Math.max(a, floorHour(r.us / 1000));
    for (const [k, rs] of groupBy(fails, (r) => JSON.stringify([start(r), r.tags, r.fingerprint]))) {
      const [s, tags, fingerprint] = JSON.parse(k) as [number, Tags, string];
      out.push({ start: s, stop: Math.min(b, floorHour(s) + HOUR_MS), tags, fingerprint, rs });
    }
  }
  return out;
}

/** Newest by µs, then by text (what sort + last keeps). */
const newest = (rs: Res[], text: (r: Res) => string): Res =>
  [...rs].sort((x, y) => x.us - y.us || (text(x) < text(y) ? -1 : text(x) > text(y) ? 1 : 0)).pop()!;

function kindsTables(byFp: Map<string, { error: string; errorType: string | null }>): CsvTable[] {
  return [...byFp].map(([fp, k]) => ({
    result: 'kinds',
    columns: [
      ['error', 'string', false],
      ...(k.errorType ? ([['error_type', 'string', false]] as [string, string, boolean][]) : []),
      ['fingerprint', 'string', true],
    ],
    rows: [[k.error, ...(k.errorType ? [k.errorType] : []), fp]],
  }));
}

/** failureSummariesQuery: "pieces" per series, fingerprint and piece; "kinds" per fingerprint. */
function answerFailures(q: string, all: Res[]): CsvTable[] {
  const pieces = failurePieces(timesIn(q, 'seg'), all, filtersOf(q));
  const example = (r: Res): string => cut(r.error ?? '', EXAMPLE_CHARS);
  const out: CsvTable[] = pieces.map((p) => ({
    result: 'pieces',
    columns: [
      ['_start', TIME, true],
      ['_stop', TIME, true],
      ['_measurement', 'string', true],
      ...tagCols(p.tags),
      ['fingerprint', 'string', true],
      ['_failures', LONG, false],
      ['_first_t', LONG, false],
      ['_last_t', LONG, false],
      ['_example', 'string', false],
    ],
    rows: [
      [
        iso(p.start),
        iso(p.stop),
        'test_result',
        ...tagVals(p.tags),
        p.fingerprint,
        p.rs.length,
        Math.min(...p.rs.map((r) => r.us)),
        Math.max(...p.rs.map((r) => r.us)),
        example(newest(p.rs, example)),
      ],
    ],
  }));
  const byFp = new Map<string, { error: string; errorType: string | null }>();
  for (const [fp, rs] of groupBy(
    pieces.flatMap((p) => p.rs),
    (r) => r.fingerprint!,
  )) {
    const n = newest(rs, () => '');
    byFp.set(fp, { error: n.error ?? '', errorType: n.errorType });
  }
  return [...out, ...kindsTables(byFp)];
}

/** What the analysis task writes per series, fingerprint and hour, read back by storedFailureSummariesQuery. */
function answerStoredFailures(q: string, all: Res[]): CsvTable[] {
  const [a, b] = rangeOf(q);
  const hours: [number, number][] = [];
  for (let h = a; h < b; h += HOUR_MS) hours.push([h, h + HOUR_MS]);
  const pieces = failurePieces(hours, all, filtersOf(q));
  const msg = (r: Res): string => cut(r.error ?? '', 2000);
  const out: CsvTable[] = pieces.map((p) => {
    const n = newest(p.rs, msg);
    return {
      result: 'pieces',
      columns: [
        ['_start', TIME, true],
        ['_stop', TIME, true],
        ['_time', TIME, false],
        ['_measurement', 'string', true],
        ...tagCols(p.tags),
        ['fingerprint', 'string', true],
        ['failures', LONG, false],
        ['first_time', LONG, false],
        ['last_time', LONG, false],
        ['_example', 'string', false],
      ],
      rows: [
        [
          iso(a),
          iso(b),
          iso(p.start),
          'test_failure_summary',
          ...tagVals(p.tags),
          p.fingerprint,
          p.rs.length,
          Math.min(...p.rs.map((r) => r.us)),
          Math.max(...p.rs.map((r) => r.us)),
          cut(msg(n), EXAMPLE_CHARS),
        ],
      ],
    };
  });
  const byFp = new Map<string, { error: string; errorType: string | null }>();
  for (const p of [...pieces].sort((x, y) => x.start - y.start)) {
    const n = newest(p.rs, msg);
    byFp.set(p.fingerprint, { error: msg(n), errorType: n.errorType ?? '' });
  }
  return [...out, ...kindsTables(byFp)];
}

function answerFingerprints(q: string, all: Res[]): CsvTable[] {
  const [a, b] = rangeOf(q);
  const f = filtersOf(q);
  const fps = new Set(
    all
      .filter((r) => r.fingerprint !== null && r.us >= a * 1000 && r.us < b * 1000 && matches(r.tags, f))
      .map((r) => r.fingerprint!),
  );
  return [{ result: '_result', columns: [['_value', 'string', false]], rows: [...fps].map((fp) => [fp]) }];
}

/** failureBucketsQuery (failed results per window) or bucketRunsQuery (results per window of each range). */
function answerBuckets(q: string, all: Res[], failuresOnly: boolean): CsvTable[] {
  const w = Number(/every: duration\(v: "(\d+)ms"\)/.exec(q)![1]);
  const f = filtersOf(q);
  const ranges = failuresOnly ? [rangeOf(q)] : timesIn(q, 'runs');
  const min = failuresOnly ? Number(/r\._value >= (\d+)/.exec(q)![1]) : 0;
  const counts = new Map<number, number>();
  for (const [a, b] of ranges) {
    for (const r of all) {
      if (r.us < a * 1000 || r.us >= b * 1000 || !matches(r.tags, f) || (failuresOnly && r.success)) continue;
      const t = Math.max(a, Math.floor(r.us / 1000 / w) * w); // window start, clipped at the range start
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
  }
  const rows = [...counts]
    .filter(([, n]) => n >= min)
    .sort((x, y) => x[0] - y[0])
    .map(([t, n]) => [iso(t), n]);
  return [
    {
      result: '_result',
      columns: [
        ['_time', TIME, false],
        ['_value', LONG, false],
      ],
      rows,
    },
  ];
}

// ---- the imitation ----------------------------------------------------------------------------------------

let influx: InfluxImitation;
let store: InfluxStore;
let warnings: string[];
const queries: string[] = [];

async function open(rows: Row[], opts: { now: number; rawDays: number }): Promise<InfluxStore> {
  influx = await new InfluxImitation().start();
  warnings = [];
  queries.length = 0;
  const all = resultsOf(rows);
  influx.queryAnswer = (r, res) => {
    const q = (JSON.parse(r.body) as { query: string }).query;
    queries.push(q);
    let tables: CsvTable[];
    if (q.includes('r._measurement == "test_run_summary"')) tables = answerStoredRuns(q, all);
    else if (q.includes('yield(name: "runs")')) tables = answerRuns(q, all);
    else if (q.includes('r._measurement == "test_failure_summary")')) tables = answerStoredFailures(q, all);
    else if (q.includes('yield(name: "pieces")')) tables = answerFailures(q, all);
    // Stored or raw, the distinct fingerprints of whole hours are the same: one model answers both.
    else if (q.includes('distinct(')) tables = answerFingerprints(q, all);
    else if (q.includes('r._value == false')) tables = answerBuckets(q, all, true);
    else if (q.includes('runs = (start, stop)')) tables = answerBuckets(q, all, false);
    else throw new Error(`unexpected query: ${q.slice(0, 200)}`);
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(annotatedCsv(tables));
  };
  store = imitationStore(influx, {
    now: () => opts.now,
    retention: { rawDays: opts.rawDays, hourlyDays: 400, dailyDays: 0 },
    warn: (m) => void warnings.push(m),
  });
  return store;
}

afterEach(async () => {
  await store?.close();
  await influx?.stop();
});

const us = (m: number): number => (T0 + m * M) * 1000;
const window = RUN_WINDOW;
const NEAR = T0 + DAY_MS; // the window is inside the raw retention
const FAR = T0 + 30 * DAY_MS; // ...and long past it (rawDays 7)

describe('run summaries (flaky tests)', () => {
  const want = RUN_SUMMARIES;

  it('reads per-configuration pieces of the raw data, a partial first hour included, as the contract expects', async () => {
    const s = await open(runRows, { now: NEAR, rawDays: 30 });
    expect(byPiece(await s.runSummaries({ ...window, filters: {}, configuration: { ignore: ['worker'] } }))).toEqual(
      want,
    );
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('from(bucket: "resultant")');
    expect(queries[0]).toContain(
      'range(start: time(v: "2026-11-21T10:07:00.000Z"), stop: time(v: "2026-11-21T12:30:00.000Z"))',
    );
    expect(queries[0]).toContain('group(columns: ["_time", "_value", "worker"], mode: "except")');
    const perWorker = await s.runSummaries({
      ...window,
      filters: { test: ['a'] },
      configuration: { only: ['test', 'worker'] },
    });
    expect(queries[1]).toContain('group(columns: ["test", "worker", "_start", "_stop"])');
    expect(queries[1]).toContain('r["test"] == "a"');
    expect(perWorker.reduce((n, p) => n + p.runs, 0)).toBe(6);
    expect(new Set(perWorker.map((p) => JSON.stringify(p.configuration)))).toEqual(
      new Set(['{"test":"a","worker":"w1"}', '{"test":"a","worker":"w2"}']),
    );
    expect(warnings).toEqual([]);
  });

  it('merges the excluded runs into their pieces, and keeps a piece whose runs are all excluded with runs 0', async () => {
    const s = await open(runRows, { now: NEAR, rawDays: 30 });
    const ex = byPiece(
      await s.runSummaries({
        ...window,
        filters: {},
        configuration: { ignore: ['worker'] },
        exclude: { bucketUs: HOUR_MS * 1000, starts: [(T0 + HOUR_MS) * 1000, (T0 + 50 * HOUR_MS) * 1000] },
      }),
    );
    // Only the excluded bucket that overlaps the window is sent.
    expect(queries[0]).toContain(`excluded = [${(T0 + HOUR_MS) / HOUR_MS}: true]`);
    expect(ex.filter((p) => p.hour === T0 + HOUR_MS)).toEqual([
      piece({ configuration: { test: 'a' }, hour: T0 + HOUR_MS, excluded: 2 }),
      piece({ configuration: { test: 'b' }, hour: T0 + HOUR_MS, excluded: 1 }),
    ]);
    expect(ex.filter((p) => p.hour !== T0 + HOUR_MS)).toEqual(want.filter((p) => p.hour !== T0 + HOUR_MS));
  });

  it('reads a long window in chunks of hours, and the merged pieces give the same runs as one pass over them', async () => {
    // Three days of hourly runs of one configuration on two workers, flipping every 7 runs.
    const rows: Row[] = [];
    for (let i = 0; i < 3 * 24 * 4; i++)
      rows.push({
        t: T0 + i * 15 * M + (i % 3),
        success: Math.floor(i / 7) % 2 === 0,
        tags: { test: 'c', worker: `w${i % 2}` },
      });
    const s = await open(rows, { now: T0 + 4 * DAY_MS, rawDays: 30 });
    const start = T0 + 7 * M;
    const stop = T0 + 3 * DAY_MS - 5 * M;
    const pieces = await s.runSummaries({ start, stop, filters: {}, configuration: { ignore: ['worker'] } });
    expect(queries.map((q) => timesIn(q, 'range')[0])).toEqual(chunks([start, stop], RAW_CHUNK_HOURS));
    expect(queries).toHaveLength(72 / RAW_CHUNK_HOURS); // 10:07 to the next chunk end, ..., then up to 09:55 on day 3
    expect(new Set(pieces.map((p) => p.hour)).size).toBe(pieces.length); // one piece per hour
    const [m] = mergeRunSummaries(pieces);
    const inside = rows.filter((r) => r.t >= start && r.t < stop);
    const outcomes = inside.map((r) => (r.success ? 'P' : 'F')).join('');
    expect(m).toMatchObject({
      runs: inside.length,
      failures: inside.filter((r) => !r.success).length,
      tail: outcomes.slice(-10),
    });
    expect(m!.transitions).toBe([...outcomes].filter((c, i) => i > 0 && c !== outcomes[i - 1]).length);
  });

  it('answers whole hours beyond the raw retention from the stored hourly rows, as raw data would', async () => {
    const hours = {
      start: T0,
      stop: T0 + 3 * HOUR_MS,
      filters: {},
      configuration: { ignore: ['worker', 'commit', 'build', 'run', 'run_id', 'job', 'job_id'] },
    };
    const raw = byPiece(await (await open(runRows, { now: NEAR, rawDays: 7 })).runSummaries(hours));
    await store.close();
    await influx.stop();
    const stored = byPiece(await (await open(runRows, { now: FAR, rawDays: 7 })).runSummaries(hours));
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain('from(bucket: "resultant_hourly")');
    expect(queries[0]).toContain('r._measurement == "test_run_summary"');
    expect(stored).toEqual(raw);
    expect(stored).toHaveLength(5);
    expect(warnings).toEqual([]);
  });

  it('splits a window at the raw retention, and warns when a rule the stored rows do not keep reaches past it', async () => {
    const rawFloor = T0 + HOUR_MS + 30 * M; // 11:30: hours before 12:00 come from the stored rows
    const s = await open(runRows, { now: rawFloor + 7 * DAY_MS, rawDays: 7 });
    const split = await s.runSummaries({
      start: T0,
      stop: T0 + 3 * HOUR_MS,
      filters: {},
      configuration: { ignore: ['worker', 'commit', 'build', 'run', 'run_id', 'job', 'job_id'] },
    });
    expect(queries.map((q) => [q.includes('"resultant_hourly"') ? 'stored' : 'raw', ...rangeOf(q).map(iso)])).toEqual([
      ['stored', '2026-11-21T10:00:00.000Z', '2026-11-21T12:00:00.000Z'],
      ['raw', '2026-11-21T12:00:00.000Z', '2026-11-21T13:00:00.000Z'],
    ]);
    expect(byPiece(split).map((p) => [p.hour, p.configuration.test, p.runs])).toEqual([
      [T0, 'a', 4],
      [T0, 'b', 1],
      [T0 + HOUR_MS, 'a', 2],
      [T0 + HOUR_MS, 'b', 1],
      [T0 + 2 * HOUR_MS, 'a', 1],
    ]);
    expect(warnings).toEqual([]);
    queries.length = 0;
    await s.runSummaries({ start: T0, stop: T0 + 3 * HOUR_MS, filters: {}, configuration: { only: ['test'] } });
    expect(queries.every((q) => q.includes('from(bucket: "resultant")'))).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(
        /older than the raw retention: the hourly summaries hold the default configuration rule only/,
      ),
    ]);
  });
});

describe('run summaries merged over chunks (property)', () => {
  it('give the runs, failures, transitions, last outcomes and final streak of one pass over the window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ m: fc.integer({ min: 0, max: 40 * 60 }), ok: fc.boolean(), w: fc.constantFrom('w1', 'w2') }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 1, max: 40 * 60 }),
        async (runs, from, len) => {
          const rows: Row[] = runs.map((r) => ({ t: T0 + r.m * M, success: r.ok, tags: { test: 't', worker: r.w } }));
          const s = await open(rows, { now: T0 + 10 * DAY_MS, rawDays: 30 });
          try {
            const start = T0 + from * M;
            const stop = start + len * M;
            const [m] = mergeRunSummaries(
              await s.runSummaries({ start, stop, filters: {}, configuration: { ignore: ['worker'] } }),
            );
            // One pass in time order, failures first at a tie.
            const inside = rows
              .filter((r) => r.t >= start && r.t < stop)
              .sort((x, y) => x.t - y.t || Number(x.success) - Number(y.success));
            if (inside.length === 0) return m === undefined;
            const o = inside.map((r) => (r.success ? 'P' : 'F')).join('');
            const last = o[o.length - 1]!;
            let streak = 0;
            while (streak < o.length && o[o.length - 1 - streak] === last) streak++;
            expect(m).toMatchObject({
              runs: o.length,
              failures: [...o].filter((c) => c === 'F').length,
              transitions: [...o].filter((c, i) => i > 0 && c !== o[i - 1]).length,
              tail: o.slice(-10),
              streak,
              lastSuccess: last === 'P',
              firstTime: inside[0]!.t * 1000,
              lastTime: inside[inside.length - 1]!.t * 1000,
            });
            return true;
          } finally {
            await s.close();
            await influx.stop();
          }
        },
      ),
      { numRuns: 25, seed: 20261206 },
    );
  }, 60_000);
});

describe('failure summaries (failure patterns)', () => {
  it('maps pieces cut at hours and at a cut, with the newest message, and derives what each fingerprint means', async () => {
    const s = await open(runRows, { now: NEAR, rawDays: 30 });
    const got = await s.failureSummaries({ ...window, filters: { test: ['a'] }, cuts: [FAILURE_CUT] });
    expect(failureRows(got)).toEqual(FAILURE_ROWS);
    // One query, its window read as two segments (10:07 to 11:20, 11:20 to 12:30).
    expect(queries).toHaveLength(1);
    expect(timesIn(queries[0]!, 'seg').map(([a, b]) => [iso(a), iso(b)])).toEqual([
      ['2026-11-21T10:07:00.000Z', '2026-11-21T11:20:00.000Z'],
      ['2026-11-21T11:20:00.000Z', '2026-11-21T12:30:00.000Z'],
    ]);
    const timeouts = got.rows.filter((r) => got.fingerprints.get(r.fingerprint)?.category === 'timeout');
    expect(new Set(timeouts.map((r) => r.fingerprint)).size).toBe(1);
    expect(got.fingerprints.get(timeouts[0]!.fingerprint)).toEqual(TIMEOUT_KIND);
    expect(got.rows.map((r) => r.series)).toContainEqual({ test: 'a', worker: 'w1' }); // the fingerprint column is no tag
  });

  it('cuts examples at 500 characters, takes the greatest text at an equal microsecond, and reads quoted messages', async () => {
    const long = `assertion failed, "expected" 200\n${'x'.repeat(700)}`;
    const rows: Row[] = [
      { t: T0, success: false, tags: { test: 'q' }, error: 'timeout after 1 ms, "retried"' },
      { t: T0, success: false, tags: { test: 'q' }, error: 'timeout after 2 ms, "retried"' },
      { t: T0 + M, success: false, tags: { test: 'q' }, error: long },
    ];
    const s = await open(rows, { now: NEAR, rawDays: 30 });
    const got = await s.failureSummaries({ start: T0, stop: T0 + HOUR_MS, filters: {} });
    const byFp = new Map(got.rows.map((r) => [r.fingerprint, r]));
    const t = byFp.get(failureKindOf(null, 'timeout after 1 ms, "retried"').fingerprint)!;
    expect(t).toMatchObject({ failures: 2, example: 'timeout after 2 ms, "retried"' });
    const a = byFp.get(failureKindOf(null, long).fingerprint)!;
    expect(a.example).toBe(long.slice(0, EXAMPLE_CHARS));
    expect(got.fingerprints.get(a.fingerprint)).toEqual({
      category: 'validation',
      errorType: null,
      pattern: failureKindOf(null, long).pattern,
    });
  });

  it('reads whole hours beyond the raw retention from the stored rows, leaving out the hour a cut falls in', async () => {
    const s = await open(runRows, { now: FAR, rawDays: 7 });
    const got = await s.failureSummaries({
      start: T0,
      stop: T0 + 3 * HOUR_MS,
      filters: { test: ['a'] },
      cuts: [FAILURE_CUT],
    });
    expect(queries.map((q) => [q.includes('"resultant_hourly"'), ...rangeOf(q).map(iso)])).toEqual([
      [true, '2026-11-21T10:00:00.000Z', '2026-11-21T11:00:00.000Z'],
      [true, '2026-11-21T12:00:00.000Z', '2026-11-21T13:00:00.000Z'],
    ]);
    expect(failureRows(got)).toEqual([
      ['w1', T0, 1, us(50), us(50), 'timeout after 4980 ms', 'timeout'],
      ['w2', T0, 1, us(10), us(10), 'timeout after 5012 ms', 'timeout'],
    ]);
    expect(got.fingerprints.get(got.rows[0]!.fingerprint)).toEqual(TIMEOUT_KIND);
    expect(warnings).toEqual([expect.stringMatching(/failure summaries before .* are older than the raw retention/)]);
  });

  it('lists fingerprints seen in a window, from stored hours and raw data', async () => {
    const s = await open(runRows, { now: T0 + 2 * HOUR_MS + 7 * DAY_MS, rawDays: 7 });
    const fps = await s.failureFingerprints({ start: T0, stop: T0 + 3 * HOUR_MS, filters: { test: ['a'] } });
    expect(fps).toEqual(
      new Set(
        ['timeout after 5012 ms', 'connect ECONNREFUSED 10.0.0.7:5432'].map((e) => failureKindOf(null, e).fingerprint),
      ),
    );
    expect(queries.map((q) => q.includes('"resultant_hourly"'))).toEqual([true, false]);
    expect(queries[0]).toContain('r._measurement == "test_failure_summary" and r._field == "failures"');
    expect(queries[1]).toContain('r._field == "fingerprint"');
  });
});

describe('failure buckets (incidents)', () => {
  it('counts failures per bucket, then the runs of the candidate buckets only', async () => {
    const s = await open(runRows, { now: NEAR, rawDays: 30 });
    expect(
      await s.failureBuckets({ start: T0, stop: T0 + 3 * HOUR_MS, filters: {}, bucketMs: HOUR_MS, minFailures: 2 }),
    ).toEqual([
      { start: T0, runs: 5, failures: 3 },
      { start: T0 + HOUR_MS, runs: 3, failures: 2 },
    ]);
    // The runs query reads the two candidate hours as one range.
    expect(timesIn(queries[1]!, 'runs').map(([a, b]) => [iso(a), iso(b)])).toEqual([
      ['2026-11-21T10:00:00.000Z', '2026-11-21T12:00:00.000Z'],
    ]);
    expect(
      await s.failureBuckets({
        start: T0,
        stop: T0 + 3 * HOUR_MS,
        filters: { test: ['b'] },
        bucketMs: HOUR_MS,
        minFailures: 1,
      }),
    ).toEqual([{ start: T0, runs: 1, failures: 1 }]);
    queries.length = 0;
    expect(
      await s.failureBuckets({ start: T0, stop: T0 + 3 * HOUR_MS, filters: {}, bucketMs: HOUR_MS, minFailures: 4 }),
    ).toEqual([]);
    expect(queries).toHaveLength(1); // no candidate: no runs query
  });
});

describe('planning', () => {
  it('splits at the first whole hour of the raw retention and reports what is lost', () => {
    const h = (n: number) => T0 + n * HOUR_MS;
    expect(planSummaries(h(0), h(3), -Infinity, true)).toEqual({
      stored: [],
      raw: [h(0), h(3)],
      incompleteBefore: null,
    });
    expect(planSummaries(h(0) + M, h(3), h(1) + M, true)).toEqual({
      stored: [[h(1), h(2)]],
      raw: [h(2), h(3)],
      incompleteBefore: h(2),
    });
    expect(planSummaries(h(0), h(3), h(1) + M, false)).toEqual({
      stored: [],
      raw: [h(1) + M, h(3)],
      incompleteBefore: h(1) + M,
    });
    expect(planSummaries(h(0), h(3), h(5), false)).toEqual({ stored: [], raw: null, incompleteBefore: h(3) });
    expect(planSummaries(h(0), h(5), h(9), true, [h(2)])).toEqual({
      stored: [
        [h(0), h(2)],
        [h(3), h(5)],
      ],
      raw: null,
      incompleteBefore: h(5),
    });
    expect(segmentsOf([h(0) + 7 * M, h(2)], [h(1), h(1) + 20 * M, h(5)])).toEqual([
      [h(0) + 7 * M, h(1) + 20 * M],
      [h(1) + 20 * M, h(2)],
    ]);
    expect(decodeTail(0b101, 3)).toBe('FPF');
    expect(decodeTail(0b1111111111, 10)).toBe('FFFFFFFFFF');
    expect(decodeTail(0, 0)).toBe('');
  });
});
