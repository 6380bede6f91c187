// InfluxDB line protocol: a complete parser for the syntax of
// https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/ (escaping in measurement, tag keys,
// tag values and field keys; quoted strings with \" and \\; i/u integers; floats with exponents; every boolean
// spelling; optional timestamps; blank lines, # comments and CRLF). It knows nothing of our schema: validate.ts
// turns parsed points into results. Errors are values: { ok: false, line, message }. Its cost is linear in the line.
import { MAX_TAGS } from '../model/result.js';

export type FieldValue =
  | { kind: 'float'; value: number }
  | { kind: 'integer'; value: number }
  | { kind: 'uinteger'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean };

export interface ParsedPoint {
  /** 1-based line number in the request body. */
  line: number;
  measurement: string;
  /** The raw measurement-and-tags text, a cheap cache key for the series. */
  seriesText: string;
  tags: [string, string][];
  fields: [string, FieldValue][];
  /** Timestamp digits as written (may be negative), or null when the line has none. */
  timestamp: string | null;
}

export type ParseOutcome = { ok: true; point: ParsedPoint } | { ok: false; line: number; message: string };

const BACKSLASH = 92;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const QUOTE = 34;
const HASH = 35;
const TAB = 9;
const CR = 13;

class LineError extends Error {}

/**
 * A line with more fields or tags than any valid point has is refused where the first one too many begins, so that
 * one wide line costs no more than a valid one (validate.ts applies the schema's own limits after).
 */
export const MAX_LINE_FIELDS = 256;
const MAX_LINE_TAGS = MAX_TAGS;
/** Up to this many fields, a duplicate is looked for by scanning; beyond, in a set (linear in the line). */
const SCAN_FIELDS = 16;

/**
 * Calls `onLine` for every non-blank, non-comment line of `body` with its 1-based number. Lines end at \n; a
 * trailing \r is dropped (CRLF). Line protocol has no newlines inside values, so a plain split is correct.
 * `firstLine` numbers a slice of a larger body as the body does. `onLine` returns `false` to stop; anything else
 * (nothing, typically) goes on.
 */
export function forEachLine(body: string, onLine: (text: string, lineNo: number) => unknown, firstLine = 1): void {
  let lineNo = firstLine - 1;
  let pos = 0;
  const n = body.length;
  while (pos <= n) {
    let end = body.indexOf('\n', pos);
    if (end === -1) end = n;
    lineNo++;
    let s = pos;
    let e = end;
    if (e > s && body.charCodeAt(e - 1) === CR) e--;
    while (s < e && (body.charCodeAt(s) === SPACE || body.charCodeAt(s) === TAB)) s++;
    if (s < e && body.charCodeAt(s) !== HASH) {
      if (onLine(body.slice(s, e), lineNo) === false) return;
    }
    pos = end + 1;
  }
}

/**
 * Length of the measurement-and-tags part of a line: up to the first unescaped space (or the whole line).
 * Cheap, so a caller can look a known series up before parsing its tags.
 */
export function seriesLength(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === SPACE) return i;
  }
  return n;
}

/**
 * Parses one line (already without its newline and leading blanks). With `knownSeries`, the caller has seen this
 * exact measurement-and-tags text before and validated it, so the tags are skipped and `tags` is empty.
 */
export function parseLine(text: string, lineNo: number, knownSeries = false): ParseOutcome {
  try {
    return { ok: true, point: parseLineOrThrow(text, lineNo, knownSeries) };
  } catch (e) {
    if (e instanceof LineError) return { ok: false, line: lineNo, message: e.message };
    throw e;
  }
}

