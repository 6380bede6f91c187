// Write endpoints (README: Writes): InfluxDB v2 and v1 line protocol, and JSON results. Each request is parsed
// and validated whole before anything is queued; the response is sent once the store has committed it.
import { type Request, type Response, Router } from 'express';
import { invalid } from '../errors.js';
import { decodeJsonResults } from '../ingest/json.js';
import { parsePrecision } from '../ingest/line-protocol.js';
import type { AppDeps } from './app.js';
import type { Auth } from './auth.js';
import { readBody, readJson } from './body.js';
import { one, queryOf } from './params.js';

export function writeRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();

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
      const body = await readBody(req, deps.config.maxBodyBytes);
      const now = deps.clock.now();
      const decoded = await deps.parser.decode(body, {
        precision,
        nowUs: now * 1000,
        minTimeUs: deps.store.oldestWritableTime(now),
      });
      if (!decoded.ok) throw invalid(decoded.message, { line: decoded.line });
      if (decoded.batch.size === 0) throw invalid('the request body holds no points');
      await deps.queue.submit(decoded.batch);
      res.status(204).end();
    };

  r.post('/api/v2/write', auth.require('write'), lineProtocol(false));
  r.post('/write', auth.require('write', { v1: true }), lineProtocol(true));

  r.post('/api/v1/results', auth.require('write'), async (req, res) => {
    const body = await readJson(req, deps.config.maxBodyBytes);
    const now = deps.clock.now();
    const decoded = decodeJsonResults(body, now * 1000, deps.store.oldestWritableTime(now));
    if (!decoded.ok) throw invalid(decoded.message, { errors: decoded.errors });
    await deps.queue.submit(decoded.batch);
    res.status(201).json({ written: decoded.batch.size });
  });
  return r;
}
