// Line protocol read straight from the request's bytes: the common line — a test_result of a series already seen,
// unescaped field keys, decimal numbers, booleans, quoted strings without escapes, a timestamp — is decoded
// without turning the body into a string or building an object per field (the whole-string path cost a UTF-8
// decoding of the body and about ten objects per line). Every other line, and any line this path has a doubt
// about, goes to the complete parser (line-protocol.ts, validate.ts) as text, so the outcome — the rows, and for
// a bad line its message — is the same as that parser's for every body (line-bytes.test.ts compares them).
import { isAscii } from 'node:buffer';
import { AppError } from '../errors.js';
import { checkErrorText, checkMetricName, MAX_METRICS, MAX_STRING_FIELD_LENGTH, MAX_TIME_US } from '../model/result.js';
import { MAX_LINE_FIELDS, type Precision } from './line-protocol.js';
import { type DecodeOutcome, decodeLineProtocol, type IngestRules, LineDecoder, type SeriesCache } from './validate.js';

const NEWLINE = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const COMMA = 44;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;
const MINUS = 45;
const DOT = 46;

/** Exact powers of ten (every one up to 1e22 is a double exactly). */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** For a slice after the first: a byte-order mark there is part of a line, not the start of the body. */
const utf8KeepBom = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface BytesOptions {
  precision: Precision;
  nowUs: number;
  minTimeUs?: number;
  /** Line number of the body's first line, when it is a slice of a larger body (default 1). */
  firstLine?: number;
}

/**
 * UTF-8 bytes -> validated batch. A body that is not all ASCII is decoded to text and parsed whole (its strings
 * need decoding anyway); invalid UTF-8 is refused as a whole (`invalid`).
 */
export function decodeLineBytes(
  bytes: Uint8Array,
  opts: BytesOptions,
  cache: SeriesCache,
  rules: IngestRules,
  /** Counts the lines decoded here (`bytes`) and by the complete parser (`text`), when given. */
  stats?: { bytes: number; text: number },
): DecodeOutcome {
  const firstLine = opts.firstLine ?? 1;
  if (!isAscii(bytes)) {
    let text: string;
    try {
      text = (firstLine > 1 ? utf8KeepBom : utf8).decode(bytes);
    } catch {
      throw new AppError('invalid', 'the request body is not valid UTF-8');
    }
    return decodeLineProtocol(text, { ...opts, cache, rules });
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const d = new LineDecoder(opts, cache, rules);
  const n = b.length;
  let lineNo = firstLine - 1;
  let pos = 0;
  while (pos <= n) {
    let end = b.indexOf(NEWLINE, pos);
    if (end === -1) end = n;
    lineNo++;
    let s = pos;
    let e = end;
    if (e > s && b[e - 1] === CR) e--;
    while (s < e && (b[s] === SPACE || b[s] === TAB)) s++;
    if (s < e && b[s] !== HASH) {
      if (fastLine(d, b, s, e)) {
        if (stats) stats.bytes++;
      } else {
        if (stats) stats.text++;
        if (!d.line(b.toString('latin1', s, e), lineNo)) break;
      }
    }
    pos = end + 1;
  }
  return d.outcome();
}

/** The reserved fields of test_result, by their key's bytes. */
enum Key {
  Metric = 0,
  Success = 1,
  Latency = 2,
  Error = 3,
  ErrorType = 4,
}

function same(b: Buffer, s: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word.charCodeAt(k)) return false;
  return true;
}

function keyOf(b: Buffer, s: number, len: number): Key {
  if (len === 7 && same(b, s, 'success')) return Key.Success;
  if (len === 10) {
    if (same(b, s, 'latency_ms')) return Key.Latency;
    if (same(b, s, 'error_type')) return Key.ErrorType;
  }
  if (len === 5 && same(b, s, 'error')) return Key.Error;
  return Key.Metric;
}

/** true / false spelled as line protocol allows; -1 for anything else. */
function booleanOf(b: Buffer, s: number, e: number): 0 | 1 | -1 {
  const len = e - s;
  const c = b[s];
  if (len === 1) return c === 116 || c === 84 ? 1 : c === 102 || c === 70 ? 0 : -1;
  if (len === 4 && (same(b, s, 'true') || same(b, s, 'True') || same(b, s, 'TRUE'))) return 1;
  if (len === 5 && (same(b, s, 'false') || same(b, s, 'False') || same(b, s, 'FALSE'))) return 0;
  return -1;
}

/**
 * A decimal number of at most 15 significant digits with no exponent (`-12.5`, `.5`, `7`), or an integer of at
 * most 15 digits with its `i` suffix; NaN for anything else (the complete parser decides those). The integer of the
 * digits and the power of ten are both exact doubles, so their quotient is the correctly rounded value, as
 * Number() gives.
 */
