// The data model (docs/data-model.md): test results and circuit-breaker transitions, their tag and field rules,
// and the columnar batch that ingest hands to a store. No I/O here.
import { formatMicros } from '../time/parse.js';
import { type FailureKind, failureKindOf } from './fingerprint.js';

export type Tags = Record<string, string>;

export const MEASUREMENTS = ['test_result', 'circuit_breaker'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export const WELL_KNOWN_TAGS = ['test', 'type', 'endpoint', 'region', 'worker', 'hardware', 'model', 'branch'];
export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

/** Fields of test_result with a fixed meaning; every other numeric field is a metric. */
export const RESERVED_FIELDS = new Set(['success', 'latency_ms', 'error', 'error_type']);

export const MAX_KEY_LENGTH = 256;
export const MAX_TAG_VALUE_LENGTH = 1024;
export const MAX_STRING_FIELD_LENGTH = 65_536;
export const MAX_TAGS = 64;
export const MAX_METRICS = 256;

/** Earliest and latest accepted timestamps (µs): 1970 up to the end of nanosecond int64 range. */
export const MIN_TIME_US = 0;
/**
 * The latest time accepted: the largest microsecond count a JavaScript number holds exactly (2255-06-05T23:47:34.740991Z).
 * Later ones (InfluxDB's int64 nanoseconds reach 2262-04-11) would be rounded on their way to the store and back,
 * and fall outside the ranges they were written into.
 */
export const MAX_TIME_US = Number.MAX_SAFE_INTEGER;

/** A test result as the JSON API shows it (docs/data-model.md). `time` is epoch microseconds here. */
export interface TestResult {
  time: number;
  success: boolean;
  latency_ms: number | null;
  metrics: Record<string, number> | null;
  error: string | null;
  error_type: string | null;
  tags: Tags;
}

export interface BreakerEvent {
  time: number;
  state: BreakerState;
  failures: number | null;
  tags: Tags;
}

/** A series: measurement plus its full tag set. `key` is canonical (tags sorted) and identifies it. */
export interface SeriesRef {
  key: string;
  measurement: Measurement;
  tags: Tags;
}

export function seriesKey(measurement: Measurement, tags: Tags): string {
  const keys = Object.keys(tags).sort();
  const parts: string[] = [measurement];
  for (const k of keys) parts.push(k, tags[k]!);
  return JSON.stringify(parts);
}

export function makeSeries(measurement: Measurement, tags: Tags): SeriesRef {
  const sorted: Tags = {};
  for (const k of Object.keys(tags).sort()) sorted[k] = tags[k]!;
  return { key: seriesKey(measurement, sorted), measurement, tags: sorted };
}

// Control characters would corrupt logs, CSV exports and Grafana labels.
// eslint-disable-next-line no-control-regex
// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters on purpose
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a tag key is not allowed, or null. */
export function checkTagKey(key: string): string | null {
  if (key.length === 0) return 'tag key must not be empty';
  if (key.startsWith('_')) return `tag key "${key}" starts with "_", which is reserved`;
  if (key.length > MAX_KEY_LENGTH) return `tag key is longer than ${MAX_KEY_LENGTH} characters`;
  if (CONTROL.test(key)) return `tag key "${printable(key)}" contains a control character`;
  return null;
}

export function checkTagValue(key: string, value: string): string | null {
  if (value.length === 0) return `tag "${key}" has an empty value`;
  if (value.length > MAX_TAG_VALUE_LENGTH) return `tag "${key}" is longer than ${MAX_TAG_VALUE_LENGTH} characters`;
  if (CONTROL.test(value)) return `tag "${key}" contains a control character`;
  return null;
}

// A message may span lines (stack traces): tab, line feed and carriage return are kept there, and only there.
// eslint-disable-next-line no-control-regex
// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters on purpose
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Why an `error` or `error_type` value is not allowed, or null: no control characters (a message may hold tabs and line breaks). */
export function checkErrorText(field: 'error' | 'error_type', value: string): string | null {
  if ((field === 'error' ? CONTROL_IN_TEXT : CONTROL).test(value)) {
    return field === 'error'
      ? 'field "error" contains a control character (only tab, line feed and carriage return are allowed)'
      : 'field "error_type" contains a control character';
  }
  return null;
}

export function checkMetricName(name: string): string | null {
  if (name.length === 0) return 'field key must not be empty';
  if (name.startsWith('_')) return `field "${name}" starts with "_", which is reserved`;
  if (name.length > MAX_KEY_LENGTH) return `field key is longer than ${MAX_KEY_LENGTH} characters`;
  if (CONTROL.test(name)) return `field "${printable(name)}" contains a control character`;
  return null;
}

export function checkTime(us: number): string | null {
  if (!Number.isFinite(us)) return 'timestamp is not a number';
  if (us < MIN_TIME_US) return 'timestamp is before 1970-01-01T00:00:00Z, which is not supported';
  if (us > MAX_TIME_US) return 'timestamp is after 2255-06-05T23:47:34.740991Z, which is not supported';
  return null;
}

/** Points older than the raw retention would be deleted at once and could corrupt rollups of their day. */
export function checkRetention(us: number, minUs: number | undefined): string | null {
  if (minUs === undefined || us >= minUs) return null;
  return `timestamp ${formatMicros(us)} is older than the raw retention allows (points before ${formatMicros(minUs)} are not kept)`;
}

export function printable(s: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters on purpose
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

/**
 * The rows of one write, column by column: what ingest produces and a store consumes. Row i of `results`
 * belongs to `results.series[i]` (a shared SeriesRef object).
 */
export class WriteBatch {
  readonly results = {
    series: [] as SeriesRef[],
    time: [] as number[],
    success: [] as boolean[],
    latency: [] as (number | null)[],
    metrics: [] as (Record<string, number> | null)[],
    error: [] as (string | null)[],
    errorType: [] as (string | null)[],
    /** Fingerprint of a failed result's error (model/fingerprint.ts), null for a success. */
    fingerprint: [] as (string | null)[],
  };
  /** What each fingerprint of the batch stands for. */
  readonly failureKinds = new Map<string, FailureKind>();
  readonly breakers = {
    series: [] as SeriesRef[],
    time: [] as number[],
    state: [] as BreakerState[],
    failures: [] as (number | null)[],
  };

  get size(): number {
    return this.results.time.length + this.breakers.time.length;
  }

  addResult(
    series: SeriesRef,
    time: number,
    success: boolean,
    latency: number | null,
    metrics: Record<string, number> | null,
    error: string | null,
    errorType: string | null,
  ): void {
    const r = this.results;
    r.series.push(series);
    r.time.push(time);
    r.success.push(success);
    r.latency.push(latency);
    r.metrics.push(metrics);
    r.error.push(error);
    r.errorType.push(errorType);
    if (success) r.fingerprint.push(null);
    else {
      const kind = failureKindOf(errorType, error);
      r.fingerprint.push(kind.fingerprint);
      if (!this.failureKinds.has(kind.fingerprint)) this.failureKinds.set(kind.fingerprint, kind);
    }
  }

  addBreaker(series: SeriesRef, time: number, state: BreakerState, failures: number | null): void {
    const b = this.breakers;
    b.series.push(series);
    b.time.push(time);
    b.state.push(state);
    b.failures.push(failures);
  }

  /** Appends all rows of `other` (used to group several requests into one commit). */
  append(other: WriteBatch): void {
    const a = this.results;
    const o = other.results;
    for (let i = 0; i < o.time.length; i++) {
      a.series.push(o.series[i]!);
      a.time.push(o.time[i]!);
      a.success.push(o.success[i]!);
      a.latency.push(o.latency[i]!);
      a.metrics.push(o.metrics[i]!);
      a.error.push(o.error[i]!);
      a.errorType.push(o.errorType[i]!);
      a.fingerprint.push(o.fingerprint[i]!);
    }
    for (const [fp, kind] of other.failureKinds) if (!this.failureKinds.has(fp)) this.failureKinds.set(fp, kind);
    const b = this.breakers;
    const ob = other.breakers;
    for (let i = 0; i < ob.time.length; i++) {
      b.series.push(ob.series[i]!);
      b.time.push(ob.time[i]!);
      b.state.push(ob.state[i]!);
      b.failures.push(ob.failures[i]!);
    }
  }

  /** Smallest timestamp (µs) in the batch, or Infinity when empty. */
  minTime(): number {
    let m = Infinity;
    for (const t of this.results.time) if (t < m) m = t;
    for (const t of this.breakers.time) if (t < m) m = t;
    return m;
  }
}
