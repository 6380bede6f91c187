// Line protocol points -> our schema (docs/data-model.md): test_result and circuit_breaker, with every rule checked
// before anything is written, other measurements mapped onto test results (mapping.ts) or skipped, as the ingest
// rules say. The first bad line stops the request.

import { ownCopy } from '../model/own-copy.js';
import {
  BREAKER_STATES,
  type BreakerState,
  checkErrorText,
  checkMetricName,
  checkRetention,
  checkTagKey,
  checkTagValue,
  checkTime,
  MAX_METRICS,
  MAX_STRING_FIELD_LENGTH,
  MAX_TAGS,
  MEASUREMENTS,
  type Measurement,
  makeSeries,
  type SeriesRef,
  type Tags,
  WriteBatch,
} from '../model/result.js';
import {
  type FieldValue,
  forEachLine,
  type Precision,
  parseLine,
  seriesLength,
  timestampToMicros,
} from './line-protocol.js';
import { type CompiledMapping, type MappedSeries, mapFields, mapSeries, type UnknownMeasurements } from './mapping.js';

/** How measurements other than ours are treated: mapped onto test results, else skipped or refused. */
export interface IngestRules {
  mappings: ReadonlyMap<string, CompiledMapping>;
  unknown: UnknownMeasurements;
}

/** Without rules (tests, `resultant ingest` before its configuration): no mappings, and other measurements refused. */
export const STRICT_RULES: IngestRules = { mappings: new Map(), unknown: 'refuse' };

/** Skipped points' measurement names listed in an answer at most. */
export const MAX_SKIPPED_NAMES = 10;

/**
 * `untimed`: points of the body stamped with the time of receipt (a later slice of the body goes on from there).
 * `skipped`: points of unknown measurements left out (RESULTANT_UNKNOWN_MEASUREMENTS=skip), `skippedNames` the
 * first MAX_SKIPPED_NAMES distinct measurements among them.
 */
export type DecodeOutcome =
  | { ok: true; batch: WriteBatch; untimed: number; skipped: number; skippedNames: string[] }
  | { ok: false; line: number; message: string };

/** A series text of a measurement other than ours: mapped onto a test-result series, or skipped. */
type OtherSeries = { series: SeriesRef; mapped: MappedSeries } | { skip: string };

/**
 * Remembers validated series by their raw line-protocol text, so repeated series skip tag parsing checks.
 * Bounded: it is cleared when it grows past `max` entries.
 */
export class SeriesCache {
  private readonly byText = new Map<string, SeriesRef>();
  private readonly byKey = new Map<string, SeriesRef>();
  /** Series texts of other measurements; looked up only after `byText` misses, so test_result pays nothing. */
  private readonly others = new Map<string, OtherSeries>();
  constructor(private readonly max = 50_000) {}

  get(text: string): SeriesRef | undefined {
    return this.byText.get(text);
  }

  getOther(text: string): OtherSeries | undefined {
    return this.others.size === 0 ? undefined : this.others.get(text);
  }

  putOther(text: string, o: OtherSeries): OtherSeries {
    if (this.others.size >= this.max) this.others.clear();
    const own: OtherSeries =
      'skip' in o ? { skip: ownCopy(o.skip) } : ownMapped(this.put(text, o.series, false), o.mapped);
    this.others.set(ownCopy(text), own);
    return own;
  }

  /**
   * Returns the shared SeriesRef for this series, so equal series in a batch are the same object. `byText`: whether
   * the text itself names the series (not for a mapped measurement's text, whose series is a test_result's).
   */
  put(text: string, s: SeriesRef, byText = true): SeriesRef {
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
    if (byText) this.byText.set(ownCopy(text), shared);
    return shared;
  }
}

function ownMapped(series: SeriesRef, m: MappedSeries): OtherSeries {
  return {
    series,
    mapped: {
      mapping: m.mapping,
      tags: series.tags,
      errorTypes: m.errorTypes.map((e) => (e === null ? null : ownCopy(e))),
    },
  };
}

class Invalid extends Error {}

/** How a body's lines become results: the precision of their timestamps, the time of receipt, the oldest time kept. */
export interface LineOptions {
  precision: Precision;
  nowUs: number;
  minTimeUs?: number;
}

/**
 * Decodes the lines of one body (or slice of one) into a batch, one line at a time, and stops at the first bad
 * one. The bytes parser (line-bytes.ts) hands it the lines it does not decode itself.
 */
export class LineDecoder {
  readonly batch = new WriteBatch();
  /** Points stamped with the time of receipt so far (a microsecond apart, in request order). */
  untimed = 0;
  skipped = 0;
  readonly skippedNames: string[] = [];
  private failure: { line: number; message: string } | null = null;

  constructor(
    readonly opts: LineOptions,
    readonly cache: SeriesCache,
    readonly rules: IngestRules,
  ) {}

