// Write endpoints (docs/data-model.md), declared as routes (route.ts): InfluxDB v2 and v1 line protocol, and JSON
// results. A write is admitted or
// refused (503 + Retry-After) from its headers before its body is read (ingest/admission.ts). Line protocol is
// parsed slice by slice as it arrives, and the request is validated whole before anything is queued; the response
// is sent once the store has committed it.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AppError, invalid } from '../errors.js';
import {
  BYTES_PER_POINT,
  decodeJsonResults,
  estimateDecodedBytes,
  LineSlicer,
  MAX_SKIPPED_NAMES,
  type Precision,
  parsePrecision,
  type Slice,
  TestResultInput,
  type WriteTicket,
} from '../ingest/index.js';
import { collectGarbage } from '../memory.js';
import type { WriteBatch } from '../model/result.js';
import { type BodyHead, bodyHead, readJson, readRawBody, requireJson, streamBody } from './body.js';
import { described, param, problem } from './params.js';
import { errorResponse, type Route, type RouteEnv, route } from './route.js';

/**
 * Decoded bytes of line protocol parsed at a time: a large body is parsed in slices of about this size while the
 * next one is read, so neither the whole decoded body nor one parse of all of it is ever held.
 */
const SLICE_BYTES = 1024 * 1024;
/**
 * A write at least this large (decoded) leaves tens of megabytes of garbage behind (its batch, its slices): once it
 * is answered, a garbage collection returns them before the next one piles up (memory.ts), as after an analysis.
 */
const LARGE_WRITE_BYTES = 4 * 1024 * 1024;
/**
 * The longest that collection may hold the event loop (expected from the last one's pace, memory.ts): writes keep
 * coming while it runs, and /ping is answered within 100 ms. After a write of 100,000 new series beside 60,000, a
 * full collection took 115 ms (180 MB of heap, most of it the series): there V8's own collector is left to it.
 */
const LARGE_WRITE_MAX_PAUSE_MS = 50;

/**
 * The answer to a write some of whose points were skipped, after the others are committed: InfluxDB 2's for a partial
 * write (422, code "unprocessable entity"), which clients such as Telegraf take as final (not retried).
 */
function partialWrite(written: number, skipped: number, names: string[]): AppError {
  const more = skipped > names.length && names.length === MAX_SKIPPED_NAMES ? ', ...' : '';
  return new AppError(
    'unprocessable entity',
    `partial write: points of measurements that are neither test_result, circuit_breaker nor mapped ` +
      `(${names.map((n) => JSON.stringify(n)).join(', ')}${more}) dropped=${skipped}; written=${written}`,
    { written, skipped, skipped_measurements: names },
  );
}

/** Admits the write or refuses it before its body is read; the reservation ends with the reading, or the response. */
function admit(env: RouteEnv, req: Request, res: Response, head: BodyHead, bytesPerPoint: number): WriteTicket {
  let ticket: WriteTicket;
  try {
    ticket = env.admission.admit(estimateDecodedBytes(head, env.deps.config.maxBodyBytes), bytesPerPoint);
  } catch (e) {
    // Drained unread: a refused body is never decompressed.
    req.resume();
    throw e;
  }
  res.once('close', () => ticket.release());
  return ticket;
}

/** The timestamp precision of a line-protocol write, as InfluxDB 2 (`v1` false) or 1.x takes it. */
const precision = (v1: boolean) => {
  const names = v1 ? ['n', 'ns', 'u', 'us', 'ms', 's', 'm', 'h'] : ['ns', 'us', 'ms', 's'];
  return param(
    (v): Precision => {
      const p = parsePrecision(v, v1);
      if (p === null) throw problem(`must be one of ${names.join(', ')} (got "${v}")`);
      return p;
    },
    { description: 'timestamp precision', schema: { type: 'string', enum: names, ...(v1 ? {} : { default: 'ns' }) } },
  );
};

/**
 * A gzip body of at most this many bytes (as sent, by its Content-Length) is read whole and inflated by the parse
 * worker with its parsing, off the main thread; a larger one (or one without Content-Length) is inflated and cut
 * into slices as it arrives. Its decoded size is bounded by the body limit either way.
 */
const WORKER_GZIP_BYTES = 256 * 1024;

