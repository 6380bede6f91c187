// Line protocol points -> our schema (README: Writes): test_result and circuit_breaker, with every rule checked
// before anything is written. The first bad line stops the request.
import {
  BREAKER_STATES,
  type BreakerState,
  checkErrorText,
  checkMetricName,
  checkTagKey,
  checkTagValue,
  checkRetention,
  checkTime,
  MAX_METRICS,
  MAX_STRING_FIELD_LENGTH,
  MAX_TAGS,
  makeSeries,
  type Measurement,
  MEASUREMENTS,
  type SeriesRef,
  type Tags,
  WriteBatch,
} from '../model/result.js';
import { ownCopy } from '../model/own-copy.js';
import {
  type FieldValue,
  forEachLine,
  parseLine,
  type Precision,
  seriesLength,
  timestampToMicros,
} from './line-protocol.js';

/** `untimed`: points of the body stamped with the time of receipt (a later slice of the body goes on from there). */
export type DecodeOutcome = { ok: true; batch: WriteBatch; untimed: number } | { ok: false; line: number; message: string };

/**
 * Remembers validated series by their raw line-protocol text, so repeated series skip tag parsing checks.
 * Bounded: it is cleared when it grows past `max` entries.
 */
export class SeriesCache {
  private readonly byText = new Map<string, SeriesRef>();
  private readonly byKey = new Map<string, SeriesRef>();
  constructor(private readonly max = 50_000) {}

  get(text: string): SeriesRef | undefined {
    return this.byText.get(text);
  }

  /** Returns the shared SeriesRef for this series, so equal series in a batch are the same object. */
  put(text: string, s: SeriesRef): SeriesRef {
    if (this.byText.size >= this.max) {
      this.byText.clear();
      this.byKey.clear();
    }
    // Copies: `text` and the tags are views of the request body, which a cache entry must not keep alive.
    let shared = this.byKey.get(s.key);
    if (!shared) {
      const tags: Tags = {};
      for (const [k, v] of Object.entries(s.tags)) tags[ownCopy(k)] = ownCopy(v);
      shared = { key: ownCopy(s.key), measurement: ownCopy(s.measurement) as Measurement, tags };
      this.byKey.set(shared.key, shared);
    }
    this.byText.set(ownCopy(text), shared);
    return shared;
  }
}

class Invalid extends Error {}

/** Parses and validates a whole line-protocol body. `nowUs` stamps lines without a timestamp. */
export function decodeLineProtocol(
  body: string,
  opts: { precision: Precision; nowUs: number; minTimeUs?: number; cache?: SeriesCache; firstLine?: number },
): DecodeOutcome {
  const batch = new WriteBatch();
  const cache = opts.cache ?? new SeriesCache();
  let failure: { line: number; message: string } | null = null;
  let untimed = 0;
  forEachLine(body, (text, lineNo) => {
    const known = cache.get(text.slice(0, seriesLength(text)));
    const parsed = parseLine(text, lineNo, known !== undefined);
    if (!parsed.ok) {
      failure = { line: lineNo, message: parsed.message };
      return false;
    }
    const p = parsed.point;
    try {
      const series = known ?? cache.put(p.seriesText, toSeries(p.measurement, p.tags));
      // Untimed points get the time of receipt, a microsecond apart in request order, so that they never replace
      // each other (one result per series and timestamp).
      let time = opts.nowUs + untimed;
      if (p.timestamp === null) untimed++;
      else {
        time = timestampToMicros(p.timestamp, opts.precision);
        const bad = checkTime(time) ?? checkRetention(time, opts.minTimeUs);
        if (bad) throw new Invalid(bad);
      }
      if (series.measurement === 'test_result') addResult(batch, series, time, p.fields);
      else addBreaker(batch, series, time, p.fields);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      failure = { line: lineNo, message: e.message };
      return false;
    }
    return true;
  }, opts.firstLine);
  if (failure) {
    const f = failure as { line: number; message: string };
    return { ok: false, line: f.line, message: `line ${f.line}: ${f.message}` };
  }
  return { ok: true, batch, untimed };
}