  /** One line, without its newline and leading blanks. False when it is bad (the outcome says why). */
  line(text: string, lineNo: number): boolean {
    const { cache, rules, opts, batch } = this;
    const head = text.slice(0, seriesLength(text));
    const known = cache.get(head);
    const other = known === undefined ? cache.getOther(head) : undefined;
    const parsed = parseLine(text, lineNo, known !== undefined || other !== undefined);
    if (!parsed.ok) {
      this.failure = { line: lineNo, message: parsed.message };
      return false;
    }
    const p = parsed.point;
    try {
      let series = known;
      let mapped: MappedSeries | null = null;
      if (series === undefined) {
        const o = other ?? otherSeries(p.seriesText, p.measurement, p.tags, rules, cache);
        if (o === null) series = cache.put(p.seriesText, toSeries(p.measurement, p.tags));
        else if ('skip' in o) {
          this.skipped++;
          if (this.skippedNames.length < MAX_SKIPPED_NAMES && !this.skippedNames.includes(o.skip)) {
            this.skippedNames.push(o.skip);
          }
          return true;
        } else {
          series = o.series;
          mapped = o.mapped;
        }
      }
      // Untimed points get the time of receipt, a microsecond apart in request order, so that they never replace
      // each other (one result per series and timestamp).
      let time = opts.nowUs + this.untimed;
      if (p.timestamp === null) this.untimed++;
      else {
        time = timestampToMicros(p.timestamp, opts.precision);
        const bad = checkTime(time) ?? checkRetention(time, opts.minTimeUs);
        if (bad) throw new Invalid(bad);
      }
      if (mapped !== null) addMapped(batch, series, mapped, time, p.fields);
      else if (series.measurement === 'test_result') addResult(batch, series, time, p.fields);
      else addBreaker(batch, series, time, p.fields);
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      this.failure = { line: lineNo, message: e.message };
      return false;
    }
    return true;
  }

  outcome(): DecodeOutcome {
    const f = this.failure;
    if (f) return { ok: false, line: f.line, message: `line ${f.line}: ${f.message}` };
    return {
      ok: true,
      batch: this.batch,
      untimed: this.untimed,
      skipped: this.skipped,
      skippedNames: this.skippedNames,
    };
  }
}

/** Parses and validates a whole line-protocol body. `nowUs` stamps lines without a timestamp. */
export function decodeLineProtocol(
  body: string,
  opts: LineOptions & { cache?: SeriesCache; firstLine?: number; rules?: IngestRules },
): DecodeOutcome {
  const d = new LineDecoder(opts, opts.cache ?? new SeriesCache(), opts.rules ?? STRICT_RULES);
  forEachLine(body, (text, lineNo) => d.line(text, lineNo), opts.firstLine);
  return d.outcome();
}

/**
 * The cached outcome for a series of a measurement other than ours (mapped or skipped), or null for ours. Refuses
 * an unknown measurement unless the rules skip them.
 */
function otherSeries(
  text: string,
  measurement: string,
  pairs: [string, string][],
  rules: IngestRules,
  cache: SeriesCache,
): OtherSeries | null {
  if ((MEASUREMENTS as readonly string[]).includes(measurement)) return null;
  const mapping = rules.mappings.get(measurement);
  if (mapping === undefined) {
    if (rules.unknown === 'skip') return cache.putOther(text, { skip: measurement.slice(0, 60) });
    const mapped = [...rules.mappings.keys()];
    throw new Invalid(
      `measurement "${measurement.slice(0, 60)}" is not accepted; the accepted measurements are ${MEASUREMENTS.join(' and ')}` +
        (mapped.length > 0 ? `, and the mapped ones ${mapped.join(', ')}` : ''),
    );
  }
  const source = checkedTags(pairs);
  const m = mapSeries(mapping, source);
  if (typeof m === 'string') throw new Invalid(m);
  return cache.putOther(text, { series: makeSeries('test_result', m.tags), mapped: m });
}

function addMapped(
  batch: WriteBatch,
  series: SeriesRef,
  mapped: MappedSeries,
  time: number,
  fields: [string, FieldValue][],
): void {
  const r = mapFields(mapped, fields);
  if (typeof r === 'string') throw new Invalid(r);
  batch.addResult(series, time, r.success, r.latency, r.metrics, null, r.errorType);
}

function checkedTags(pairs: [string, string][]): Tags {
  if (pairs.length > MAX_TAGS) throw new Invalid(`more than ${MAX_TAGS} tags`);
  const tags: Tags = {};
  for (const [k, v] of pairs) {
    const bad = checkTagKey(k) ?? checkTagValue(k, v);
    if (bad) throw new Invalid(bad);
    if (Object.hasOwn(tags, k)) throw new Invalid(`tag "${k}" appears more than once`);
    tags[k] = v;
  }
  return tags;
}

/** The series of a test_result or circuit_breaker point. */
function toSeries(measurement: string, pairs: [string, string][]): SeriesRef {
  const tags = checkedTags(pairs);
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
