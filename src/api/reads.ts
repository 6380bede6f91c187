// Read endpoints (docs/http-api.md; /openapi.json), declared as routes (route.ts): aggregates, raw results, series.
import type { Response } from 'express';
import { z } from 'zod';
import { queryAggregatesJson } from '../aggregates/index.js';
import { invalid } from '../errors.js';
import { decodeSeriesCursor, encodeSeriesCursor } from '../store/series-order.js';
import { PERIODS } from '../time/buckets.js';
import { formatMicros } from '../time/parse.js';
import {
  EXPORT_MEDIA,
  type ExportFormat,
  exportPieces,
  RESULT_FORMATS,
  RESULT_SELECTION,
  resultJson,
  selectionOf,
} from './export.js';
import {
  bool,
  groupBy,
  maybeOneOf,
  metric,
  oneOf,
  stopAfterStart,
  TAGS,
  tags,
  text,
  time,
  timeZone,
  usRange,
  whole,
} from './params.js';
import { errorResponse, type Route, route } from './route.js';
import { drained, writeCorked } from './stream.js';

const nullableNumber = z.number().nullable();

/** A bucket's statistics of the metric (null without values). */
export const StatsSchema = z
  .object({
    count: z.number(),
    mean: nullableNumber,
    min: nullableNumber,
    max: nullableNumber,
    stddev: nullableNumber,
    p50: nullableNumber,
    p95: nullableNumber,
    p99: nullableNumber,
  })
  .nullable()
  .meta({
    description: 'stddev is the population standard deviation; percentiles are R type 7 (within 1 % when merged)',
  });

export const AggregatesResponse = z.object({
  period: z.enum(PERIODS),
  tz: z.string(),
  metric: z.string(),
  group_by: z.array(z.string()),
  start: z.string(),
  stop: z.string(),
  series: z.array(
    z.object({
      group: z.record(z.string(), z.string().nullable()),
      buckets: z.array(
        z.object({
          start: z.string(),
          end: z.string(),
          partial: z.boolean(),
          test_count: z.number().int(),
          success_count: z.number().int(),
          failure_count: z.number().int(),
          availability_pct: nullableNumber,
          stats: StatsSchema,
        }),
      ),
    }),
  ),
  warnings: z.array(z.string()).optional().meta({ description: 'present when something limits the answer' }),
});

/** A raw result as the JSON API shows it (and an NDJSON line holds it). */
export const ResultSchema = z.object({
  time: z.string(),
  success: z.boolean(),
  latency_ms: nullableNumber,
  metrics: z.record(z.string(), z.number()).nullable(),
  error: z.string().nullable(),
  error_type: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
});

export const ResultsPage = z.object({ results: z.array(ResultSchema), next_cursor: z.string().nullable() });

export const SeriesPage = z.object({
  series: z.array(
    z.object({
      measurement: z.enum(['test_result', 'circuit_breaker']),
      tags: z.record(z.string(), z.string()),
      first_time: z.string(),
      last_time: z.string(),
      count: z.number().int(),
    }),
  ),
  next_cursor: z.string().nullable().meta({ description: 'null on the last page' }),
});

const badParameter = errorResponse('bad parameter');

