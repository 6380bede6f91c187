// POST /api/v1/analyze and `resultant analyze`: several analyses over the last N days in one call
// (docs/http-api.md; /openapi.json), answered as one object keyed by analysis type. The body is checked with zod; every problem
// is reported with its path (e.g. "filter.region", "analysis_types.1").
import { z } from 'zod';
import { AppError, type BodyError, checkBody } from '../errors.js';
import { TagFilterBody, tagFiltersOf } from '../model/filters.js';
import { checkMetricName, checkTagKey, RESERVED_FIELDS } from '../model/result.js';
import { DAY_MS } from '../time/buckets.js';
import { isValidTimeZone } from '../time/zone.js';
import { ANALYSES, availableKinds, runAnalysis } from './index.js';
import {
  ANALYSIS_KINDS,
  type AnalysisContext,
  type AnalysisKind,
  type AnalysisRequest,
  type AnalysisResponses,
  MAX_ANALYSIS_DAYS,
} from './types.js';

export { MAX_ANALYSIS_DAYS } from './types.js';

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);

export const AnalyzeBody = z
  .object({
    filter: TagFilterBody,
    days: z.number({ message: 'must be a number of days' }).positive().max(MAX_ANALYSIS_DAYS).default(30),
    analysis_types: z
      .array(z.enum(ANALYSIS_KINDS, { message: `must be one of ${ANALYSIS_KINDS.join(', ')}` }))
      .min(1)
      .max(ANALYSIS_KINDS.length)
      .optional(),
    group_by: z
      .array(z.string())
      .max(8)
      .superRefine((keys, ctx) => {
        keys.forEach((k, i) => {
          const problem = checkTagKey(k);
          if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
        });
      })
      .optional(),
    metric: z
      .string()
      .superRefine((m, ctx) => {
        const problem =
          checkMetricName(m) ??
          (RESERVED_FIELDS.has(m) && m !== 'latency_ms'
            ? `"${m}" is not a numeric metric; use latency_ms or the name of a numeric field`
            : null);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    tz: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').optional(),
    /** Kind-specific parameters per type, e.g. {"regressions": {"recent_hours": 12}}. */
    options: z.partialRecord(z.enum(ANALYSIS_KINDS), z.record(z.string(), scalar)).optional(),
  })
  .strict();

export type AnalyzeBody = z.input<typeof AnalyzeBody>;

/** The 400's words for an analyze body with problems (`errors` lists every one with its path). */
export const analyzeRefusal = ([first]: BodyError[]): string =>
  `${first!.path ? `body field "${first!.path}"` : 'the body'}: ${first!.message}`;

/** Parses an analyze body; a 400 whose `errors` list every problem with its path. */
export const parseAnalyzeBody = (body: unknown): z.output<typeof AnalyzeBody> =>
  checkBody(AnalyzeBody, body, analyzeRefusal);

/**
 * The analyses a body asks for: its analysis_types, or every one this build has, leaving out comparison unless
 * its dimension is given (comparison cannot run without one, and a default must not make the call fail).
 */
export function requestedKinds(body: Pick<z.output<typeof AnalyzeBody>, 'analysis_types' | 'options'>): AnalysisKind[] {
  if (body.analysis_types) return [...new Set(body.analysis_types)];
  const dimension = body.options?.comparison?.dimension;
  return availableKinds().filter(
    (k) => k !== 'comparison' || (dimension !== undefined && String(dimension).trim() !== ''),
  );
}

/** The answer of POST /api/v1/analyze: each requested analysis's answer under its kind, in the order asked. */
export type AnalyzeResult = { [K in AnalysisKind]?: AnalysisResponses[K] };

/** Sets the answer of one kind (typed by the kind). */
export function putResult<K extends AnalysisKind>(
  out: AnalyzeResult,
  kind: K,
  res: AnalysisResponses[K] | undefined,
): void {
  out[kind] = res;
}

/** Runs every requested analysis (see requestedKinds) over the last `days` days. */
export async function analyze(
  ctx: AnalysisContext,
  body: z.output<typeof AnalyzeBody>,
  defaults: { tz: string },
  onProgress?: (kind: AnalysisKind, done: number, total: number) => void,
): Promise<AnalyzeResult> {
  const kinds = requestedKinds(body);
  const missing = kinds.filter((k) => !ANALYSES[k]);
  if (missing.length) {
    throw new AppError(
      'not found',
      `analysis ${missing.map((k) => `"${k}"`).join(', ')} is not available in this build; available: ${availableKinds().join(', ')}`,
    );
  }
  const filters = tagFiltersOf(body.filter);
  const stop = ctx.now;
  const out: AnalyzeResult = {};
  for (const [i, kind] of kinds.entries()) {
    onProgress?.(kind, i, kinds.length);
    const req: AnalysisRequest = {
      start: stop - body.days * DAY_MS,
      stop,
      filters,
      groupBy: body.group_by ?? [],
      metric: body.metric ?? 'latency_ms',
      tz: body.tz ?? defaults.tz,
      options: Object.fromEntries(Object.entries(body.options?.[kind] ?? {}).map(([k, v]) => [k, String(v)])),
    };
    putResult(out, kind, await runAnalysis(kind, ctx, req));
  }
  return out;
}
