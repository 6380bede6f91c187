// Write endpoints (docs/data-model.md): InfluxDB v2 and v1 line protocol, and JSON results. A write is admitted or
// refused (503 + Retry-After) from its headers before its body is read (ingest/admission.ts). Line protocol is
// parsed slice by slice as it arrives, and the request is validated whole before anything is queued; the response
// is sent once the store has committed it.
import { type Request, type Response, Router } from 'express';
import { AppError, invalid } from '../errors.js';
import {
  BYTES_PER_POINT,
  decodeJsonResults,
  estimateDecodedBytes,
  LineSlicer,
  MAX_SKIPPED_NAMES,
  parsePrecision,
  type Slice,
  type WriteAdmission,
  type WriteTicket,
} from '../ingest/index.js';
import { collectGarbage } from '../memory.js';
import type { WriteBatch } from '../model/result.js';
import type { Auth } from './auth.js';
import { type BodyHead, bodyHead, readJson, requireJson, streamBody } from './body.js';
import type { AppDeps } from './deps.js';
import { one, queryOf } from './params.js';

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

export function writeRouter(deps: AppDeps, auth: Auth, admission: WriteAdmission): Router {
  const r = Router();
  const maxBody = deps.config.maxBodyBytes;

  /** Admits the write or refuses it before its body is read; the reservation ends with the reading, or the response. */
  const admit = (req: Request, res: Response, head: BodyHead, bytesPerPoint: number): WriteTicket => {
    let ticket: WriteTicket;
    try {
      ticket = admission.admit(estimateDecodedBytes(head, maxBody), bytesPerPoint);
    } catch (e) {
      // Drained unread: a refused body is never decompressed.
      req.resume();
      throw e;
    }
    res.once('close', () => ticket.release());
    return ticket;
  };

  const lineProtocol = (v1: boolean) =>
    async function handler(req: Request, res: Response) {
      const q = queryOf(req);
      const precisionRaw = one(q, 'precision');
      const precision = parsePrecision(precisionRaw, v1);
      if (precision === null) {
        throw invalid(
          `parameter "precision" must be one of ${v1 ? 'n, ns, u, us, ms, s, m, h' : 'ns, us, ms, s'} (got "${precisionRaw}")`,
          { parameter: 'precision' },
        );
      }
      const ticket = admit(req, res, bodyHead(req, maxBody), BYTES_PER_POINT.lineProtocol);
      const now = deps.clock.now();
      const opts = { precision, nowUs: now * 1000, minTimeUs: deps.store.oldestWritableTime(now) };
      let batch: WriteBatch | null = null;
      // Untimed points are a microsecond apart in request order across slices too.
      let untimed = 0;
      // Points of unknown measurements left out (RESULTANT_UNKNOWN_MEASUREMENTS=skip), and some of their names.
      let skipped = 0;
      const skippedNames: string[] = [];
      const parse = async (slice: Slice): Promise<void> => {
        const decoded = await deps.parser.decode(slice.bytes, {
          ...opts,
          nowUs: opts.nowUs + untimed,
          firstLine: slice.firstLine,
        });
        if (!decoded.ok) throw invalid(decoded.message, { line: decoded.line });
        untimed += decoded.untimed;
        skipped += decoded.skipped;
        for (const m of decoded.skippedNames)
          if (skippedNames.length < MAX_SKIPPED_NAMES && !skippedNames.includes(m)) skippedNames.push(m);
        if (batch) batch.append(decoded.batch);
        else batch = decoded.batch;
      };
      // One slice is parsed (in a worker) while the next is read and decompressed; slices join the batch in order.
      let parsing: Promise<void> = Promise.resolve();
      const slicer = new LineSlicer(SLICE_BYTES);
      const size = await streamBody(req, maxBody, async (chunk, total) => {
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
      if (size >= LARGE_WRITE_BYTES) res.once('close', () => collectGarbage());
      await parsing;
      const last = slicer.end();
      if (last) await parse(last);
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
    };

  r.post('/api/v2/write', auth.require('write'), lineProtocol(false));
  r.post('/write', auth.require('write', { v1: true }), lineProtocol(true));

  r.post('/api/v1/results', auth.require('write'), async (req, res) => {
    requireJson(req);
    const ticket = admit(req, res, bodyHead(req, maxBody), BYTES_PER_POINT.json);
    const body = await readJson(req, maxBody, undefined, (decoded) => ticket.read(decoded));
    const now = deps.clock.now();
    const decoded = decodeJsonResults(body, now * 1000, deps.store.oldestWritableTime(now));
    if (!decoded.ok) throw invalid(decoded.message, { errors: decoded.errors });
    ticket.release();
    await deps.queue.submit(decoded.batch);
    res.status(201).json({ written: decoded.batch.size });
  });
  return r;
}
