// JSON results for POST /api/v1/results (docs/data-model.md): one object or an array of at most 10,000.
import { z } from 'zod';
import {
  checkErrorText,
  checkMetricName,
  checkRetention,
  checkTagKey,
  checkTagValue,
  checkTime,
  MAX_METRICS,
  MAX_STRING_FIELD_LENGTH,
  MAX_TAGS,
  makeSeries,
  RESERVED_FIELDS,
  type SeriesRef,
  WriteBatch,
} from '../model/result.js';
import { parseTimeValue } from '../time/parse.js';

export const MAX_JSON_RECORDS = 10_000;

export interface RecordError {
  index: number;
  path: string;
  message: string;
}

export type JsonOutcome = { ok: true; batch: WriteBatch } | { ok: false; message: string; errors: RecordError[] };

const nullableString = z
  .string()
  .max(MAX_STRING_FIELD_LENGTH, `must be at most ${MAX_STRING_FIELD_LENGTH} characters`)
  .nullish();

/** The JSON ingest object; the same shape GET /api/v1/results returns. */
export const TestResultInput = z
  .object({
    time: z.union([z.string(), z.number()]).nullish(),
    success: z.boolean({ message: 'is required and must be true or false' }),
    latency_ms: z.number({ message: 'must be a number' }).finite().min(0, 'must not be negative').nullish(),
    metrics: z.record(z.string(), z.number({ message: 'must be a number' }).finite()).nullish(),
    error: nullableString,
    error_type: nullableString,
    tags: z.record(z.string(), z.string({ message: 'must be a string' })).nullish(),
  })
  .strict();

export type TestResultInput = z.infer<typeof TestResultInput>;

/** Validates every record; returns the batch only when all are valid. */
export function decodeJsonResults(body: unknown, nowUs: number, minTimeUs?: number): JsonOutcome {
  const records = Array.isArray(body) ? body : [body];
  if (Array.isArray(body) && body.length === 0) {
    return { ok: false, message: 'the array is empty', errors: [] };
  }
  if (records.length > MAX_JSON_RECORDS) {
    return {
      ok: false,
      message: `at most ${MAX_JSON_RECORDS} records per request (got ${records.length})`,
      errors: [],
    };
  }
  const batch = new WriteBatch();
  const errors: RecordError[] = [];
  let untimed = 0;
  const seriesByKey = new Map<string, SeriesRef>();
  records.forEach((rec, index) => {
    if (errors.length >= 100) return;
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
      errors.push({ index, path: '', message: 'must be an object' });
      return;
    }
    const parsed = TestResultInput.safeParse(rec);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 5)) {
        const path = issue.path.map(String).join('.');
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; fields are time, success, latency_ms, metrics, error, error_type, tags`
            : issue.message;
        errors.push({ index, path, message });
      }
      return;
    }
    const r = parsed.data;
    const recErrors: RecordError[] = [];
    // "__proto__" is an own key of what JSON.parse made, but the checked copy loses it (assigning it sets a
    // prototype): look for it in the record as sent.
    for (const field of ['tags', 'metrics'] as const) {
      const sent: unknown = (rec as Record<string, unknown>)[field];
      if (sent !== null && typeof sent === 'object' && Object.hasOwn(sent, '__proto__')) {
        recErrors.push({
          index,
          path: `${field}.__proto__`,
          message: `"__proto__" is not allowed as a ${field === 'tags' ? 'tag key' : 'metric name'}`,
        });
      }
    }
    // Untimed results get the time of receipt, a microsecond apart in request order (see validate.ts).
    let time = nowUs + untimed;
    if (r.time === undefined || r.time === null) untimed++;
    else {
      const t = parseTimeValue(r.time);
      const bad =
        t === null
          ? 'must be an RFC 3339 timestamp or epoch milliseconds'
          : (checkTime(t) ?? checkRetention(t, minTimeUs));
      if (bad) recErrors.push({ index, path: 'time', message: bad });
      else time = t!;
    }
    const tags = r.tags ?? {};
    const tagKeys = Object.keys(tags);
    if (tagKeys.length > MAX_TAGS) recErrors.push({ index, path: 'tags', message: `more than ${MAX_TAGS} tags` });
    for (const k of tagKeys) {
      const bad = checkTagKey(k) ?? checkTagValue(k, tags[k]!);
      if (bad) recErrors.push({ index, path: `tags.${k}`, message: bad });
    }
    for (const field of ['error', 'error_type'] as const) {
      const text = r[field];
      const bad = text == null ? null : checkErrorText(field, text);
      if (bad) recErrors.push({ index, path: field, message: bad });
    }
    let metrics: Record<string, number> | null = null;
    if (r.metrics) {
      const names = Object.keys(r.metrics);
      if (names.length > MAX_METRICS) {
        recErrors.push({ index, path: 'metrics', message: `more than ${MAX_METRICS} metrics` });
      }
      for (const name of names) {
        const bad =
          checkMetricName(name) ?? (RESERVED_FIELDS.has(name) ? `"${name}" is a top-level field, not a metric` : null);
        if (bad) recErrors.push({ index, path: `metrics.${name}`, message: bad });
      }
      if (names.length > 0) metrics = r.metrics;
    }
    if (recErrors.length > 0) {
      errors.push(...recErrors);
      return;
    }
    const s = makeSeries('test_result', tags);
    const shared = seriesByKey.get(s.key) ?? s;
    seriesByKey.set(s.key, shared);
    batch.addResult(shared, time, r.success, r.latency_ms ?? null, metrics, r.error ?? null, r.error_type ?? null);
  });
  if (errors.length > 0) {
    const e = errors[0]!;
    return {
      ok: false,
      message: `record ${e.index}${e.path ? ` field "${e.path}"` : ''}: ${e.message}`,
      errors: errors.slice(0, 100),
    };
  }
  return { ok: true, batch };
}
