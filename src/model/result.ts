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

/** A column most of whose rows have no value (errors, metrics): the rows that have one, ascending, and their values. */
export class SparseColumn<T> {
  readonly rows: number[] = [];
  readonly values: T[] = [];

  /** Sets row `row`, which must come after every row set so far. */
  add(row: number, value: T): void {
    this.rows.push(row);
    this.values.push(value);
  }

  /** The index in `rows` of the first row at or after `row` (`rows.length` when there is none). */
  indexFrom(row: number): number {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]! < row) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The value of row `row`, or null. */
  at(row: number): T | null {
    const k = this.indexFrom(row);
    return this.rows[k] === row ? this.values[k]! : null;
  }

  /** Appends `other`'s rows (a column, or one as it crossed threads), shifted by `offset` rows. */
  appendFrom(other: { readonly rows: readonly number[]; readonly values: readonly T[] }, offset: number): void {
    for (let k = 0; k < other.rows.length; k++) this.add(other.rows[k]! + offset, other.values[k]!);
  }
}

/** One test result of a batch, as a plain object (tests, the InfluxDB store's lines). */
export interface ResultRow {
  series: SeriesRef;
  time: number;
  success: boolean;
  latency: number | null;
  metrics: Record<string, number> | null;
  error: string | null;
  errorType: string | null;
  fingerprint: string | null;
}

/**
 * The test results of a batch, column by column in typed arrays (grown by doubling), so that a write's rows move
 * between threads and into DuckDB's vectors as whole arrays, without an object or a boxed number per row. The
 * accessors return views of the first `length` rows.
 */
export class ResultColumns {
  length = 0;
  private seriesCol: Int32Array = new Int32Array(0);
  private timeCol: Float64Array = new Float64Array(0);
  private successCol: Uint8Array = new Uint8Array(0);
  private latencyCol: Float64Array = new Float64Array(0);
  readonly metrics = new SparseColumn<Record<string, number>>();
  readonly error = new SparseColumn<string>();
  readonly errorType = new SparseColumn<string>();
  /** Fingerprint of each failed result's error (model/fingerprint.ts); exactly the failed rows have one. */
  readonly fingerprint = new SparseColumn<string>();

  /** Per row, the index of its series in the batch's `series`. */
  get seriesIndex(): Int32Array {
    return this.seriesCol.subarray(0, this.length);
  }
  /** Epoch microseconds. */
  get time(): Float64Array {
    return this.timeCol.subarray(0, this.length);
  }
  /** 1 for success, 0 for failure. */
  get success(): Uint8Array {
    return this.successCol.subarray(0, this.length);
  }
  /** Milliseconds; NaN where the result has no latency. */
  get latency(): Float64Array {
    return this.latencyCol.subarray(0, this.length);
  }

  /** Room for `extra` more rows. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.timeCol.length) return;
    const cap = Math.max(need, this.timeCol.length * 2, 64);
    const grow = <A extends Int32Array | Float64Array | Uint8Array>(a: A, make: (n: number) => A): A => {
      const b = make(cap);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.seriesCol = grow(this.seriesCol, (n) => new Int32Array(n));
    this.timeCol = grow(this.timeCol, (n) => new Float64Array(n));
    this.successCol = grow(this.successCol, (n) => new Uint8Array(n));
    this.latencyCol = grow(this.latencyCol, (n) => new Float64Array(n));
  }

  /** Appends a row; `latency` NaN for none. Returns its index. */
  push(series: number, time: number, success: boolean, latency: number): number {
    if (this.length === this.timeCol.length) this.reserve(1);
    const i = this.length++;
    this.seriesCol[i] = series;
    this.timeCol[i] = time;
    this.successCol[i] = success ? 1 : 0;
    this.latencyCol[i] = latency;
    return i;
  }

  /** Rows from whole typed columns (taken over, not copied), as the parse workers send them. */
  static of(cols: {
    series: Int32Array;
    time: Float64Array;
    success: Uint8Array;
    latency: Float64Array;
  }): ResultColumns {
    const r = new ResultColumns();
    r.seriesCol = cols.series;
    r.timeCol = cols.time;
    r.successCol = cols.success;
    r.latencyCol = cols.latency;
    r.length = cols.time.length;
    return r;
  }
}