function parseLineOrThrow(text: string, lineNo: number, knownSeries: boolean): ParsedPoint {
  const n = text.length;
  if (knownSeries) {
    const end = seriesLength(text);
    return parseFields(text, end, lineNo, text.slice(0, end), '', []);
  }
  let i = 0;
  // Measurement: ends at an unescaped comma or space.
  let esc = false;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < n) {
      esc = true;
      i += 2;
      continue;
    }
    if (c === COMMA || c === SPACE) break;
    i++;
  }
  if (i === 0) throw new LineError('missing measurement name');
  const measurement = esc ? unescapeName(text.slice(0, i), false) : text.slice(0, i);
  const tags: [string, string][] = [];
  if (i < n && text.charCodeAt(i) === COMMA) {
    i++;
    for (;;) {
      if (tags.length === MAX_LINE_TAGS) throw new LineError(`more than ${MAX_LINE_TAGS} tags`);
      // Tag key up to an unescaped '='.
      const ks = i;
      esc = false;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH && i + 1 < n) {
          esc = true;
          i += 2;
          continue;
        }
        if (c === EQUALS || c === COMMA || c === SPACE) break;
        i++;
      }
      if (i >= n || text.charCodeAt(i) !== EQUALS) {
        throw new LineError(
          i === ks
            ? 'empty tag key'
            : `tag "${text.slice(ks, i)}" has no "=value" (escape spaces, commas and "=" in tags with \\)`,
        );
      }
      if (i === ks) throw new LineError('empty tag key');
      const key = esc ? unescapeName(text.slice(ks, i), true) : text.slice(ks, i);
      i++;
      const vs = i;
      esc = false;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH && i + 1 < n) {
          esc = true;
          i += 2;
          continue;
        }
        if (c === COMMA || c === SPACE) break;
        if (c === EQUALS) throw new LineError(`tag "${key}" has an unescaped "=" in its value`);
        i++;
      }
      if (i === vs) throw new LineError(`tag "${key}" has an empty value`);
      tags.push([key, esc ? unescapeName(text.slice(vs, i), true) : text.slice(vs, i)]);
      if (i < n && text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      break;
    }
  }
  return parseFields(text, i, lineNo, text.slice(0, i), measurement, tags);
}

/** The field set and timestamp, from `i` (the space after the series). */
function parseFields(
  text: string,
  start: number,
  lineNo: number,
  seriesText: string,
  measurement: string,
  tags: [string, string][],
): ParsedPoint {
  const n = text.length;
  let i = start;
  let esc: boolean;
  if (i >= n) throw new LineError('missing fields (expected a space and then field=value)');
  // One or more spaces separate the series from the fields.
  while (i < n && text.charCodeAt(i) === SPACE) i++;
  if (i >= n) throw new LineError('missing fields (expected field=value after the space)');
  const fields: [string, FieldValue][] = [];
  let keys: Set<string> | null = null;
  for (;;) {
    if (fields.length === MAX_LINE_FIELDS) throw new LineError(`more than ${MAX_LINE_FIELDS} fields`);
    const ks = i;
    esc = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH && i + 1 < n) {
        esc = true;
        i += 2;
        continue;
      }
      if (c === EQUALS || c === COMMA || c === SPACE) break;
      i++;
    }
    if (i === ks) throw new LineError('empty field key');
    const key = esc ? unescapeName(text.slice(ks, i), true) : text.slice(ks, i);
    if (i >= n || text.charCodeAt(i) !== EQUALS) throw new LineError(`field "${key}" has no "=value"`);
    i++;
    if (i >= n) throw new LineError(`field "${key}" has no value`);
    let value: FieldValue;
    if (text.charCodeAt(i) === QUOTE) {
      i++;
      const vs = i;
      esc = false;
      for (;;) {
        if (i >= n) throw new LineError(`string field "${key}" has no closing quote`);
        const c = text.charCodeAt(i);
        if (c === BACKSLASH && i + 1 < n) {
          esc = true;
          i += 2;
          continue;
        }
        if (c === QUOTE) break;
        i++;
      }
      const raw = text.slice(vs, i);
      i++;
      value = { kind: 'string', value: esc ? unescapeString(raw) : raw };
    } else {
      const vs = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === COMMA || c === SPACE) break;
        i++;
      }
      value = parseScalar(key, text.slice(vs, i));
    }
    if (keys === null && fields.length === SCAN_FIELDS) keys = new Set(fields.map((f) => f[0]));
    const seen = keys ? keys.has(key) : fields.some((f) => f[0] === key);
    if (seen) throw new LineError(`field "${key}" appears more than once`);
    keys?.add(key);
    fields.push([key, value]);
    if (i < n && text.charCodeAt(i) === COMMA) {
      i++;
      if (i >= n || text.charCodeAt(i) === SPACE) throw new LineError('trailing comma after the last field');
      continue;
    }
    break;
  }
  let timestamp: string | null = null;
  if (i < n) {
    // text.charCodeAt(i) is a space here.
    while (i < n && text.charCodeAt(i) === SPACE) i++;
    const ts = i;
    while (i < n && text.charCodeAt(i) !== SPACE) i++;
    if (i > ts) {
      const t = text.slice(ts, i);
      if (!isInteger(t)) throw new LineError(`invalid timestamp "${short(t)}" (expected an integer)`);
      timestamp = t;
    }
    while (i < n && text.charCodeAt(i) === SPACE) i++;
    if (i < n) throw new LineError(`unexpected text after the timestamp: "${short(text.slice(i))}"`);
  }
  return { line: lineNo, measurement, seriesText, tags, fields, timestamp };
}

