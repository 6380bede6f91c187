// POST /api/v2/delete (docs/design.md), declared as a route (route.ts): InfluxDB 2's delete API. Query parameters `org` and `bucket` (or `orgID`,
// `bucketID`) are accepted and ignored, as for writes (the service keeps one store); the JSON body holds `start` and
// `stop` (RFC 3339, both inclusive, as in InfluxDB) and an optional `predicate` (model/delete-predicate.ts). The
// store deletes the points and recomputes what was made from them before the 204; the counts it knows are in the
// Resultant-Deleted-* headers (InfluxDB clients ignore them; `resultant delete` prints them).
import { z } from 'zod';
import { type BodyError, checkBody } from '../errors.js';
import { parseDeletePredicate } from '../model/delete-predicate.js';
import { MAX_TIME_US, MIN_TIME_US } from '../model/result.js';
import type { DeleteQuery, DeleteReport } from '../store/types.js';
import { parseRfc3339 } from '../time/parse.js';
import { text } from './params.js';
import { errorResponse, type Route, route } from './route.js';

/** A delete body is three short strings; a predicate of a few hundred terms fits with room to spare. */
const MAX_DELETE_BODY = 64 * 1024;

const EXAMPLE_TIME = '"2026-11-21T10:00:00Z"';

/**
 * An RFC 3339 time of the body as epoch µs, rounded towards the inside of the range: the store keeps microseconds,
 * so a `start` with nanoseconds begins at the next microsecond and a `stop` with nanoseconds ends at its own.
 */
