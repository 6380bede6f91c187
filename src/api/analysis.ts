// Analysis endpoints (docs/http-api.md; /openapi.json): GET /api/v1/analysis/<kind>, POST /api/v1/analyze, and the anomaly log
// (list and acknowledge). Validate, call one function, answer.

import { Router } from 'express';
import { analyze, MAX_ANALYSIS_DAYS, parseAnalyzeBody } from '../analysis/analyze.js';
import { isAnalysisKind, runAnalysis } from '../analysis/index.js';
import { ANALYSIS_KINDS, type AnalysisContext } from '../analysis/types.js';
import { invalid, notFound, stopNotAfterStart } from '../errors.js';
import type { StoredAnomaly } from '../store/state.js';
import { DAY_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import type { Auth } from './auth.js';
import { readJson } from './body.js';
import type { AppDeps } from './deps.js';
import { collectAfter } from './heavy.js';
import {
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

/** Default window of a GET analysis without start. */
export const DEFAULT_ANALYSIS_DAYS = 7;
const COMMON = ['start', 'stop', 'tz', 'group_by', 'metric'];
const MAX_ANALYZE_BODY = 64 * 1024;

export function analysisRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  const read = auth.require('read');
  const ctx = (): AnalysisContext => ({
    store: deps.store,
    now: deps.clock.now(),
    ...(deps.anomalyLog ? { anomalyLog: deps.anomalyLog } : {}),
  });

  r.get('/api/v1/analysis/:kind', read, collectAfter, async (req, res) => {
    const kind = req.params.kind as string;
    if (!isAnalysisKind(kind)) {
      throw invalid(`unknown analysis "${kind.slice(0, 60)}"; kinds: ${ANALYSIS_KINDS.join(', ')}`, {
        parameter: 'kind',
      });
    }
    const q = queryOf(req);
    const options: Record<string, string> = {};
    for (const k of Object.keys(q)) {
      if (COMMON.includes(k) || k.startsWith('tag.') || k.startsWith('_')) continue;
      const v = one(q, k);
      if (v !== undefined) options[k] = v;
    }
    const c = ctx();
    const [start, stop] = analysisRange(timeParam(q, 'start'), timeParam(q, 'stop'), c.now);
    const body = await runAnalysis(kind, c, {
      start,
      stop,
      filters: tagFilters(q),
      groupBy: groupByParam(q),
      metric: metricParam(q),
      tz: tzParam(q, deps.config.timezone),
      options,
    });
    res.json(body);
  });

  r.post('/api/v1/analyze', read, collectAfter, async (req, res) => {
    const raw = await readJson(req, MAX_ANALYZE_BODY);
    res.json(await analyze(ctx(), parseAnalyzeBody(raw), { tz: deps.config.timezone }));
  });

  r.get('/api/v1/anomalies', read, async (req, res) => {
    const log = requireLog(deps);
    const q = queryOf(req);
    rejectUnknown(q, ['start', 'stop', 'acknowledged', 'limit'], false);
    // The log is small and bounded by `limit`: the whole history by default.
    const start = timeParam(q, 'start') ?? 0;
    const stop = timeParam(q, 'stop') ?? Number.MAX_SAFE_INTEGER;
    if (stop <= start) throw stopNotAfterStart();
    const ack = one(q, 'acknowledged');
    if (ack !== undefined && ack !== 'true' && ack !== 'false') {
      throw invalid(`parameter "acknowledged" must be true or false (got "${ack.slice(0, 60)}")`, {
        parameter: 'acknowledged',
      });
    }
    const rows = await log.list({
      start,
      stop,
      limit: intParam(q, 'limit', 1, 10_000, 1000),
      ...(ack === undefined ? {} : { acknowledged: ack === 'true' }),
    });
    res.json({ anomalies: rows.map(anomalyJson) });
  });

  r.post('/api/v1/anomalies/:id/acknowledge', auth.require('write'), async (req, res) => {
    const log = requireLog(deps);
    const raw = req.params.id as string;
    if (!/^\d{1,15}$/.test(raw))
      throw invalid(`anomaly id must be a positive whole number (got "${raw.slice(0, 60)}")`, { parameter: 'id' });
    const row = await log.acknowledge(Number(raw), deps.clock.now());
    if (!row) throw notFound(`no anomaly with id ${raw}`);
    res.json(anomalyJson(row));
  });
  return r;
}

/** [start, stop) in ms: stop defaults to now, start to DEFAULT_ANALYSIS_DAYS before stop; at most MAX_ANALYSIS_DAYS. */
export function analysisRange(start: number | undefined, stop: number | undefined, now: number): [number, number] {
  const e = stop ?? now;
  const s = start ?? e - DEFAULT_ANALYSIS_DAYS * DAY_MS;
  if (e <= s) throw stopNotAfterStart();
  if (e - s > MAX_ANALYSIS_DAYS * DAY_MS) {
    throw invalid(`the range from start to stop must be at most ${MAX_ANALYSIS_DAYS} days`, { parameter: 'start' });
  }
  return [s, e];
}

function requireLog(deps: AppDeps) {
  if (!deps.anomalyLog) throw notFound('this store keeps no anomaly log');
  return deps.anomalyLog;
}

export function anomalyJson(a: StoredAnomaly): Record<string, unknown> {
  return {
    id: a.id,
    series: a.series,
    metric: a.metric,
    method: a.method,
    time: formatMillis(a.time),
    value: a.value,
    expected: a.expected,
    score: a.score,
    detected_at: formatMillis(a.detectedAt),
    acknowledged: a.acknowledged,
    acknowledged_at: a.acknowledgedAt === null ? null : formatMillis(a.acknowledgedAt),
  };
}
