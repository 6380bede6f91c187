// POST /api/v2/delete (docs/design.md): InfluxDB 2's delete API. Query parameters `org` and `bucket` (or `orgID`,
// `bucketID`) are accepted and ignored, as for writes (the service keeps one store); the JSON body holds `start` and
// `stop` (RFC 3339, both inclusive, as in InfluxDB) and an optional `predicate` (model/delete-predicate.ts). The
// store deletes the points and recomputes what was made from them before the 204; the counts it knows are in the
// Resultant-Deleted-* headers (InfluxDB clients ignore them; `resultant delete` prints them).
import { Router } from 'express';
import { invalid } from '../errors.js';
import { parseDeletePredicate } from '../model/delete-predicate.js';
import { MAX_TIME_US, MIN_TIME_US } from '../model/result.js';
import type { DeleteQuery, DeleteReport } from '../store/types.js';
import { parseRfc3339 } from '../time/parse.js';
import type { Auth } from './auth.js';
import { readJson } from './body.js';
import type { AppDeps } from './deps.js';
import { one, queryOf } from './params.js';

/** A delete body is three short strings; a predicate of a few hundred terms fits with room to spare. */
const MAX_DELETE_BODY = 64 * 1024;

const refuse = (path: string, message: string) =>
  invalid(`invalid delete: "${path}" ${message}`, { errors: [{ path, message }] });

/**
 * An RFC 3339 time of the body as epoch µs, rounded towards the inside of the range: the store keeps microseconds,
 * so a `start` with nanoseconds begins at the next microsecond and a `stop` with nanoseconds ends at its own.
 */
function bodyTime(body: Record<string, unknown>, key: 'start' | 'stop'): number {
  const v = body[key];
  if (v === undefined) throw refuse(key, 'is required (an RFC 3339 time, e.g. "2026-11-21T10:00:00Z")');
  if (typeof v !== 'string') throw refuse(key, 'must be an RFC 3339 time string, e.g. "2026-11-21T10:00:00Z"');
  const us = parseRfc3339(v.trim());
  if (us === null) throw refuse(key, `must be an RFC 3339 time, e.g. "2026-11-21T10:00:00Z" (got "${v.slice(0, 60)}")`);
  const ns = /\.\d{6}(\d{1,3})/.exec(v)?.[1] ?? '';
  return key === 'start' && /[1-9]/.test(ns) ? us + 1 : us;
}

/** What a delete body selects, as the store takes it (without the time), or null for an empty range. */
export type DeleteSelection = Omit<DeleteQuery, 'nowMs'>;

/**
 * Checks a delete body (the API's and `resultant delete`'s) and returns what it selects: [start, stop] inclusive
 * becomes [start, stop + 1 µs), inside the times a write may carry. Every problem is a 400 naming the field.
 */
export function deleteSelection(raw: unknown): DeleteSelection | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid('invalid delete: the body must be a JSON object {"start": ..., "stop": ..., "predicate": ...}', {
      errors: [{ path: '', message: 'must be an object' }],
    });
  }
  const body = raw as Record<string, unknown>;
  for (const k of Object.keys(body)) {
    if (k !== 'start' && k !== 'stop' && k !== 'predicate')
      throw refuse(k, 'is not known here; known fields: start, stop, predicate');
  }
  const start = bodyTime(body, 'start');
  const stop = bodyTime(body, 'stop');
  if (stop < start) throw refuse('stop', 'must not be before "start"');
  const text = body.predicate ?? '';
  if (typeof text !== 'string')
    throw refuse('predicate', 'must be a string, e.g. "_measurement=\\"test_result\\" AND endpoint=\\"api\\""');
  const predicate = parseDeletePredicate(text);
  const from = Math.max(start, MIN_TIME_US);
  const to = Math.min(stop + 1, MAX_TIME_US);
  if (from >= to) return null;
  return {
    start: from,
    stop: to,
    tags: predicate.tags,
    ...(predicate.measurement ? { measurement: predicate.measurement } : {}),
  };
}

/** The counts of a delete as response headers (absent where the store cannot tell). */
export const DELETED_HEADERS = {
  results: 'Resultant-Deleted-Results',
  breakerEvents: 'Resultant-Deleted-Breaker-Events',
  series: 'Resultant-Deleted-Series',
} as const;

export function deleteRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  r.post('/api/v2/delete', auth.require('write'), async (req, res) => {
    const q = queryOf(req);
    for (const name of ['org', 'orgID', 'bucket', 'bucketID']) one(q, name);
    const body = await readJson(req, MAX_DELETE_BODY);
    const sel = deleteSelection(body);
    const report: DeleteReport = sel
      ? await deps.store.delete({ ...sel, nowMs: deps.clock.now() })
      : { resultsDeleted: 0, breakerEventsDeleted: 0, seriesDeleted: 0 };
    const { start, stop, predicate } = body as Record<string, unknown>;
    deps.logger.info({ start, stop, predicate, ...report }, 'deleted points');
    if (report.resultsDeleted !== null) res.setHeader(DELETED_HEADERS.results, String(report.resultsDeleted));
    if (report.breakerEventsDeleted !== null)
      res.setHeader(DELETED_HEADERS.breakerEvents, String(report.breakerEventsDeleted));
    if (report.seriesDeleted !== null) res.setHeader(DELETED_HEADERS.series, String(report.seriesDeleted));
    res.status(204).end();
  });
  return r;
}
