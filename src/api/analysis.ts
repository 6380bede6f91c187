// Analysis endpoints (docs/http-api.md; /openapi.json), declared as routes (route.ts): GET /api/v1/analysis/<kind>, POST /api/v1/analyze, and the anomaly log
// (list and acknowledge). Validate, call one function, answer.

import type { RequestHandler } from 'express';
import { z } from 'zod';
import { AnalyzeBody, analyze, analyzeRefusal, MAX_ANALYSIS_DAYS } from '../analysis/analyze.js';
import { isAnalysisKind, runAnalysis } from '../analysis/index.js';
import { ANALYSIS_KINDS, type AnalysisContext, type AnalysisKind } from '../analysis/types.js';
import { invalid, notFound, stopNotAfterStart } from '../errors.js';
import type { StoredAnomaly } from '../store/state.js';
import { DAY_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import type { AppDeps } from './deps.js';
import { collectAfter } from './heavy.js';
import { groupBy, maybeBool, metric, one, type Query, TAGS, tags, time, timeZone, whole } from './params.js';
import { errorResponse, type Route, route } from './route.js';

/** Default window of a GET analysis without start. */
export const DEFAULT_ANALYSIS_DAYS = 7;
const MAX_ANALYZE_BODY = 64 * 1024;

const ctxOf = (deps: AppDeps): AnalysisContext => ({
  store: deps.store,
  now: deps.clock.now(),
  ...(deps.anomalyLog ? { anomalyLog: deps.anomalyLog } : {}),
});

/** An analysis answer: its kind and range, and the kind's own list (docs/analyses.md). */
const AnalysisAnswer = z.looseObject({ kind: z.enum(ANALYSIS_KINDS), start: z.string(), stop: z.string() });

const AnomalyJson = z.object({
  id: z.number().int(),
  series: z.record(z.string(), z.string().nullable()),
  metric: z.string(),
  method: z.string(),
  time: z.string(),
  value: z.number().nullable(),
  expected: z.number().nullable(),
  score: z.number().nullable(),
  detected_at: z.string(),
  acknowledged: z.boolean(),
  acknowledged_at: z.string().nullable(),
});

const noLog = errorResponse('this store keeps no anomaly log');

/** Refuses an unknown kind before the parameters are looked at (the message lists the kinds). */
const knownKind: RequestHandler = (req, _res, next) => {
  const kind = String(req.params.kind);
  if (!isAnalysisKind(kind)) {
    throw invalid(`unknown analysis "${kind.slice(0, 60)}"; kinds: ${ANALYSIS_KINDS.join(', ')}`, {
      parameter: 'kind',
    });
  }
  next();
};

export const analysisRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/analysis/:kind',
    auth: 'read',
    summary: 'One analysis over [start, stop) (default: the last 7 days; at most 400 days)',
    description:
      'Kind-specific parameters: trends (statistic, period, alpha, min_change_pct, include_stable, moving_average); regressions ' +
      '(statistic, period, recent_hours, alpha, test=welch|mann-whitney, higher_is_better, lower_is_better); anomalies ' +
      '(statistic, period, method=auto|robust_z|seasonal|mstl, threshold, history, acknowledged=any|true|false). ' +
      'statistic is p50 (default)|mean|p95|p99|max|availability_pct|error_rate|test_count; period hour|day (default hour up to 31 days). ' +
      'Without group_by, series are grouped by test, endpoint, hardware, model.',
    pathParams: { kind: { schema: { type: 'string', enum: [...ANALYSIS_KINDS] } } },
    // The kind's own parameters are the analysis's to check.
    otherParameters: 'allowed',
    query: z.object({
      start: time('inclusive'),
      stop: time('exclusive (default: now)'),
      tz: timeZone('IANA time zone of daily buckets (default: RESULTANT_TIMEZONE)'),
      group_by: groupBy('comma-separated tag keys'),
      metric: metric('field analysed'),
      [TAGS]: tags(),
    }),
    before: () => [collectAfter, knownKind],
    responses: {
      '200': { description: 'the analysis (docs/analyses.md)', body: AnalysisAnswer },
      '400': errorResponse('bad parameter, or an unknown kind (the message lists the kinds)'),
      '404': errorResponse('a kind of the contract that this build does not have'),
    },
    async handler({ req, res, query: q, env: { deps } }) {
      const kind = req.params.kind as AnalysisKind;
      const raw = req.query as Query;
      const options: Record<string, string> = {};
      for (const k of Object.keys(raw)) {
        if (COMMON.has(k) || k.startsWith('tag.') || k.startsWith('_')) continue;
        const v = one(raw, k);
        if (v !== undefined) options[k] = v;
      }
      const c = ctxOf(deps);
      const [start, stop] = analysisRange(q.start, q.stop, c.now);
      res.json(
        await runAnalysis(kind, c, {
          start,
          stop,
          filters: q[TAGS],
          groupBy: q.group_by,
          metric: q.metric,
          tz: q.tz ?? deps.config.timezone,
          options,
        }),
      );
    },
  }),

  route({
    method: 'post',
    path: '/api/v1/analyze',
    auth: 'read',
    summary: 'Several analyses over the last N days, answered as one object keyed by analysis type',
    otherParameters: 'allowed',
    body: {
      media: 'application/json',
      schema: AnalyzeBody,
      required: true,
      name: 'AnalyzeRequest',
      read: { maxBytes: MAX_ANALYZE_BODY, refusal: analyzeRefusal },
    },
    before: () => [collectAfter],
    responses: {
      '200': {
        description: '{"<type>": <the GET /api/v1/analysis/<type> response>, ...}',
        body: z.record(z.string(), AnalysisAnswer),
      },
      '400': errorResponse('invalid body; errors[] has the path of each problem'),
      '404': errorResponse('a requested type is not available in this build'),
      '415': errorResponse('not JSON'),
    },
    async handler({ res, body, env: { deps } }) {
      res.json(await analyze(ctxOf(deps), body, { tz: deps.config.timezone }));
    },
  }),

  route({
    method: 'get',
    path: '/api/v1/anomalies',
    auth: 'read',
    summary: 'Stored anomalies (each kept once), newest first',
    query: z.object({
      start: time('inclusive, on the anomaly time'),
      stop: time('exclusive'),
      acknowledged: maybeBool('only acknowledged (true) or open (false) ones', (v) => v.slice(0, 60)),
      limit: whole('most rows', 1, 10_000, 1000),
    }),
    // No anomaly log: a 404 before the parameters are looked at.
    before: ({ deps }) => [
      (_req, _res, next) => {
        requireLog(deps);
        next();
      },
    ],
    responses: {
      '200': { description: 'the anomalies', body: z.object({ anomalies: z.array(AnomalyJson) }) },
      '400': errorResponse('bad parameter'),
      '404': noLog,
    },
    async handler({ res, query: q, env: { deps } }) {
      // The log is small and bounded by `limit`: the whole history by default.
      const start = q.start ?? 0;
      const stop = q.stop ?? Number.MAX_SAFE_INTEGER;
      if (stop <= start) throw stopNotAfterStart();
      const rows = await requireLog(deps).list({
        start,
        stop,
        limit: q.limit,
        ...(q.acknowledged === undefined ? {} : { acknowledged: q.acknowledged }),
      });
      res.json({ anomalies: rows.map(anomalyJson) });
    },
  }),

  route({
    method: 'post',
    path: '/api/v1/anomalies/:id/acknowledge',
    auth: 'write',
    summary: 'Acknowledge a stored anomaly; acknowledging again keeps the first time',
    pathParams: { id: { schema: { type: 'integer' } } },
    otherParameters: 'allowed',
    responses: {
      '200': { description: 'the anomaly', body: AnomalyJson },
      '400': errorResponse('bad id'),
      '404': errorResponse('no such anomaly, or no anomaly log'),
    },
    async handler({ req, res, env: { deps } }) {
      const log = requireLog(deps);
      const raw = req.params.id as string;
      if (!/^\d{1,15}$/.test(raw))
        throw invalid(`anomaly id must be a positive whole number (got "${raw.slice(0, 60)}")`, { parameter: 'id' });
      const row = await log.acknowledge(Number(raw), deps.clock.now());
      if (!row) throw notFound(`no anomaly with id ${raw}`);
      res.json(anomalyJson(row));
    },
  }),
];

/** The parameters every analysis takes; the others are the kind's. */
const COMMON = new Set(['start', 'stop', 'tz', 'group_by', 'metric']);

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