const bodyTime = (key: 'start' | 'stop', description: string) =>
  z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `is required (an RFC 3339 time, e.g. ${EXAMPLE_TIME})`
          : `must be an RFC 3339 time string, e.g. ${EXAMPLE_TIME}`,
    })
    .transform((v, ctx) => {
      const us = parseRfc3339(v.trim());
      if (us === null) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an RFC 3339 time, e.g. ${EXAMPLE_TIME} (got "${v.slice(0, 60)}")`,
        });
        return z.NEVER;
      }
      const ns = /\.\d{6}(\d{1,3})/.exec(v)?.[1] ?? '';
      return key === 'start' && /[1-9]/.test(ns) ? us + 1 : us;
    })
    .meta({ description });

/**
 * The body of a delete (the API's and `resultant delete`'s), parsed: start and stop as epoch µs, the predicate as
 * written. Each problem names its field; an unknown field is refused rather than ignored.
 */
const DeleteBody = z
  .strictObject(
    {
      start: bodyTime('start', 'RFC 3339, inclusive'),
      stop: bodyTime('stop', 'RFC 3339, inclusive; not before start'),
      predicate: z
        .string({ error: 'must be a string, e.g. "_measurement=\\"test_result\\" AND endpoint=\\"api\\""' })
        .optional()
        .meta({
          description:
            'key="value" terms joined by AND; _measurement is test_result or circuit_breaker, every other key a tag key; empty or absent: every series. No OR, !=, regular expressions or parentheses.',
          examples: ['_measurement="test_result" AND endpoint="api"'],
        }),
    },
    {
      error: (iss) =>
        iss.code === 'unrecognized_keys'
          ? 'is not known here; known fields: start, stop, predicate'
          : 'must be an object',
    },
  )
  .superRefine((b, ctx) => {
    if (b.stop < b.start) ctx.addIssue({ code: 'custom', path: ['stop'], message: 'must not be before "start"' });
  });

/** The 400's words for a delete body with problems (`errors` lists every one). */
const deleteRefusal = ([first]: BodyError[]): string =>
  first!.path
    ? `invalid delete: "${first!.path}" ${first!.message}`
    : 'invalid delete: the body must be a JSON object {"start": ..., "stop": ..., "predicate": ...}';

/** What a delete body selects, as the store takes it (without the time), or null for an empty range. */
export type DeleteSelection = Omit<DeleteQuery, 'nowMs'>;

/**
 * What a parsed delete body selects: [start, stop] inclusive becomes [start, stop + 1 µs), inside the times a write
 * may carry. A predicate that does not parse is a 400 that points into it.
 */
function selectionOf(body: z.output<typeof DeleteBody>): DeleteSelection | null {
  const predicate = parseDeletePredicate(body.predicate ?? '');
  const from = Math.max(body.start, MIN_TIME_US);
  const to = Math.min(body.stop + 1, MAX_TIME_US);
  if (from >= to) return null;
  return {
    start: from,
    stop: to,
    tags: predicate.tags,
    ...(predicate.measurement ? { measurement: predicate.measurement } : {}),
  };
}

/** Checks a delete body as the API does (for `resultant delete`) and returns what it selects. */
export const deleteSelection = (raw: unknown): DeleteSelection | null =>
  selectionOf(checkBody(DeleteBody, raw, deleteRefusal));

/** The counts of a delete as response headers (absent where the store cannot tell). */
export const DELETED_HEADERS = {
  results: 'Resultant-Deleted-Results',
  breakerEvents: 'Resultant-Deleted-Breaker-Events',
  series: 'Resultant-Deleted-Series',
} as const;

const ignored = 'accepted and ignored';

export const deleteRoutes: Route[] = [
  route({
    method: 'post',
    path: '/api/v2/delete',
    auth: 'write',
    summary:
      'Delete the points a predicate selects in a time range, with their rollups and analysis summaries (InfluxDB v2 compatible)',
    query: z.object({ org: text(ignored), bucket: text(ignored), orgID: text(ignored), bucketID: text(ignored) }),
    otherParameters: 'allowed',
    body: {
      media: 'application/json',
      schema: DeleteBody,
      required: true,
      read: { maxBytes: MAX_DELETE_BODY, refusal: deleteRefusal },
    },
    responses: {
      '204': {
        description:
          'deleted, and the rollups and summaries of the hours and days concerned recomputed; the headers count what was deleted where the store can tell (DuckDB)',
        headers: {
          [DELETED_HEADERS.results]: { schema: { type: 'integer' }, description: 'raw test results deleted' },
          [DELETED_HEADERS.breakerEvents]: {
            schema: { type: 'integer' },
            description: 'circuit-breaker events deleted',
          },
          [DELETED_HEADERS.series]: {
            schema: { type: 'integer' },
            description: 'series left with no data, removed from the catalogue',
          },
        },
      },
      '400': errorResponse(
        'a field or the predicate is invalid (errors[0].path, and errors[0].column in the predicate), or the range reaches series data older than the kept raw data; nothing was deleted',
      ),
      '401': errorResponse('token missing or invalid'),
      '403': errorResponse('a read-only token'),
      '413': errorResponse('body larger than 64 KiB'),
      '415': errorResponse('the body is not JSON'),
    },
    async handler({ res, body, env: { deps } }) {
      const sel = selectionOf(body);
      const report: DeleteReport = sel
        ? await deps.store.delete({ ...sel, nowMs: deps.clock.now() })
        : { resultsDeleted: 0, breakerEventsDeleted: 0, seriesDeleted: 0 };
      const [start, stop] = [body.start, body.stop].map((us) => new Date(Math.floor(us / 1000)).toISOString());
      deps.logger.info({ start, stop, predicate: body.predicate, ...report }, 'deleted points');
      if (report.resultsDeleted !== null) res.setHeader(DELETED_HEADERS.results, String(report.resultsDeleted));
      if (report.breakerEventsDeleted !== null)
        res.setHeader(DELETED_HEADERS.breakerEvents, String(report.breakerEventsDeleted));
      if (report.seriesDeleted !== null) res.setHeader(DELETED_HEADERS.series, String(report.seriesDeleted));
      res.status(204).end();
    },
  }),
];