/** Writes a line-protocol body (v2 or v1) in `precision`: 204 once every point is durable. */
async function writeLineProtocol(req: Request, res: Response, env: RouteEnv, precision: Precision): Promise<void> {
  const { deps } = env;
  const maxBody = deps.config.maxBodyBytes;
  const head = bodyHead(req, maxBody);
  const ticket = admit(env, req, res, head, BYTES_PER_POINT.lineProtocol);
  const now = deps.clock.now();
  const opts = { precision, nowUs: now * 1000, minTimeUs: deps.store.oldestWritableTime(now) };
  let batch: WriteBatch | null = null;
  // Untimed points are a microsecond apart in request order across slices too.
  let untimed = 0;
  // Points of unknown measurements left out (RESULTANT_UNKNOWN_MEASUREMENTS=skip), and some of their names.
  let skipped = 0;
  const skippedNames: string[] = [];
  /** Parses a slice (inflating it first, with `gzip`) into the batch; its size decoded. */
  const parse = async (slice: Slice, gzip?: { maxBytes: number }): Promise<number> => {
    const decoded = await deps.parser.decode(slice.bytes, {
      ...opts,
      nowUs: opts.nowUs + untimed,
      firstLine: slice.firstLine,
      ...(gzip ? { gzip } : {}),
    });
    if (!decoded.ok) throw invalid(decoded.message, { line: decoded.line });
    untimed += decoded.untimed;
    skipped += decoded.skipped;
    for (const m of decoded.skippedNames)
      if (skippedNames.length < MAX_SKIPPED_NAMES && !skippedNames.includes(m)) skippedNames.push(m);
    if (batch) batch.append(decoded.batch);
    else batch = decoded.batch;
    return decoded.bytes;
  };
  let size: number;
  if (head.gzip && head.contentLength !== undefined && head.contentLength <= WORKER_GZIP_BYTES) {
    const compressed = await readRawBody(req, head.contentLength);
    size = await parse({ bytes: compressed, firstLine: 1 }, { maxBytes: maxBody });
    ticket.read(size);
  } else {
    // One slice is parsed (in a worker) while the next is read and decompressed; slices join the batch in order.
    let parsing: Promise<unknown> = Promise.resolve();
    const slicer = new LineSlicer(SLICE_BYTES);
    size = await streamBody(req, maxBody, async (chunk, total) => {
      ticket.read(total);
      const slice = slicer.push(chunk);
      if (!slice) return;
      await parsing;
      parsing = parse(slice);
      // Seen at the next slice or the end; until then it must not count as unhandled.
      parsing.catch(() => undefined);
    }).catch(async (e: unknown) => {
      await parsing.catch(() => undefined);
      throw e;
    });
    await parsing;
    const last = slicer.end();
    if (last) await parse(last);
  }
  if (size >= LARGE_WRITE_BYTES) res.once('close', () => collectGarbage(Date.now(), LARGE_WRITE_MAX_PAUSE_MS));
  const full = batch as WriteBatch | null;
  const written = full?.size ?? 0;
  if (written === 0 && skipped === 0) throw invalid('the request body holds no points');
  ticket.release();
  if (full && written > 0) await deps.queue.submit(full);
  if (skipped === 0) {
    res.status(204).end();
    return;
  }
  deps.metrics.pointsSkipped.inc(skipped);
  throw partialWrite(written, skipped, skippedNames);
}

const lpBody = {
  media: 'text/plain',
  json: { type: 'string', description: 'InfluxDB line protocol, optionally gzip' },
  required: true,
} as const;

const writeResponses = {
  '204': { description: 'every point is durable' },
  '400': errorResponse('a line is invalid; nothing was written'),
  '401': errorResponse('token missing or invalid'),
  '413': errorResponse('body larger than the limit after decompression'),
  '422': errorResponse(
    'partial write: points of measurements neither accepted nor mapped were skipped (RESULTANT_UNKNOWN_MEASUREMENTS=skip); every other point is durable. "written" and "skipped" count points, "skipped_measurements" names up to 10 of them',
  ),
  '503': errorResponse(
    'too many large writes being read, the ingest queue full, or the disk that holds the database full (nothing was written): refused from the headers, before the body is read; retry after the Retry-After header',
  ),
};

export const writeRoutes: Route[] = [
  route({
    method: 'post',
    path: '/api/v2/write',
    auth: 'write',
    summary: 'Write line protocol (InfluxDB v2 compatible)',
    query: z.object({
      org: described('accepted and ignored'),
      bucket: described('accepted and ignored'),
      precision: precision(false),
    }),
    otherParameters: 'allowed',
    body: lpBody,
    responses: writeResponses,
    handler: ({ req, res, env, query }) => writeLineProtocol(req, res, env, query.precision),
  }),

  route({
    method: 'post',
    path: '/write',
    auth: 'write-v1',
    summary: 'Write line protocol (InfluxDB v1 compatible)',
    query: z.object({
      db: described('accepted and ignored'),
      rp: described('accepted and ignored'),
      precision: precision(true),
      p: described('token (InfluxDB 1.x clients)'),
    }),
    otherParameters: 'allowed',
    body: lpBody,
    responses: writeResponses,
    handler: ({ req, res, env, query }) => writeLineProtocol(req, res, env, query.precision),
  }),

  route({
    method: 'post',
    path: '/api/v1/results',
    auth: 'write',
    summary: 'Write results as JSON (one object or an array of at most 10,000)',
    otherParameters: 'allowed',
    body: {
      media: 'application/json',
      schema: z.union([TestResultInput, z.array(TestResultInput).max(10_000)]),
      required: true,
    },
    responses: {
      '201': { description: 'written', body: z.object({ written: z.number().int() }) },
      '400': errorResponse('a record is invalid; nothing was written'),
      '401': errorResponse('token missing or invalid'),
      '413': errorResponse('body too large'),
      '415': errorResponse('not JSON'),
      '503': errorResponse(
        'too many large writes being read, the ingest queue full, or the disk that holds the database full (nothing was written); retry after the Retry-After header',
      ),
    },
    async handler({ req, res, env }) {
      const { deps } = env;
      const maxBody = deps.config.maxBodyBytes;
      requireJson(req);
      const ticket = admit(env, req, res, bodyHead(req, maxBody), BYTES_PER_POINT.json);
      const body = await readJson(req, maxBody, undefined, (decoded) => ticket.read(decoded));
      const now = deps.clock.now();
      const decoded = decodeJsonResults(body, now * 1000, deps.store.oldestWritableTime(now));
      if (!decoded.ok) throw invalid(decoded.message, { errors: decoded.errors });
      ticket.release();
      await deps.queue.submit(decoded.batch);
      res.status(201).json({ written: decoded.batch.size });
    },
  }),
];