function numberOf(b: Buffer, s: number, e: number): number {
  let i = s;
  const negative = b[i] === MINUS;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (dot) fraction++;
    } else if (c === DOT && !dot) dot = true;
    else if (c === 105 /* i */ && i === e - 1 && !dot) break;
    else return NaN;
  }
  if (digits === 0 || digits > 15) return NaN;
  const v = fraction === 0 ? m : m / POW10[fraction]!;
  return negative ? -v : v;
}

/** Timestamp digits in `precision` as epoch microseconds, as timestampToMicros gives; NaN past 2^53. */
function microsOf(b: Buffer, s: number, e: number, precision: Precision): number {
  // Nanoseconds are truncated to microseconds: their last three digits are dropped.
  const stop = precision === 'ns' ? e - 3 : e;
  let v = 0;
  for (let i = s; i < stop; i++) {
    v = v * 10 + (b[i]! - 48);
    if (v > Number.MAX_SAFE_INTEGER) return NaN;
  }
  switch (precision) {
    case 'ns':
    case 'us':
      return v;
    case 'ms':
      return v * 1e3;
    case 's':
      return v * 1e6;
    case 'm':
      return v * 6e7;
    case 'h':
      return v * 3.6e9;
  }
}

/**
 * Decodes the line `b[s..e)` when it has the common form (see the file comment) and adds its result; false, having
 * added nothing, when the complete parser must read it.
 */
function fastLine(d: LineDecoder, b: Buffer, s: number, e: number): boolean {
  let i = s;
  for (; i < e; i++) {
    const c = b[i];
    if (c === SPACE) break;
    if (c === BACKSLASH) return false;
  }
  if (i === e) return false;
  const series = d.cache.get(b.toString('latin1', s, i));
  if (series === undefined || series.measurement !== 'test_result') return false;
  while (i < e && b[i] === SPACE) i++;
  if (i === e) return false;
  let success = -1;
  let latency = NaN;
  let error: string | null = null;
  let errorType: string | null = null;
  let metrics: Record<string, number> | null = null;
  let metricCount = 0;
  let fieldCount = 0;
  let seen = 0;
  for (;;) {
    if (++fieldCount > MAX_LINE_FIELDS) return false;
    const ks = i;
    for (; i < e; i++) {
      const c = b[i];
      if (c === EQUALS) break;
      if (c === COMMA || c === SPACE || c === BACKSLASH) return false;
    }
    if (i === e || i === ks) return false;
    const key = keyOf(b, ks, i - ks);
    const ke = i;
    i++;
    if (i === e) return false;
    if (key !== Key.Metric) {
      if (seen & (1 << key)) return false;
      seen |= 1 << key;
    }
    if (b[i] === QUOTE) {
      if (key !== Key.Error && key !== Key.ErrorType) return false;
      const vs = ++i;
      for (; i < e; i++) {
        const c = b[i];
        if (c === QUOTE) break;
        if (c === BACKSLASH) return false;
      }
      if (i === e || i - vs > MAX_STRING_FIELD_LENGTH) return false;
      const text = b.toString('latin1', vs, i);
      i++;
      if (key === Key.Error) {
        if (checkErrorText('error', text) !== null) return false;
        error = text;
      } else {
        if (checkErrorText('error_type', text) !== null) return false;
        errorType = text;
      }
    } else {
      const vs = i;
      for (; i < e; i++) {
        const c = b[i];
        if (c === COMMA || c === SPACE) break;
      }
      if (key === Key.Success) {
        success = booleanOf(b, vs, i);
        if (success === -1) return false;
      } else if (key === Key.Latency) {
        latency = numberOf(b, vs, i);
        if (!(latency >= 0)) return false;
      } else if (key === Key.Metric) {
        const v = numberOf(b, vs, i);
        if (Number.isNaN(v)) return false;
        const name = b.toString('latin1', ks, ke);
        if (checkMetricName(name) !== null || ++metricCount > MAX_METRICS) return false;
        metrics ??= {};
        if (Object.hasOwn(metrics, name)) return false;
        metrics[name] = v;
      } else return false;
    }
    if (i < e && b[i] === COMMA) {
      i++;
      if (i === e || b[i] === SPACE) return false;
      continue;
    }
    break;
  }
  if (success === -1) return false;
  let time: number;
  // What follows the fields: nothing, or spaces, the timestamp's digits and spaces.
  while (i < e && b[i] === SPACE) i++;
  const ts = i;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c === SPACE) break;
    if (c < 48 || c > 57) return false;
  }
  const digits = i - ts;
  while (i < e && b[i] === SPACE) i++;
  if (i < e || digits > 19) return false;
  if (digits === 0) time = d.opts.nowUs + d.untimed;
  else {
    time = microsOf(b, ts, ts + digits, d.opts.precision);
    const min = d.opts.minTimeUs;
    if (!(time <= MAX_TIME_US) || (min !== undefined && time < min)) return false;
  }
  if (digits === 0) d.untimed++;
  d.batch.addResult(series, time, success === 1, Number.isNaN(latency) ? null : latency, metrics, error, errorType);
  return true;
}