export const readRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/aggregates',
    auth: 'read',
    summary: 'Hourly, daily, weekly or monthly statistics per group',
    query: z.object({
      period: oneOf(PERIODS, 'bucket size'),
      start: time('rounded down to a bucket boundary in tz (default: 24 h / 30 days before stop)'),
      stop: time('rounded up to a bucket boundary in tz (default: now)'),
      tz: timeZone('IANA time zone of bucket boundaries (default: RESULTANT_TIMEZONE)'),
      group_by: groupBy('comma-separated tag keys'),
      [TAGS]: tags(),
      metric: metric('field for stats'),
      fill: bool('return empty buckets too', false),
    }),
    responses: { '200': { description: 'aggregates', body: AggregatesResponse }, '400': badParameter },
    async handler({ res, query: q, env: { deps } }) {
      const body = await queryAggregatesJson(
        deps.store,
        {
          period: q.period,
          tz: q.tz ?? deps.config.timezone,
          start: q.start,
          stop: q.stop,
          groupBy: q.group_by,
          filters: q[TAGS],
          metric: q.metric,
          fill: q.fill,
        },
        deps.clock.now(),
        deps.aggregateCache,
      );
      res.type('application/json');
      await writeCorked(res, body);
    },
  }),

  route({
    method: 'get',
    path: '/api/v1/results',
    auth: 'read',
    summary: 'Raw results, newest first: JSON pages, or the whole range streamed as CSV or NDJSON',
    query: z
      .object({
        start: RESULT_SELECTION.start,
        stop: RESULT_SELECTION.stop,
        success: RESULT_SELECTION.success,
        limit: whole('page size (format=json only)', 1, 10_000, 100),
        cursor: text('next_cursor of the previous page (format=json only)'),
        format: oneOf(RESULT_FORMATS, 'json: pages; csv or ndjson: the whole range as one streamed attachment', 'json'),
        [TAGS]: RESULT_SELECTION[TAGS],
      })
      .superRefine(stopAfterStart),
    responses: {
      '200': {
        description:
          'json: {"results": [...], "next_cursor": string|null}; ndjson: one result object a line; csv: columns time, success, latency_ms, error, error_type, tags (JSON), metrics (JSON)',
        body: ResultsPage,
        media: { 'application/x-ndjson': null, 'text/csv': null },
      },
      '400': badParameter,
    },
    async handler({ req, res, query: q, env: { deps } }) {
      const sel = selectionOf(q);
      if (q.format !== 'json') {
        for (const p of ['limit', 'cursor']) {
          if (req.query[p] !== undefined)
            throw invalid(`parameter "${p}" is for JSON pages; format=${q.format} exports the whole range`, {
              parameter: p,
            });
        }
        await streamExport(res, exportPieces(deps.store, sel, q.format), q.format);
        return;
      }
      const page = await deps.store.results({ ...sel, limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
      res.json({ results: page.results.map(resultJson), next_cursor: page.nextCursor });
    },
  }),

  route({
    method: 'get',
    path: '/api/v1/series',
    auth: 'read',
    summary: 'Distinct tag sets with first/last time and counts, page by page',
    query: z
      .object({
        start: time('inclusive'),
        stop: time('exclusive'),
        measurement: maybeOneOf(['test_result', 'circuit_breaker'], 'test_result or circuit_breaker'),
        limit: whole('page size', 1, 100_000, 10_000),
        cursor: text('next_cursor of the previous page'),
        [TAGS]: tags(),
      })
      .superRefine(stopAfterStart),
    responses: {
      '200': { description: 'the series, ordered by measurement, then tags', body: SeriesPage },
      '400': badParameter,
    },
    async handler({ res, query: q, env: { deps } }) {
      const [start, stop] = usRange(q.start, q.stop);
      // One more than the page: whether there is a next page.
      const series = await deps.store.series({
        start,
        stop,
        filters: q[TAGS],
        limit: q.limit + 1,
        ...(q.measurement ? { measurement: q.measurement } : {}),
        ...(q.cursor ? { after: decodeSeriesCursor(q.cursor) } : {}),
      });
      const page = series.slice(0, q.limit);
      res.json({
        series: page.map((s) => ({
          measurement: s.measurement,
          tags: s.tags,
          first_time: formatMicros(s.firstTime),
          last_time: formatMicros(s.lastTime),
          count: s.count,
        })),
        next_cursor: series.length > q.limit ? encodeSeriesCursor(page[page.length - 1]!) : null,
      });
    },
  }),
];

/**
 * Writes an export as it is read, waiting while the socket is full; stops when the client goes. An error once the
 * answer has started cuts the connection, so the client sees an incomplete transfer rather than a short file.
 */
async function streamExport(res: Response, pieces: AsyncGenerator<string>, format: ExportFormat): Promise<void> {
  const media = EXPORT_MEDIA[format];
  res.setHeader('Content-Type', media.contentType);
  res.setHeader('Content-Disposition', `attachment; filename="results.${media.extension}"`);
  let gone = false;
  res.once('close', () => (gone = true));
  try {
    for await (const piece of pieces) {
      if (gone || res.destroyed) return;
      if (!res.write(piece)) await drained(res);
    }
  } catch (e) {
    if (res.headersSent) res.destroy();
    throw e;
  }
  if (!gone) res.end();
}
