// Response parsing: annotated CSV (the documentation's own example, and responses in its format with the columns
// our queries select) served by a loopback imitation of /api/v2/query, read through the real client and adapter.
import { readFileSync } from 'node:fs';
import { linesToTables, stringToLines } from '@influxdata/influxdb-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  annotatedCsv,
  csv,
  errorTable,
  InfluxImitation,
  type Recorded,
} from '../../../test/support/influx-imitation.js';
import { imitationStore } from '../../../test/support/influx-imitation-contract.js';
import { Cancelled, withCancellation } from '../../cancellation.js';
import type { InfluxStore } from './index.js';
import { parseTimeNs, tagsOf, timeUs } from './parse.js';

const fixture = (name: string): { source: string; csv: string } =>
  JSON.parse(readFileSync(new URL(`../../../test/support/fixtures/influx/${name}`, import.meta.url), 'utf8')) as {
    source: string;
    csv: string;
  };

let influx: InfluxImitation;
let store: InfluxStore;
beforeEach(async () => {
  influx = await new InfluxImitation().start();
  store = imitationStore(influx, { retention: { rawDays: 0, hourlyDays: 400, dailyDays: 0 } });
});
afterEach(async () => {
  await store.close();
  await influx.stop();
});

function serve(name: string): Recorded[] {
  const seen: Recorded[] = [];
  influx.queryAnswer = (r, res) => {
    seen.push(r);
    csv(res, fixture(name).csv);
  };
  return seen;
}

const sentFlux = (r: Recorded): string => (JSON.parse(r.body) as { query: string }).query;

describe('annotated CSV', () => {
  it('reads the documentation example: three tables, tags, exact times, doubles', () => {
    const rows: Record<string, unknown>[] = [];
    stringToLines(
      fixture('docs-annotated-csv-example.json').csv,
      linesToTables({
        next: (values, meta) => void rows.push(meta.toObject(values)),
        error: (e) => {
          throw e;
        },
        complete: () => undefined,
      }),
    );
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.result)).toEqual(['mean', 'mean', 'mean']); // the #default annotation fills it in
    expect(rows.map((r) => r._value)).toEqual([15.43, 59.25, 52.62]);
    expect(rows.map((r) => tagsOf(r, new Set()))).toEqual([
      { host: 'A', region: 'east' },
      { host: 'B', region: 'east' },
      { host: 'C', region: 'east' },
    ]);
    expect(parseTimeNs(rows[0]!._stop as string)).toBe(BigInt(Date.UTC(2023, 0, 31, 5, 41, 24, 1)) * 1_000_000n);
    expect(timeUs(rows[0]!._time as string)).toBe(Date.UTC(2023, 0, 1, 0, 52) * 1000);
  });

  it('parses RFC 3339 times exactly to the nanosecond, with zone offsets', () => {
    expect(parseTimeNs('2026-11-21T10:00:00.000007123Z')).toBe(BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n + 7123n);
    expect(parseTimeNs('2026-11-21T11:00:00.5+01:00')).toBe(
      BigInt(Date.UTC(2026, 10, 21, 10)) * 1_000_000n + 500_000_000n,
    );
    expect(() => parseTimeNs('yesterday')).toThrow(/unreadable time/);
  });
});

