// Read endpoints (docs/http-api.md; /openapi.json): aggregates, raw results, series.
import { type Response, Router } from 'express';
import { queryAggregatesJson } from '../aggregates/index.js';
import { invalid } from '../errors.js';
import { decodeSeriesCursor, encodeSeriesCursor } from '../store/series-order.js';
import { PERIODS } from '../time/buckets.js';
import { formatMicros } from '../time/parse.js';
import type { Auth } from './auth.js';
import type { AppDeps } from './deps.js';
import {
  EXPORT_MEDIA,
  type ExportFormat,
  exportPieces,
  RESULT_FORMATS,
  resultJson,
  resultSelection,
} from './export.js';
import {
  boolParam,
  enumParam,
  groupByParam,
  intParam,
  metricParam,
  one,
  queryOf,
  rangeUs,
  rejectUnknown,
  tagFilters,
  timeParam,
  tzParam,
} from './params.js';
import { drained, writeCorked } from './stream.js';

export function readRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  const read = auth.require('read');

  r.get('/api/v1/aggregates', read, async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['period', 'start', 'stop', 'tz', 'group_by', 'metric', 'fill']);
    const body = await queryAggregatesJson(
      deps.store,
      {
        period: enumParam(q, 'period', PERIODS),
        tz: tzParam(q, deps.config.timezone),
        start: timeParam(q, 'start'),
        stop: timeParam(q, 'stop'),
        groupBy: groupByParam(q),
        filters: tagFilters(q),
        metric: metricParam(q),
        fill: boolParam(q, 'fill', false),
      },
      deps.clock.now(),
      deps.aggregateCache,
    );
    res.type('application/json');
    await writeCorked(res, body);
  });

  r.get('/api/v1/results', read, async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['start', 'stop', 'success', 'limit', 'cursor', 'format']);
    const format = enumParam(q, 'format', RESULT_FORMATS, 'json');
    const sel = resultSelection(q);
    if (format !== 'json') {
      for (const p of ['limit', 'cursor']) {
        if (q[p] !== undefined)
          throw invalid(`parameter "${p}" is for JSON pages; format=${format} exports the whole range`, {
            parameter: p,
          });
      }
      await streamExport(res, exportPieces(deps.store, sel, format), format);
      return;
    }
    const cursor = one(q, 'cursor');
    const page = await deps.store.results({
      ...sel,
      limit: intParam(q, 'limit', 1, 10_000, 100),
      ...(cursor ? { cursor } : {}),
    });
    res.json({ results: page.results.map(resultJson), next_cursor: page.nextCursor });
  });

  r.get('/api/v1/series', read, async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['start', 'stop', 'measurement', 'limit', 'cursor']);
    const [start, stop] = rangeUs(q);
    const measurement = one(q, 'measurement');
    const m = measurement ? enumParam(q, 'measurement', ['test_result', 'circuit_breaker'] as const) : undefined;
    const limit = intParam(q, 'limit', 1, 100_000, 10_000);
    const cursor = one(q, 'cursor');
    // One more than the page: whether there is a next page.
    const series = await deps.store.series({
      start,
      stop,
      filters: tagFilters(q),
      limit: limit + 1,
      ...(m ? { measurement: m } : {}),
      ...(cursor ? { after: decodeSeriesCursor(cursor) } : {}),
    });
    const page = series.slice(0, limit);
    res.json({
      series: page.map((s) => ({
        measurement: s.measurement,
        tags: s.tags,
        first_time: formatMicros(s.firstTime),
        last_time: formatMicros(s.lastTime),
        count: s.count,
      })),
      next_cursor: series.length > limit ? encodeSeriesCursor(page[page.length - 1]!) : null,
    });
  });
  return r;
}

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