/**
 * The rows of one write, column by column: what ingest produces and a store consumes. Result row i belongs to
 * `series[results.seriesIndex[i]]`; breaker events keep one SeriesRef per row (they are few).
 */
export class WriteBatch {
  /** The distinct series of the batch's results (shared SeriesRef objects). */
  readonly series: SeriesRef[] = [];
  private readonly indexOf = new Map<SeriesRef, number>();
  /** What each fingerprint of the batch stands for. */
  readonly failureKinds = new Map<string, FailureKind>();
  readonly breakers = {
    series: [] as SeriesRef[],
    time: [] as number[],
    state: [] as BreakerState[],
    failures: [] as (number | null)[],
  };

  get size(): number {
    return this.results.length + this.breakers.time.length;
  }

  /** A batch of `results` whose rows refer to `series` by index (taken over, not copied). */
  static of(series: SeriesRef[], results: ResultColumns): WriteBatch {
    const b = new WriteBatch(results);
    // Positions are kept as given (the rows' indexes); a series listed twice is found at its first.
    for (const s of series) {
      if (!b.indexOf.has(s)) b.indexOf.set(s, b.series.length);
      b.series.push(s);
    }
    return b;
  }

  constructor(readonly results: ResultColumns = new ResultColumns()) {}

  /** The index of `series` among the batch's series, added if new. */
  seriesIndexOf(series: SeriesRef): number {
    let i = this.indexOf.get(series);
    if (i === undefined) {
      i = this.series.length;
      this.series.push(series);
      this.indexOf.set(series, i);
    }
    return i;
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
    const i = r.push(this.seriesIndexOf(series), time, success, latency ?? NaN);
    if (metrics !== null) r.metrics.add(i, metrics);
    if (error !== null) r.error.add(i, error);
    if (errorType !== null) r.errorType.add(i, errorType);
    if (!success) {
      const kind = failureKindOf(errorType, error);
      r.fingerprint.add(i, kind.fingerprint);
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

  /** Result row `i` as a plain object. */
  resultAt(i: number): ResultRow {
    const r = this.results;
    const latency = r.latency[i]!;
    return {
      series: this.series[r.seriesIndex[i]!]!,
      time: r.time[i]!,
      success: r.success[i] === 1,
      latency: Number.isNaN(latency) ? null : latency,
      metrics: r.metrics.at(i),
      error: r.error.at(i),
      errorType: r.errorType.at(i),
      fingerprint: r.fingerprint.at(i),
    };
  }

  /** Every result row as a plain object. */
  resultRows(): ResultRow[] {
    return Array.from({ length: this.results.length }, (_, i) => this.resultAt(i));
  }

  /** The results column by column as plain arrays (tests). */
  toArrays(): { [K in keyof ResultRow]: ResultRow[K][] } {
    const rows = this.resultRows();
    const col = <K extends keyof ResultRow>(k: K) => rows.map((r) => r[k]);
    return {
      series: col('series'),
      time: col('time'),
      success: col('success'),
      latency: col('latency'),
      metrics: col('metrics'),
      error: col('error'),
      errorType: col('errorType'),
      fingerprint: col('fingerprint'),
    };
  }

  /** Appends all rows of `other` (used to group several requests into one commit). */
  append(other: WriteBatch): void {
    const a = this.results;
    const o = other.results;
    const offset = a.length;
    const n = o.length;
    const map = Int32Array.from(other.series, (s) => this.seriesIndexOf(s));
    a.reserve(n);
    const series = o.seriesIndex;
    const time = o.time;
    const success = o.success;
    const latency = o.latency;
    for (let i = 0; i < n; i++) a.push(map[series[i]!]!, time[i]!, success[i] === 1, latency[i]!);
    a.metrics.appendFrom(o.metrics, offset);
    a.error.appendFrom(o.error, offset);
    a.errorType.appendFrom(o.errorType, offset);
    a.fingerprint.appendFrom(o.fingerprint, offset);
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