/** [-]digits with at most 19 digits. */
function isInteger(t: string): boolean {
  const start = t.charCodeAt(0) === 45 ? 1 : 0;
  if (t.length === start || t.length - start > 19) return false;
  for (let i = start; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Only characters of a decimal float: digits, ".", "e"/"E", and "-"/"+" after an exponent or a leading "-". */
function isFloatChars(t: string): boolean {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === 46 || c === 101 || c === 69) continue;
    if (c === 45 && (i === 0 || t.charCodeAt(i - 1) === 101 || t.charCodeAt(i - 1) === 69)) continue;
    if (c === 43 && i > 0 && (t.charCodeAt(i - 1) === 101 || t.charCodeAt(i - 1) === 69)) continue;
    return false;
  }
  return t.length > 0;
}
const INT = /^-?\d+$/;
const UINT = /^\d+$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const UINT64_MAX = 18446744073709551615n;

function parseScalar(key: string, raw: string): FieldValue {
  if (raw.length === 0) throw new LineError(`field "${key}" has no value`);
  const last = raw.charCodeAt(raw.length - 1);
  if (last === 105 /* i */ && raw.length > 1) {
    const digits = raw.slice(0, -1);
    if (!INT.test(digits)) throw new LineError(`field "${key}" has an invalid integer "${short(raw)}"`);
    if (digits.length > 15) {
      const b = BigInt(digits);
      if (b > INT64_MAX || b < INT64_MIN) throw new LineError(`field "${key}" is out of the int64 range`);
    }
    return { kind: 'integer', value: Number(digits) };
  }
  if (last === 117 /* u */ && raw.length > 1) {
    const digits = raw.slice(0, -1);
    if (!UINT.test(digits)) throw new LineError(`field "${key}" has an invalid unsigned integer "${short(raw)}"`);
    if (digits.length > 15 && BigInt(digits) > UINT64_MAX) {
      throw new LineError(`field "${key}" is out of the uint64 range`);
    }
    return { kind: 'uinteger', value: Number(digits) };
  }
  switch (raw) {
    case 't':
    case 'T':
    case 'true':
    case 'True':
    case 'TRUE':
      return { kind: 'boolean', value: true };
    case 'f':
    case 'F':
    case 'false':
    case 'False':
    case 'FALSE':
      return { kind: 'boolean', value: false };
  }
  // Number() accepts more than line protocol does (hex, "Infinity", a leading "+"); only digits, one leading
  // minus, dots and exponents may reach it, and it answers NaN for any bad arrangement of those.
  const v = isFloatChars(raw) ? Number(raw) : NaN;
  if (Number.isNaN(v)) {
    throw new LineError(
      `field "${key}" has an invalid value "${short(raw)}" (numbers, 1i, 1u, true/false, or a "quoted string")`,
    );
  }
  if (!Number.isFinite(v)) throw new LineError(`field "${key}" is out of the float64 range`);
  return { kind: 'float', value: v };
}

/**
 * Measurement, tag keys, tag values and field keys: "\," "\ " (and "\=" except in measurements) stand for the
 * character; "\\" is one backslash; a backslash before anything else is literal.
 */
function unescapeName(s: string, equalsEscapable: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d === COMMA || d === SPACE || d === BACKSLASH || (equalsEscapable && d === EQUALS)) {
        out += s[i + 1];
        i++;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/** String field values: \" is a quote and \\ one backslash; other backslashes are literal. */
function unescapeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d === QUOTE || d === BACKSLASH) {
        out += s[i + 1];
        i++;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

export type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

/** Accepts v2 names (ns, us, ms, s) and v1 names (n, u, ms, s, m, h). */
export function parsePrecision(p: string | undefined, v1: boolean): Precision | null {
  if (p === undefined || p === '') return 'ns';
  const map: Record<string, Precision> = v1
    ? { n: 'ns', ns: 'ns', u: 'us', us: 'us', ms: 'ms', s: 's', m: 'm', h: 'h' }
    : { ns: 'ns', us: 'us', ms: 'ms', s: 's' };
  return map[p] ?? null;
}

/** Converts timestamp digits in `precision` to epoch microseconds (nanoseconds are truncated). */
export function timestampToMicros(digits: string, precision: Precision): number {
  switch (precision) {
    case 'ns':
      // Negative timestamps are rejected later (before 1970); only their sign matters.
      if (digits.startsWith('-')) return -1;
      return digits.length <= 3 ? 0 : Number(digits.slice(0, -3));
    case 'us':
      return Number(digits);
    case 'ms':
      return Number(digits) * 1e3;
    case 's':
      return Number(digits) * 1e6;
    case 'm':
      return Number(digits) * 6e7;
    case 'h':
      return Number(digits) * 3.6e9;
  }
}