describe('adapter reads', () => {
  it('turns raw-aggregate rows into bucket statistics per group (missing tag = null group)', async () => {
    const seen = serve('raw-aggregate.json');
    const h0 = Date.UTC(2026, 10, 21, 10);
    const r = await store.aggregate({
      period: 'hour',
      tz: 'UTC',
      boundaries: [h0, h0 + 3_600_000, h0 + 7_200_000],
      filters: { endpoint: ['api'] },
      groupBy: ['region'],
      metric: 'latency_ms',
    });
    expect(seen).toHaveLength(1);
    const q = sentFlux(seen[0]!);
    expect(q).toContain('range(start: time(v: "2026-11-21T10:00:00.000Z"), stop: time(v: "2026-11-21T12:00:00.000Z"))');
    expect(q).toContain('window(every: duration(v: "3600000ms"), offset: duration(v: "0ms"), createEmpty: false)');
    expect(q).toContain('r["endpoint"] == "api"');
    expect(r.groups).toEqual([
      {
        group: { region: 'eu' },
        buckets: [
          {
            bucket: 0,
            testCount: 6,
            successCount: 5,
            n: 5,
            sum: 60,
            m2: expect.closeTo(10, 12),
            min: 10,
            max: 14,
            p50: 12,
            p95: 13.8,
            p99: 13.96,
            approximate: false,
          },
        ],
      },
      {
        group: { region: null },
        buckets: [
          {
            bucket: 1,
            testCount: 2,
            successCount: 1,
            n: 2,
            sum: 30,
            m2: expect.closeTo(200, 12),
            min: 5,
            max: 25,
            p50: 15,
            p95: 24,
            p99: 24.8,
            approximate: false,
          },
        ],
      },
    ]);
  });

  it('refuses a window that does not start on a bucket boundary', async () => {
    serve('raw-aggregate.json');
    const h0 = Date.UTC(2026, 10, 21, 9, 30);
    await expect(
      store.aggregate({
        period: 'hour',
        tz: 'Asia/Kolkata',
        boundaries: [h0, h0 + 3_600_000],
        filters: {},
        groupBy: ['region'],
        metric: 'latency_ms',
      }),
    ).rejects.toThrow(/not a bucket start/);
  });

  it('reads results newest first with tags, metrics, quoted errors and µs times, and pages with a cursor', async () => {
    const seen = serve('results.json');
    const page = await store.results({ start: 0, stop: 1e16, filters: {}, limit: 2 });
    expect(page.results).toEqual([
      {
        time: Date.UTC(2026, 10, 21, 10, 0, 2) * 1000 + 7,
        success: true,
        latency_ms: 14,
        metrics: { throughput: 300 },
        error: null,
        error_type: null,
        tags: { endpoint: 'api' },
      },
      {
        time: Date.UTC(2026, 10, 21, 10, 0, 1) * 1000 + 5,
        success: false,
        latency_ms: null,
        metrics: null,
        error: 'time"out, retried',
        error_type: 'net',
        tags: { endpoint: 'api' },
      },
    ]);
    expect(page.nextCursor).not.toBeNull();
    expect(sentFlux(seen[0]!)).toContain('limit(n: 3)');
    await store.results({ start: 0, stop: 1e16, filters: {}, limit: 2, cursor: page.nextCursor! });
    // The next page ends just after the last row returned (exclusive stop at its ns + 1) and skips that row.
    expect(sentFlux(seen[1]!)).toContain('stop: time(v: "2026-11-21T10:00:01.000006000Z")');
    expect(sentFlux(seen[1]!)).toContain('limit(n: 4)');
  });

  it('does not take the fingerprint field of a failed result for a tag', async () => {
    const t = '2026-11-21T10:00:01.000005123Z';
    influx.queryAnswer = (_r, res) =>
      csv(
        res,
        annotatedCsv([
          {
            result: '_result',
            columns: [
              ['_start', 'dateTime:RFC3339', false],
              ['_stop', 'dateTime:RFC3339', false],
              ['_time', 'dateTime:RFC3339', false],
              ['_measurement', 'string', false],
              ['endpoint', 'string', false],
              ['error', 'string', false],
              ['fingerprint', 'string', false],
              ['success', 'boolean', false],
            ],
            rows: [
              [
                '1970-01-01T00:00:00Z',
                '2262-04-11T23:47:16.854Z',
                t,
                'test_result',
                'api',
                'timeout after 5 s',
                '0123456789abcdef',
                false,
              ],
            ],
          },
        ]),
      );
    const page = await store.results({ start: 0, stop: 1e16, filters: {}, limit: 5 });
    expect(page.results).toEqual([
      {
        time: Date.UTC(2026, 10, 21, 10, 0, 1) * 1000 + 5,
        success: false,
        latency_ms: null,
        metrics: null,
        error: 'timeout after 5 s',
        error_type: null,
        tags: { endpoint: 'api' },
      },
    ]);
  });

  it('sends no query for a request whose client has gone, and stops reading rows when it goes meanwhile', async () => {
    const seen = serve('results.json');
    const gone = new AbortController();
    gone.abort();
    await expect(
      withCancellation(gone.signal, () => store.results({ start: 0, stop: 1e16, filters: {}, limit: 2 })),
    ).rejects.toBeInstanceOf(Cancelled);
    expect(seen).toHaveLength(0);
    // An answer that sends its header and first row, then holds the rest back until the test lets it go.
    const header = fixture('results.json').csv.split('\n').slice(0, 5).join('\n');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    influx.queryAnswer = (_r, res) => {
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.write(`${header}\n`);
      void held.then(() => res.end(`${fixture('results.json').csv.split('\n').slice(5).join('\n')}`));
    };
    const leaving = new AbortController();
    const read = withCancellation(leaving.signal, () =>
      store.results({ start: 0, stop: 1e16, filters: {}, limit: 10 }),
    );
    await new Promise((r) => setTimeout(r, 100));
    leaving.abort();
    release();
    await expect(read).rejects.toBeInstanceOf(Cancelled);
  });

  it('rejects a cursor it did not make', async () => {
    serve('results.json');
    await expect(
      store.results({ start: 0, stop: 1e16, filters: {}, limit: 2, cursor: 'bm9wZQ' }),
    ).rejects.toMatchObject({ code: 'invalid' });
    // A forged skip that would make one page read a million rows.
    const forged = Buffer.from('1763719200000000000:999999').toString('base64url');
    await expect(store.results({ start: 0, stop: 1e16, filters: {}, limit: 2, cursor: forged })).rejects.toMatchObject({
      code: 'invalid',
    });
  });

  it('reads series with first and last time and counts', async () => {
    serve('series.json');
    const T0 = Date.UTC(2026, 10, 21, 10);
    expect(await store.series({ start: 0, stop: 1e16, filters: {}, limit: 100 })).toEqual([
      {
        measurement: 'circuit_breaker',
        tags: { breaker: 'x-client', endpoint: 'x' },
        firstTime: T0 * 1000,
        lastTime: (T0 + 60_000) * 1000,
        count: 2,
      },
      {
        measurement: 'test_result',
        tags: { endpoint: 'x' },
        firstTime: T0 * 1000 + 1,
        lastTime: (T0 + 5000) * 1000 + 1,
        count: 2,
      },
    ]);
  });

  it('reads circuit-breaker events with integer failures and nulls', async () => {
    serve('breaker-events.json');
    const T0 = Date.UTC(2026, 10, 21, 10);
    expect(await store.breakerEvents({ start: 0, stop: 1e16, filters: { breaker: ['x-client'] } })).toEqual([
      { time: T0 * 1000, state: 'open', failures: 5, tags: { breaker: 'x-client', endpoint: 'x' } },
      { time: (T0 + 60_000) * 1000, state: 'half_open', failures: null, tags: { breaker: 'x-client', endpoint: 'x' } },
    ]);
  });

  it('surfaces a query error from InfluxDB', async () => {
    influx.queryAnswer = (_r, res) => {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"code":"invalid","message":"compilation failed: error at @1:1-1:5"}');
    };
    await expect(store.breakerEvents({ start: 0, stop: 1e16, filters: {} })).rejects.toThrow(/compilation failed/);
  });

  it('fails every query path on the error table InfluxDB appends when a query fails part-way', async () => {
    const t = '2026-11-21T10:00:01.000005123Z';
    const partial = annotatedCsv([
      {
        result: '_result',
        columns: [
          ['_start', 'dateTime:RFC3339', false],
          ['_stop', 'dateTime:RFC3339', false],
          ['_time', 'dateTime:RFC3339', false],
          ['_measurement', 'string', false],
          ['endpoint', 'string', false],
          ['success', 'boolean', false],
        ],
        rows: [['1970-01-01T00:00:00Z', '2262-04-11T23:47:16.854Z', t, 'test_result', 'api', true]],
      },
    ]);
    // Rows first where a result row fits the query (results, series); for the others the error table alone, which
    // InfluxDB sends the same way when the failure comes before the first table.
    let withRows = true;
    influx.queryAnswer = (_r, res) =>
      csv(
        res,
        `${withRows ? `${partial}\r\n\r\n` : ''}${errorTable('panic: runtime error, "index out of range"', '897')}`,
      );
    const failed =
      /^InfluxDB failed part-way through a query: panic: runtime error, "index out of range" \(reference 897\)$/;
    const H = 3_600_000;
    const h0 = Date.UTC(2026, 10, 21, 10);
    const paths: [string, () => Promise<unknown>][] = [
      ['results', () => store.results({ start: 0, stop: 1e16, filters: {}, limit: 5 })],
      ['series', () => store.series({ start: 0, stop: 1e16, filters: {}, limit: 5 })],
      ['breaker events', () => store.breakerEvents({ start: 0, stop: 1e16, filters: {} })],
      [
        'aggregate',
        () =>
          store.aggregate({
            period: 'hour',
            tz: 'UTC',
            boundaries: [h0, h0 + H],
            filters: {},
            groupBy: [],
            metric: 'latency_ms',
          }),
      ],
      [
        'run summaries',
        () => store.runSummaries({ start: h0, stop: h0 + H, filters: {}, configuration: { ignore: ['worker'] } }),
      ],
      ['failure summaries', () => store.failureSummaries({ start: h0, stop: h0 + H, filters: {} })],
      ['failure fingerprints', () => store.failureFingerprints({ start: h0, stop: h0 + H, filters: {} })],
      [
        'failure buckets',
        () => store.failureBuckets({ start: h0, stop: h0 + H, filters: {}, bucketMs: 60_000, minFailures: 1 }),
      ],
      ['a rollup run', () => store.runRollup('hourly', h0, h0 + H)],
    ];
    for (const [name, run] of paths) {
      withRows = name === 'results' || name === 'series';
      await expect(run(), name).rejects.toThrow(failed);
    }
    const status = await store.status(h0 + 2 * H);
    expect(status.ok).toBe(false);
    expect(status.message).toMatch(failed);
  });
});