function toSeries(measurement: string, pairs: [string, string][]): SeriesRef {
  if (!(MEASUREMENTS as readonly string[]).includes(measurement)) {
    throw new Invalid(
      `measurement "${measurement.slice(0, 60)}" is not accepted; the accepted measurements are ${MEASUREMENTS.join(' and ')}`,
    );
  }
  if (pairs.length > MAX_TAGS) throw new Invalid(`more than ${MAX_TAGS} tags`);
  const tags: Tags = {};
  for (const [k, v] of pairs) {
    const bad = checkTagKey(k) ?? checkTagValue(k, v);
    if (bad) throw new Invalid(bad);
    if (Object.hasOwn(tags, k)) throw new Invalid(`tag "${k}" appears more than once`);
    tags[k] = v;
  }
  if (measurement === 'circuit_breaker' && tags.breaker === undefined) {
    throw new Invalid('tag "breaker" is missing (circuit_breaker needs it)');
  }
  return makeSeries(measurement as Measurement, tags);
}

const isNumber = (v: FieldValue): v is FieldValue & { value: number } =>
  v.kind === 'float' || v.kind === 'integer' || v.kind === 'uinteger';

function addResult(batch: WriteBatch, series: SeriesRef, time: number, fields: [string, FieldValue][]): void {
  let success: boolean | null = null;
  let latency: number | null = null;
  let error: string | null = null;
  let errorType: string | null = null;
  let metrics: Record<string, number> | null = null;
  let nMetrics = 0;
  for (const [key, v] of fields) {
    switch (key) {
      case 'success':
        if (v.kind !== 'boolean') throw new Invalid('field "success" must be a boolean (true or false, unquoted)');
        success = v.value;
        break;
      case 'latency_ms':
        if (!isNumber(v)) throw new Invalid('field "latency_ms" must be a number');
        if (v.value < 0) throw new Invalid('field "latency_ms" must not be negative');
        latency = v.value;
        break;
      case 'error':
      case 'error_type':
        if (v.kind !== 'string') throw new Invalid(`field "${key}" must be a "quoted string"`);
        if (v.value.length > MAX_STRING_FIELD_LENGTH) {
          throw new Invalid(`field "${key}" is longer than ${MAX_STRING_FIELD_LENGTH} characters`);
        }
        {
          const bad = checkErrorText(key, v.value);
          if (bad) throw new Invalid(bad);
        }
        if (key === 'error') error = v.value;
        else errorType = v.value;
        break;
      default: {
        const bad = checkMetricName(key);
        if (bad) throw new Invalid(bad);
        if (v.kind === 'string') {
          throw new Invalid(`field "${key}" is a string; only "error" and "error_type" may be strings`);
        }
        if (v.kind === 'boolean') throw new Invalid(`field "${key}" is a boolean; only "success" may be one`);
        if (++nMetrics > MAX_METRICS) throw new Invalid(`more than ${MAX_METRICS} metric fields`);
        (metrics ??= {})[key] = v.value;
      }
    }
  }
  if (success === null) throw new Invalid('field "success" is missing');
  batch.addResult(series, time, success, latency, metrics, error, errorType);
}

function addBreaker(batch: WriteBatch, series: SeriesRef, time: number, fields: [string, FieldValue][]): void {
  let state: BreakerState | null = null;
  let failures: number | null = null;
  for (const [key, v] of fields) {
    if (key === 'state') {
      if (v.kind !== 'string' || !(BREAKER_STATES as readonly string[]).includes(v.value)) {
        throw new Invalid(`field "state" must be one of "closed", "open", "half_open"`);
      }
      state = v.value as BreakerState;
    } else if (key === 'failures') {
      if ((v.kind !== 'integer' && v.kind !== 'uinteger') || v.value < 0) {
        throw new Invalid('field "failures" must be a non-negative integer such as 3i');
      }
      failures = v.value;
    } else {
      throw new Invalid(`field "${key}" is not part of circuit_breaker (fields: state, failures)`);
    }
  }
  if (state === null) throw new Invalid('field "state" is missing');
  batch.addBreaker(series, time, state, failures);
}
