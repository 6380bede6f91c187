// Read endpoints (README: What is there; /openapi.json): aggregates, raw results, series.
import { Router } from 'express';
import { queryAggregatesJson } from '../aggregates/index.js';
import { PERIODS } from '../time/buckets.js';
import { formatMicros } from '../time/parse.js';
import type { AppDeps } from './app.js';
import type { Auth } from './auth.js';
import {
  boolParam,
  enumParam,
  groupByParam,
  intParam,
  metricParam,
  one,
  queryOf,
  rejectUnknown,
  tagFilters,
  timeParam,
  tzParam,
} from './params.js';
import { invalid, stopNotAfterStart } from '../errors.js';
import { MAX_TIME_US } from '../model/result.js';
import { decodeSeriesCursor, encodeSeriesCursor } from '../store/series-order.js';

/** Bytes of response written between flushes of a corked socket. */
const FLUSH_BYTES = 256 * 1024;

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
    );
    res.type('application/json');
    // Corked between flushes so that many pieces leave in one writev; bounded by the socket's backpressure.
    let corked = 0;
    res.cork();
    for (const chunk of body) {
      if (res.destroyed) return;
      const ok = res.write(chunk);
      corked += chunk.length;
      if (corked >= FLUSH_BYTES || !ok) {
        res.uncork();
        corked = 0;
        if (!ok) {
          // Wait for the socket to take more, or for the client to go away.
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              resolve();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
        res.cork();
      }
    }
    res.uncork();
    res.end();
  });

  r.get('/api/v1/results', read, async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['start', 'stop', 'success', 'limit', 'cursor']);
    const [start, stop] = rangeUs(q);
    const success = one(q, 'success');
    if (success !== undefined && success !== 'true' && success !== 'false') {
      throw invalid(`parameter "success" must be true or false (got "${success}")`, { parameter: 'success' });
    }
    const cursor = one(q, 'cursor');
    const page = await deps.store.results({
      start,
      stop,
      filters: tagFilters(q),
      ...(success === undefined ? {} : { success: success === 'true' }),
      limit: intParam(q, 'limit', 1, 10_000, 100),
      ...(cursor ? { cursor } : {}),
    });
    res.json({
      results: page.results.map((x) => ({ ...x, time: formatMicros(x.time) })),
      next_cursor: page.nextCursor,
    });
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

/** start/stop in µs; defaults: everything. */
function rangeUs(q: Parameters<typeof timeParam>[0]): [number, number] {
  const start = timeParam(q, 'start');
  const stop = timeParam(q, 'stop');
  const s = start === undefined ? 0 : Math.round(start * 1000);
  const e = stop === undefined ? MAX_TIME_US + 1 : Math.round(stop * 1000);
  if (e <= s) throw stopNotAfterStart();
  return [s, e];
}
