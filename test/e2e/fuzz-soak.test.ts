// Fuzz and soak test of the HTTP API on a real server and store: generated line-protocol and JSON bodies, valid
// and broken, and reads with generated query parameters, several requests in flight at once while /ping is
// polled every ~20 ms from this process (which also runs the server, so a stall of its event loop shows up).
// It shows that a bad request gets a 4xx with a message and never a 500, that what was accepted is stored, no
// more and no less, and that /ping answers within 100 ms throughout (not counting the time the kernel kept the
// main thread waiting for a CPU: the machine may be busy with other work). Bounded by case counts, not wall time.

import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeToStatus, ERROR_CODES, type ErrorCode } from '../../src/errors.js';
import { decodeJsonResults } from '../../src/ingest/json.js';
import type { Precision } from '../../src/ingest/line-protocol.js';
import { defaultParseWorkers } from '../../src/ingest/parse-pool.js';
import { decodeLineProtocol } from '../../src/ingest/validate.js';
import { MAX_METRICS, MAX_TAGS, type Tags, type TestResult, type WriteBatch } from '../../src/model/result.js';
import { parseRfc3339 } from '../../src/time/parse.js';
import { storedForm } from '../support/helpers.js';
import { PingWatch } from '../support/ping-watch.js';
import { startTestServer, type TestServer } from '../support/server.js';

const NOW_MS = Date.UTC(2026, 10, 21, 12);
const NOW_US = NOW_MS * 1000;
const DAY_US = 86_400_000_000;
const TOKEN = 'fuzz-token';
/** Smaller than the service's default (25 MB) so that bodies over it are cheap to make; valid bodies stay far below. */
const MAX_BODY = 2 * 1024 * 1024;
const PING_LIMIT_MS = 100;

// ---- what a request should do, and what the store should then hold ----------------------------------------

/** A test result as GET /api/v1/results shows it, with `time` in epoch microseconds. */
type StoredResult = TestResult;

/** Points a request adds: test results in full, circuit-breaker events by series and time. */
interface Points {
  results: StoredResult[];
  breakers: { tags: Tags; time: number }[];
}

type Outcome =
  /** Valid by construction: must be accepted and stored exactly. */
  | { kind: 'stored'; points: Points; written?: number }
  /** Invalid by construction: must get this 4xx (or any 4xx) with a message, naming the line or record when given. */
  | { kind: 'refused'; status?: number; code?: ErrorCode; line?: number; record?: number }
  /**
   * Mutated at random, so either: the service's answer must agree with decoding the same bytes directly (the
   * service's own parser as the oracle), and what it accepts must be stored.
   */
  | { kind: 'either'; format: 'lp'; precision: Precision }
  | { kind: 'either'; format: 'json' }
  /** A read: 200 with JSON, or a 4xx with a message. */
  | { kind: 'read' };

interface FuzzRequest {
  what: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  outcome: Outcome;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);

// ---- characters and names ------------------------------------------------------------------------------------

/** Characters of names and values: plain ones, the ones line protocol escapes, and non-ASCII ones. */
const nameChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_./:'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom(',', ' ', '=', '\\', '"', "'", '#', '{', '}', '[', '%', '&', '?') },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ß', '中', '😀', '\u00a0', '\u2028', '\ufeff') },
);
const name = (maxLength: number) =>
  fc.string({ unit: nameChar, minLength: 1, maxLength }).filter((s) => !s.startsWith('_'));
const tagKey = fc.oneof(fc.constantFrom('test', 'endpoint', 'region', 'worker', 'hardware', 'branch'), name(10));
const tagValue = fc.oneof(
  fc.constantFrom('a', 'b', 'eu', 'us', 'gpu-1'),
  fc.string({ unit: nameChar, minLength: 1, maxLength: 14 }),
);
const tags = (maxKeys: number) => fc.dictionary(tagKey, tagValue, { maxKeys, noNullPrototype: true });
const RESERVED = new Set(['success', 'latency_ms', 'error', 'error_type']);
const metricName = fc
  .oneof(fc.constantFrom('throughput', 'gpu_util', 'ttfb.ms', 'tokens/s'), name(10))
  .filter((k) => !RESERVED.has(k));
/** Error text: line protocol has no line breaks inside a line, but tabs and carriage returns are allowed. */
const errorText = fc.string({
  unit: fc.oneof({ weight: 12, arbitrary: nameChar }, { weight: 1, arbitrary: fc.constantFrom('\t', '\r') }),
  maxLength: 30,
});
const errorTypeText = fc.string({ unit: nameChar, maxLength: 12 });

// ---- line protocol ---------------------------------------------------------------------------------------------

/** Tag keys, tag values and field keys: backslash, comma, space and "=" are escaped. */
const escapeName = (s: string): string => s.replace(/[\\, =]/g, (c) => `\\${c}`);
const escapeString = (s: string): string => s.replace(/[\\"]/g, (c) => `\\${c}`);

const PRECISION_US: Record<Precision, number> = { ns: 0.001, us: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 };

/** A v2 or v1 write URL and the precision it names (absent: nanoseconds). */
const lpTarget = fc.oneof(
  fc.record({ v1: fc.constant(false), param: fc.constantFrom(undefined, 'ns', 'us', 'ms', 's') }),
  fc.record({ v1: fc.constant(true), param: fc.constantFrom(undefined, 'n', 'ns', 'u', 'us', 'ms', 's', 'm', 'h') }),
);
type LpTarget = typeof lpTarget extends fc.Arbitrary<infer T> ? T : never;
const PRECISIONS: Record<string, Precision> = {
  n: 'ns',
  ns: 'ns',
  u: 'us',
  us: 'us',
  ms: 'ms',
  s: 's',
  m: 'm',
  h: 'h',
};
const precisionOf = (t: LpTarget): Precision => PRECISIONS[t.param ?? 'ns']!;
const lpPath = (t: LpTarget): string => {
  const q = new URLSearchParams(t.v1 ? { db: 'fuzz' } : { org: 'o', bucket: 'fuzz' });
  if (t.param !== undefined) q.set('precision', t.param);
  return `${t.v1 ? '/write' : '/api/v2/write'}?${q}`;
};

/** A number as line protocol writes it, and the value it stands for. */
const latencyText = fc.oneof(
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => String(x)),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => x.toExponential()),
  fc.nat({ max: 100_000 }).map((n) => `${n}i`),
  fc.nat({ max: 100_000 }).map((n) => `${n}u`),
  fc.nat({ max: 100_000 }).map((n) => `${n}.${'0'.repeat(n % 3)}5`),
);
const metricText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => `${n}i`),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((n) => `${n}u`),
);
const numberOf = (text: string): number => Number(/[iu]$/.test(text) ? text.slice(0, -1) : text);
const boolText = fc.constantFrom('t', 'T', 'true', 'True', 'TRUE', 'f', 'F', 'false', 'False', 'FALSE');

interface LpLine {
  /** Text of the line without its timestamp. */
  head: string;
  /** Whether it carries a timestamp, and where in the last 20 days it falls (0..1). */
  stamped: boolean;
  at: number;
  sep: string;
  result?: Omit<StoredResult, 'time'>;
  breaker?: Tags;
}

const resultLine: fc.Arbitrary<LpLine> = fc
  .record({
    tags: tags(6),
    success: boolText,
    latency: fc.option(latencyText, { nil: undefined }),
    error: fc.option(errorText, { nil: undefined }),
    errorType: fc.option(errorTypeText, { nil: undefined }),
    metrics: fc.dictionary(metricName, metricText, { maxKeys: 4, noNullPrototype: true }),
    successAt: fc.nat(),
    seps: fc.tuple(fc.constantFrom(' ', ' ', '  '), fc.constantFrom('', '', ' ', '\t')),
    stamped: fc.boolean(),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    tail: fc.constantFrom('', '', ' '),
  })
  .map((r) => {
    const fields: string[] = [];
    if (r.latency !== undefined) fields.push(`latency_ms=${r.latency}`);
    if (r.error !== undefined) fields.push(`error="${escapeString(r.error)}"`);
    if (r.errorType !== undefined) fields.push(`error_type="${escapeString(r.errorType)}"`);
    for (const [k, v] of Object.entries(r.metrics)) fields.push(`${escapeName(k)}=${v}`);
    fields.splice(r.successAt % (fields.length + 1), 0, `success=${r.success}`);
    const series = ['test_result', ...Object.entries(r.tags).map(([k, v]) => `${escapeName(k)}=${escapeName(v)}`)].join(
      ',',
    );
    const metrics =
      Object.keys(r.metrics).length === 0
        ? null
        : Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, numberOf(v)]));
    return {
      head: `${r.seps[1]}${series}${r.seps[0]}${fields.join(',')}`,
      stamped: r.stamped,
      at: r.at,
      sep: r.tail,
      result: {
        success: r.success.toLowerCase().startsWith('t'),
        latency_ms: r.latency === undefined ? null : numberOf(r.latency),
        metrics,
        error: r.error ?? null,
        error_type: r.errorType ?? null,
        tags: r.tags,
      },
    };
  });

const breakerLine: fc.Arbitrary<LpLine> = fc
  .record({
    breaker: tagValue,
    tags: tags(3),
    state: fc.constantFrom('closed', 'open', 'half_open'),
    failures: fc.option(
      fc.oneof(
        fc.nat({ max: 1000 }).map((n) => `${n}i`),
        fc.nat({ max: 1000 }).map((n) => `${n}u`),
      ),
      { nil: undefined },
    ),
    stamped: fc.boolean(),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((r) => {
    const all: Tags = { ...r.tags, breaker: r.breaker };
    const series = [
      'circuit_breaker',
      ...Object.entries(all).map(([k, v]) => `${escapeName(k)}=${escapeName(v)}`),
    ].join(',');
    const fields = [`state="${r.state}"`, ...(r.failures === undefined ? [] : [`failures=${r.failures}`])];
    return { head: `${series} ${fields.join(',')}`, stamped: r.stamped, at: r.at, sep: '', breaker: all };
  });

/**
 * A valid body: a few distinct lines repeated at different times (as a test runner sends them), up to a few
 * hundred lines, with blank lines, comments and CRLF here and there. Returns the text of each physical line and
 * the points it adds.
 */
const lpBody = (target: LpTarget) =>
  fc
    .record({
      distinct: fc.array(fc.oneof({ weight: 5, arbitrary: resultLine }, { weight: 1, arbitrary: breakerLine }), {
        minLength: 1,
        maxLength: 10,
      }),
      repeat: fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
        { weight: 1, arbitrary: fc.integer({ min: 4, max: 40 }) },
      ),
      noise: fc.array(fc.constantFrom('', '# a comment', '   ', '#'), { maxLength: 3 }),
    })
    .map(({ distinct, repeat, noise }) => {
      const unit = PRECISION_US[precisionOf(target)];
      const lines: string[] = [...noise];
      const points: Points = { results: [], breakers: [] };
      // Untimed points get the time of receipt, a microsecond apart in request order.
      let untimed = 0;
      for (let rep = 0; rep < repeat; rep++) {
        distinct.forEach((l, i) => {
          let time = NOW_US;
          let text = l.head;
          if (l.stamped) {
            const us = Math.floor(NOW_US - 20 * DAY_US * ((l.at + (rep * 0.013 + i * 0.0007)) % 1));
            if (unit < 1) {
              text += ` ${us}${String((rep * 7 + i) % 1000).padStart(3, '0')}`;
              time = us;
            } else {
              const ticks = Math.floor(us / unit);
              text += ` ${ticks}`;
              time = ticks * unit;
            }
          } else time = NOW_US + untimed++;
          lines.push(text + l.sep);
          if (l.result) points.results.push({ ...l.result, time });
          if (l.breaker) points.breakers.push({ tags: l.breaker, time });
        });
      }
      return { lines, points };
    });

/** Lines that are wrong whatever surrounds them. */
const brokenLine: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'cpu,host=a usage=1',
    'Test_result success=true',
    'test_result\\ x success=true',
    '"test_result" success=true',
    'test_result',
    'test_result   ',
    'test_result,',
    'test_result, success=true',
    'test_result,a success=true',
    'test_result,a= success=true',
    'test_result,a=b=c success=true',
    'test_result,a=1,a=2 success=true',
    'test_result,_a=1 success=true',
    'test_result latency_ms=3',
    'test_result success=yes',
    'test_result success="true"',
    'test_result success=1',
    'test_result success=true,',
    'test_result success=true,success=false',
    'test_result success=true,latency_ms=-1',
    'test_result success=true,latency_ms=true',
    'test_result success=true,latency_ms="5"',
    'test_result success=true,error=boom',
    'test_result success=true,error=5',
    'test_result success=true,error="unterminated',
    'test_result success=true,error_type="a\tb"',
    'test_result success=true,error="a\u0000b"',
    'test_result success=true,_m=1',
    'test_result success=true,m="text"',
    'test_result success=true,m=false',
    'test_result success=true,m=9223372036854775808i',
    'test_result success=true,m=-9223372036854775809i',
    'test_result success=true,m=18446744073709551616u',
    'test_result success=true,m=-1u',
    'test_result success=true,m=1e309',
    'test_result success=true,m=0x10',
    'test_result success=true,m=+1',
    'test_result success=true,m=1.2.3',
    'test_result success=true,m=.',
    'test_result success=true,m=-',
    'test_result success=true,m=e5',
    'test_result success=true,m=Infinity',
    'test_result success=true,m=NaN',
    'test_result success=true,m=1i2',
    'test_result success=true,m=',
    'test_result success=true,=1',
    'test_result success=true 12a',
    'test_result success=true 1.5',
    'test_result success=true 123 456',
    'test_result success=true 99999999999999999999',
    'test_result success=true 9999999999999999999',
    'test_result success=true -1',
    'test_result success=true 1',
    'test_result,t=\u0001 success=true',
    'test_result,\u007f=x success=true',
    'test_result success=true,m\u0002=1',
    'circuit_breaker state="open"',
    'circuit_breaker,breaker=b state="ajar"',
    'circuit_breaker,breaker=b state=open',
    'circuit_breaker,breaker=b state="open",failures=-1i',
    'circuit_breaker,breaker=b state="open",failures=1.5',
    'circuit_breaker,breaker=b failures=1i',
    'circuit_breaker,breaker=b state="open",success=true',
  ),
  fc.constantFrom(
    `test_result,${Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}=v`).join(',')} success=true`,
    `test_result success=true,${Array.from({ length: MAX_METRICS + 1 }, (_, i) => `m${i}=1`).join(',')}`,
    `test_result,${'k'.repeat(257)}=v success=true`,
    `test_result,k=${'v'.repeat(1025)} success=true`,
    `test_result success=true,${'m'.repeat(257)}=1`,
    `test_result success=false,error="${'x'.repeat(65_537)}"`,
  ),
);

/** One edit of a body: insert, delete or replace a character, or cut the body short. */
const edit = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('insert', 'delete', 'replace', 'cut'),
  ch: fc.oneof(
    nameChar,
    fc.constantFrom('\n', '\r', '\t', '\u0000', '"', '\\', ',', ' ', '=', '1', 'i', 'u', '.', '-', 'e'),
  ),
});
function applyEdits(text: string, edits: { at: number; op: string; ch: string }[]): string {
  let s = text;
  for (const e of edits) {
    const i = e.at % (s.length + 1);
    if (e.op === 'insert') s = s.slice(0, i) + e.ch + s.slice(i);
    else if (e.op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
    else if (e.op === 'replace') s = s.slice(0, i) + e.ch + s.slice(i + 1);
    else s = s.slice(0, i);
  }
  return s;
}

const lpHeaders = { 'Content-Type': 'text/plain; charset=utf-8' };

const validLp: fc.Arbitrary<FuzzRequest> = lpTarget.chain((target) =>
  fc
    .record({ body: lpBody(target), crlf: fc.boolean(), gzip: fc.boolean() })
    .map<FuzzRequest>(({ body, crlf, gzip }) => {
      const text = body.lines.join(crlf ? '\r\n' : '\n');
      const bytes = utf8(text);
      const points = body.points;
      // Lines of only comments and blanks are a 400 (no points); a valid body here always has some.
      return {
        what: `valid line protocol (${points.results.length + points.breakers.length} points${gzip ? ', gzip' : ''})`,
        method: 'POST',
        path: lpPath(target),
        headers: { ...lpHeaders, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
        body: gzip ? gzipSync(bytes) : bytes,
        outcome: { kind: 'stored', points },
      };
    }),
);

const brokenLp: fc.Arbitrary<FuzzRequest> = lpTarget.chain((target) =>
  fc.record({ body: lpBody(target), bad: brokenLine, at: fc.nat() }).map<FuzzRequest>(({ body, bad, at }) => {
    const lines = [...body.lines];
    const i = at % (lines.length + 1);
    lines.splice(i, 0, bad);
    return {
      what: `line protocol with a bad line ${i + 1}: ${JSON.stringify(bad.slice(0, 80))}`,
      method: 'POST',
      path: lpPath(target),
      headers: lpHeaders,
      body: utf8(lines.join('\n')),
      outcome: { kind: 'refused', status: 400, code: 'invalid', line: i + 1 },
    };
  }),
);

const mutatedLp: fc.Arbitrary<FuzzRequest> = lpTarget.chain((target) =>
  fc
    .record({ body: lpBody(target), edits: fc.array(edit, { minLength: 1, maxLength: 4 }) })
    .map<FuzzRequest>(({ body, edits }) => ({
      what: `line protocol with random edits ${JSON.stringify(edits)}`,
      method: 'POST',
      path: lpPath(target),
      headers: lpHeaders,
      body: utf8(applyEdits(body.lines.join('\n'), edits)),
      outcome: { kind: 'either', format: 'lp', precision: precisionOf(target) },
    })),
);

/** A valid body one line longer than the limit, plain and compressed (made once, not while /ping is watched). */
const OVER_LIMIT = utf8(`test_result,k=v success=true\n`.repeat(Math.ceil(MAX_BODY / 29) + 1));
const OVER_LIMIT_GZIP = gzipSync(OVER_LIMIT);

/** Broken at the level of the request rather than of a line. */
const badLpRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc
    .record({ v1: fc.boolean(), precision: fc.constantFrom('x', 'NS', 'nanoseconds', ' ns', 'h', 'm', '1') })
    .filter((r) => !(r.v1 && ['h', 'm'].includes(r.precision)))
    .map<FuzzRequest>((r) => ({
      what: `precision "${r.precision}"`,
      method: 'POST',
      path: `${r.v1 ? '/write' : '/api/v2/write'}?precision=${encodeURIComponent(r.precision)}`,
      headers: lpHeaders,
      body: utf8('test_result success=true'),
      outcome: { kind: 'refused', status: 400 },
    })),
  fc.constant<FuzzRequest>({
    what: 'precision given twice',
    method: 'POST',
    path: '/api/v2/write?precision=s&precision=ms',
    headers: lpHeaders,
    body: utf8('test_result success=true'),
    outcome: { kind: 'refused', status: 400 },
  }),
  fc.constantFrom('', '\n', '# only a comment\n', '\r\n\r\n', '   \t').map<FuzzRequest>((text) => ({
    what: `a body without points ${JSON.stringify(text)}`,
    method: 'POST',
    path: '/api/v2/write',
    headers: lpHeaders,
    body: utf8(text),
    outcome: { kind: 'refused', status: 400 },
  })),
  fc
    .record({
      prefix: fc.constantFrom('test_result,t=', 'test_result success=true,error="', ''),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    })
    .map(({ prefix, bytes }) => [...utf8(prefix), 0xff, ...bytes, 0xc3])
    .map<FuzzRequest>((bytes) => ({
      what: 'a body that is not UTF-8',
      method: 'POST',
      path: '/api/v2/write',
      headers: lpHeaders,
      body: Uint8Array.from(bytes),
      outcome: { kind: 'refused', status: 400 },
    })),
  fc.uint8Array({ maxLength: 64 }).map<FuzzRequest>((bytes) => ({
    what: 'a body claimed to be gzip that is not',
    method: 'POST',
    path: '/api/v2/write',
    headers: { ...lpHeaders, 'Content-Encoding': 'gzip' },
    body: Uint8Array.from([0x1f, 0x8b, ...bytes]),
    outcome: { kind: 'refused', status: 400 },
  })),
  fc.constantFrom('br', 'deflate', 'gzip, br', 'x').map<FuzzRequest>((enc) => ({
    what: `Content-Encoding ${enc}`,
    method: 'POST',
    path: '/api/v2/write',
    headers: { ...lpHeaders, 'Content-Encoding': enc },
    body: utf8('test_result success=true'),
    outcome: { kind: 'refused', status: 415 },
  })),
  fc.boolean().map<FuzzRequest>((gzip) => ({
    what: `a body over the limit${gzip ? ' once decompressed' : ''}`,
    method: 'POST',
    path: '/api/v2/write',
    headers: { ...lpHeaders, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
    body: gzip ? OVER_LIMIT_GZIP : OVER_LIMIT,
    outcome: { kind: 'refused', status: 413 },
  })),
);

// ---- JSON results ------------------------------------------------------------------------------------------------

/** A time as JSON may give it, and the epoch microseconds it stands for. */
const jsonTime = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ value: undefined as string | number | null | undefined, us: NOW_US }) },
  { weight: 1, arbitrary: fc.constant({ value: null as string | number | null | undefined, us: NOW_US }) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        us: fc.integer({ min: NOW_US - 20 * DAY_US, max: NOW_US + DAY_US }),
        offsetMin: fc.constantFrom(0, 0, 60, -300, 330, 345, -690),
        form: fc.constantFrom('rfc3339', 'rfc3339-ns', 'rfc3339-lower', 'ms', 'ms-string', 'ms-half'),
      })
      .map(({ us, offsetMin, form }) => {
        const ms = Math.floor(us / 1000);
        if (form === 'ms') return { value: ms as string | number | null | undefined, us: ms * 1000 };
        if (form === 'ms-string') return { value: `${ms}`, us: ms * 1000 };
        if (form === 'ms-half') return { value: `${ms}.5`, us: ms * 1000 + 500 };
        const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23); // YYYY-MM-DDTHH:MM:SS.mmm
        const micros = String(us % 1000).padStart(3, '0');
        const zone =
          offsetMin === 0
            ? 'Z'
            : `${offsetMin < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offsetMin) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMin) % 60).padStart(2, '0')}`;
        let text = `${local}${micros}${form === 'rfc3339-ns' ? '789' : ''}${zone}`;
        if (form === 'rfc3339-lower') text = text.replace('T', 't').replace('Z', 'z');
        return { value: text, us };
      }),
  },
);

interface JsonRecord {
  record: Record<string, unknown>;
  stored: StoredResult;
}

const jsonRecord: fc.Arbitrary<JsonRecord> = fc
  .record({
    time: jsonTime,
    success: fc.boolean(),
    latency: fc.option(fc.double({ min: 0, max: 1e9, noNaN: true }), { nil: undefined, freq: 3 }),
    nullLatency: fc.boolean(),
    metrics: fc.option(
      fc.dictionary(metricName, fc.double({ noNaN: true, noDefaultInfinity: true }), {
        maxKeys: 5,
        noNullPrototype: true,
      }),
      { nil: undefined },
    ),
    error: fc.option(
      fc.string({
        unit: fc.oneof(
          { weight: 12, arbitrary: nameChar },
          { weight: 1, arbitrary: fc.constantFrom('\t', '\n', '\r') },
        ),
        maxLength: 30,
      }),
      { nil: undefined },
    ),
    errorType: fc.option(errorTypeText, { nil: undefined }),
    tags: fc.option(tags(8), { nil: undefined }),
  })
  .map((r) => {
    const record: Record<string, unknown> = { success: r.success };
    if (r.time.value !== undefined) record.time = r.time.value;
    if (r.latency !== undefined) record.latency_ms = r.latency;
    else if (r.nullLatency) record.latency_ms = null;
    if (r.metrics !== undefined) record.metrics = r.metrics;
    if (r.error !== undefined) record.error = r.error;
    if (r.errorType !== undefined) record.error_type = r.errorType;
    if (r.tags !== undefined) record.tags = r.tags;
    const metrics = r.metrics && Object.keys(r.metrics).length > 0 ? r.metrics : null;
    return {
      record,
      stored: {
        time: r.time.us,
        success: r.success,
        latency_ms: r.latency ?? null,
        metrics,
        error: r.error ?? null,
        error_type: r.errorType ?? null,
        tags: r.tags ?? {},
      },
    };
  });

/** Valid records: a few distinct ones repeated, as one object or an array. */
const jsonRecords = fc
  .record({
    distinct: fc.array(jsonRecord, { minLength: 1, maxLength: 8 }),
    repeat: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: 4, max: 40 }) },
    ),
  })
  .map(({ distinct, repeat }) => Array.from({ length: repeat }, () => distinct).flat());

/** The records as stored: untimed ones get the time of receipt, a microsecond apart in request order. */
function stampUntimed(records: { record: Record<string, unknown>; stored: StoredResult }[]): StoredResult[] {
  let untimed = 0;
  return records.map((r) =>
    r.record.time === undefined || r.record.time === null ? { ...r.stored, time: NOW_US + untimed++ } : r.stored,
  );
}

const jsonType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON');

const validJson: fc.Arbitrary<FuzzRequest> = fc
  .record({ records: jsonRecords, single: fc.boolean(), type: jsonType })
  .map<FuzzRequest>(({ records, single, type }) => {
    const one = single && records.length === 1;
    const body = one ? records[0]!.record : records.map((r) => r.record);
    return {
      what: `valid JSON (${records.length} records)`,
      method: 'POST',
      path: '/api/v1/results',
      headers: { 'Content-Type': type },
      body: utf8(JSON.stringify(body)),
      outcome: { kind: 'stored', points: { results: stampUntimed(records), breakers: [] }, written: records.length },
    };
  });

/** An own "__proto__" key, as JSON.parse makes from text (an object literal would set the prototype instead). */
function withProtoKey(value: unknown): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  Object.defineProperty(o, '__proto__', { value, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Changes that make a record invalid whatever else it holds. */
const breakRecord: fc.Arbitrary<{ why: string; apply: (r: Record<string, unknown>) => unknown }> = fc.constantFrom(
  ...(
    [
      ['no success', (r) => ({ ...r, success: undefined })],
      ['success as text', (r) => ({ ...r, success: 'true' })],
      ['success as a number', (r) => ({ ...r, success: 1 })],
      ['negative latency', (r) => ({ ...r, latency_ms: -1 })],
      ['latency as text', (r) => ({ ...r, latency_ms: '5' })],
      ['a metric as text', (r) => ({ ...r, metrics: { x: '1' } })],
      ['a metric starting with _', (r) => ({ ...r, metrics: { _x: 1 } })],
      ['a reserved metric', (r) => ({ ...r, metrics: { latency_ms: 1 } })],
      [
        'too many metrics',
        (r) => ({ ...r, metrics: Object.fromEntries(Array.from({ length: MAX_METRICS + 1 }, (_, i) => [`m${i}`, i])) }),
      ],
      ['metrics as a list', (r) => ({ ...r, metrics: [1, 2] })],
      ['a tag key starting with _', (r) => ({ ...r, tags: { _k: 'v' } })],
      ['an empty tag value', (r) => ({ ...r, tags: { k: '' } })],
      ['an empty tag key', (r) => ({ ...r, tags: { '': 'v' } })],
      ['a tag value as a number', (r) => ({ ...r, tags: { k: 1 } })],
      ['a control character in a tag key', (r) => ({ ...r, tags: { 'k\u0001': 'v' } })],
      ['a control character in a tag value', (r) => ({ ...r, tags: { k: 'v\n' } })],
      ['a tag key of 257 characters', (r) => ({ ...r, tags: { ['k'.repeat(257)]: 'v' } })],
      ['a tag value of 1025 characters', (r) => ({ ...r, tags: { k: 'v'.repeat(1025) } })],
      [
        'too many tags',
        (r) => ({ ...r, tags: Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`t${i}`, 'v'])) }),
      ],
      ['a tag "__proto__"', (r) => ({ ...r, tags: withProtoKey('x') })],
      ['a metric "__proto__"', (r) => ({ ...r, metrics: withProtoKey(1) })],
      ['an unknown field', (r) => ({ ...r, foo: 1 })],
      ['time as words', (r) => ({ ...r, time: 'yesterday' })],
      ['time before 1970', (r) => ({ ...r, time: -1000 })],
      ['time older than the retention', (r) => ({ ...r, time: 1000 })],
      ['time after 2255', (r) => ({ ...r, time: 1e16 })],
      ['time as a huge number', (r) => ({ ...r, time: 1e300 })],
      ['an impossible date', (r) => ({ ...r, time: '2026-02-30T00:00:00Z' })],
      ['time without a zone', (r) => ({ ...r, time: '2026-11-21T10:00:00' })],
      ['time as a boolean', (r) => ({ ...r, time: true })],
      ['time as exponent text', (r) => ({ ...r, time: '1.7e12' })],
      ['a NUL in error', (r) => ({ ...r, error: 'a\u0000b' })],
      ['a tab in error_type', (r) => ({ ...r, error_type: 'a\tb' })],
      ['error longer than 65536', (r) => ({ ...r, error: 'x'.repeat(65_537) })],
      ['error as a number', (r) => ({ ...r, error: 5 })],
      ['null instead of a record', () => null],
      ['a number instead of a record', () => 5],
      ['text instead of a record', () => 'record'],
      ['a list instead of a record', (r) => [r]],
    ] as [string, (r: Record<string, unknown>) => unknown][]
  ).map(([why, apply]) => ({ why, apply })),
);

const brokenJson: fc.Arbitrary<FuzzRequest> = fc
  .record({ records: jsonRecords, bad: breakRecord, at: fc.nat() })
  .map<FuzzRequest>(({ records, bad, at }) => {
    const list: unknown[] = records.map((r) => r.record);
    const i = at % list.length;
    list[i] = bad.apply(records[i]!.record);
    return {
      what: `JSON with a bad record ${i} (${bad.why})`,
      method: 'POST',
      path: '/api/v1/results',
      headers: { 'Content-Type': 'application/json' },
      body: utf8(JSON.stringify(list)),
      outcome: { kind: 'refused', status: 400, code: 'invalid', record: i },
    };
  });

const mutatedJson: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc
      .record({ records: jsonRecords, edits: fc.array(edit, { minLength: 1, maxLength: 4 }) })
      .map(({ records, edits }) => ({
        what: `JSON with random edits ${JSON.stringify(edits)}`,
        body: applyEdits(JSON.stringify(records.map((r) => r.record)), edits),
      })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ what: 'arbitrary JSON', body: JSON.stringify(v) })),
    fc.string({ maxLength: 40 }).map((s) => ({ what: 'arbitrary text', body: s })),
  )
  .map<FuzzRequest>(({ what, body }) => ({
    what,
    method: 'POST',
    path: '/api/v1/results',
    headers: { 'Content-Type': 'application/json' },
    body: utf8(body),
    outcome: { kind: 'either', format: 'json' },
  }));

const badJsonRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc
    .constantFrom('text/plain', '', 'application/x-www-form-urlencoded', 'application/jsonl', 'json')
    .map<FuzzRequest>((type) => ({
      what: `Content-Type "${type}"`,
      method: 'POST',
      path: '/api/v1/results',
      headers: type === '' ? ({} as Record<string, string>) : { 'Content-Type': type },
      body: utf8('{"success":true}'),
      outcome: { kind: 'refused', status: 415 },
    })),
  fc
    .constantFrom('[]', '', '   ', '[', '{"success":true', '{"success":true}}', 'NaN', '[{"success":true},]')
    .map<FuzzRequest>((text) => ({
      what: `JSON text ${JSON.stringify(text)}`,
      method: 'POST',
      path: '/api/v1/results',
      headers: { 'Content-Type': 'application/json' },
      body: utf8(text),
      outcome: { kind: 'refused', status: 400 },
    })),
  fc.constant<FuzzRequest>({
    what: '10,001 records',
    method: 'POST',
    path: '/api/v1/results',
    headers: { 'Content-Type': 'application/json' },
    body: utf8(`[${Array(10_001).fill('{"success":true}').join(',')}]`),
    outcome: { kind: 'refused', status: 400 },
  }),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map<FuzzRequest>((bytes) => ({
    what: 'JSON that is not UTF-8',
    method: 'POST',
    path: '/api/v1/results',
    headers: { 'Content-Type': 'application/json' },
    body: Uint8Array.from([...utf8('{"success":true,"error":"'), 0xff, ...bytes, ...utf8('"}')]),
    outcome: { kind: 'refused', status: 400 },
  })),
);

// ---- reads with generated parameters -----------------------------------------------------------------------------

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];

/** Time parameters: near the data, anywhere in and beyond what the service can hold, and not times at all. */
const timeParamText = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: NOW_MS - 40 * 86_400_000, max: NOW_MS + 86_400_000 }).map(String) },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: NOW_MS - 40 * 86_400_000, max: NOW_MS + 86_400_000 })
      .map((ms) => new Date(ms).toISOString()),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '0',
      '-1',
      '1',
      '8639999999999999',
      '8640000000000000',
      '8640000000000001',
      '9007199254740',
      '9007199254740991',
      '9007199254740992',
      '9223372036854775807',
      '99999999999999999999',
      '1e5',
      '1.5',
      '-0',
      '',
      ' ',
      'now',
      'now()',
      '-1h',
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999999Z',
      '2255-06-05T23:47:34.740991Z',
      '2255-06-05T23:47:34.740992Z',
      '2262-04-11T23:47:16.854775807Z',
      '9999-12-31T23:59:59.999999999Z',
      '0000-01-01T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-21T24:00:00Z',
      '2026-11-21T10:00:60Z',
      '2026-11-21T10:00:00+99:99',
      '2026-11-21T10:00:00.1234567890Z',
      '2026-11-21',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 9_999 }).map((y) => `${String(y).padStart(4, '0')}-06-15T12:00:00Z`),
  },
  { weight: 1, arbitrary: fc.double({ noNaN: true }).map(String) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

type Param = [string, string];
const opt = (name: string, value: fc.Arbitrary<string>, freq = 2): fc.Arbitrary<Param[]> =>
  fc.option(
    value.map((v): Param[] => [[name, v]]),
    { nil: [] as Param[], freq },
  );
const tagFilterParams: fc.Arbitrary<Param[]> = fc.array(
  fc
    .tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('endpoint', 'region', 'test', 'breaker') },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      ),
      fc.oneof(
        { weight: 2, arbitrary: fc.constantFrom('a', 'b', 'c', 'eu', 'us', 't1', 'b0') },
        { weight: 2, arbitrary: tagValue },
        { weight: 1, arbitrary: fc.constantFrom('', '\u0001') },
      ),
    )
    .map(([k, v]): Param => [`tag.${k}`, v]),
  { maxLength: 2 },
);
/** Now and then a parameter the endpoint does not know (a 400), or one it ignores (_cache busters). */
const oddParams: fc.Arbitrary<Param[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Param[]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.oneof(
        fc.tuple(
          fc.constantFrom('groupby', 'from', 'to', 'limit ', 'STOP', '_cache', '__proto__', 'constructor'),
          fc.string({ maxLength: 6 }),
        ),
        fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  },
);
const intText = fc.oneof(
  fc.integer({ min: -5, max: 200_000 }).map(String),
  fc.constantFrom('', '1.5', '1e3', '0x10', ' 5', '99999999999999999999', '10000', '10001'),
);

/** Cursors: ones the service could have made, with numbers it could not, and garbage. */
const cursorText: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.oneof(fc.integer(), fc.constantFrom(2 ** 53, -(2 ** 53), 1e300, 0.5)), fc.integer())
    .map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc.jsonValue({ maxDepth: 1 }).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
  fc.string({ maxLength: 16 }),
);

const readRequest: fc.Arbitrary<FuzzRequest> = fc
  .oneof(
    fc
      .tuple(
        opt(
          'period',
          fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom('hour', 'day', 'week', 'month') },
            { weight: 1, arbitrary: fc.constantFrom('', 'year', 'HOUR', 'minute') },
          ),
          8,
        ),
        opt('start', timeParamText),
        opt('stop', timeParamText),
        opt(
          'tz',
          fc.oneof(
            fc.constantFrom(...ZONES),
            fc.constantFrom('', 'utc', '+05:00', 'Mars/Base', 'Etc/GMT+14', 'EST5EDT'),
          ),
        ),
        opt(
          'group_by',
          fc.oneof(
            fc.constantFrom('endpoint', 'region,endpoint', 'test', 'breaker', ',', '_x', 'a,b,c,d,e,f,g,h,i'),
            fc.string({ maxLength: 10 }),
          ),
        ),
        opt(
          'metric',
          fc.oneof(fc.constantFrom('latency_ms', 'throughput', 'success', 'error', '_m'), fc.string({ maxLength: 8 })),
        ),
        opt('fill', fc.constantFrom('true', 'false', '1', '')),
        tagFilterParams,
        oddParams,
      )
      .map((ps) => ({ path: '/api/v1/aggregates', params: ps.flat() })),
    fc
      .tuple(
        opt('start', timeParamText),
        opt('stop', timeParamText),
        opt('success', fc.constantFrom('true', 'false', 'yes', '')),
        opt('limit', intText),
        opt('cursor', cursorText),
        tagFilterParams,
        oddParams,
      )
      .map((ps) => ({ path: '/api/v1/results', params: ps.flat() })),
    fc
      .tuple(
        opt('start', timeParamText),
        opt('stop', timeParamText),
        opt('measurement', fc.constantFrom('test_result', 'circuit_breaker', 'cpu', '')),
        opt('limit', intText),
        tagFilterParams,
        oddParams,
      )
      .map((ps) => ({ path: '/api/v1/series', params: ps.flat() })),
  )
  .chain(({ path, params }) =>
    fc.oneof(
      { weight: 9, arbitrary: fc.constant(`${path}?${new URLSearchParams(params)}`) },
      // A raw query string, percent signs and all.
      {
        weight: 1,
        arbitrary: fc
          .string({ unit: fc.constantFrom(...'ab=&%2F3z.+[]'.split('')), maxLength: 20 })
          .map((raw) => `${path}?${raw}`),
      },
    ),
  )
  .map<FuzzRequest>((path) => ({ what: `GET ${path}`, method: 'GET', path, headers: {}, outcome: { kind: 'read' } }));

// ---- authentication -------------------------------------------------------------------------------------------------

/** Mostly the right token; sometimes none, a wrong one or a malformed header, which must be a 401. */
function withAuth(req: fc.Arbitrary<FuzzRequest>): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(
      req,
      fc.oneof(
        { weight: 12, arbitrary: fc.constant('token') },
        { weight: 1, arbitrary: fc.constantFrom('bearer', 'none', 'wrong', 'empty', 'basic', 'query') },
      ),
    )
    .map<FuzzRequest>(([r, auth]) => {
      const v1 = r.path.startsWith('/write');
      const headers = { ...r.headers };
      let path = r.path;
      let ok: boolean;
      switch (auth) {
        case 'token':
        case 'bearer':
          headers.Authorization = `${auth === 'token' ? 'Token' : 'Bearer'} ${TOKEN}`;
          ok = true;
          break;
        case 'wrong':
        case 'empty':
          headers.Authorization = auth === 'wrong' ? `Token ${TOKEN}x` : 'Token ';
          ok = false;
          break;
        case 'basic':
          // InfluxDB 1.x clients send the token as a basic-auth password: only /write takes it.
          headers.Authorization = `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}`;
          ok = v1;
          break;
        case 'query':
          path = `${path}${path.includes('?') ? '&' : '?'}p=${TOKEN}`;
          ok = v1;
          break;
        default:
          ok = false;
      }
      return ok
        ? { ...r, path, headers }
        : {
            ...r,
            what: `${r.what}, auth ${auth}`,
            path,
            headers,
            outcome: { kind: 'refused', status: 401, code: 'unauthorized' },
          };
    });
}

// ---- the harness ------------------------------------------------------------------------------------------------------

async function startFuzzServer(): Promise<TestServer> {
  // The service's own number of parse workers for this machine (one on two cores): line protocol is parsed off the
  // main thread, as in production.
  return startTestServer({
    now: NOW_MS,
    authTokens: [TOKEN],
    maxBodyBytes: MAX_BODY,
    parseWorkers: Math.max(1, defaultParseWorkers()),
  });
}

async function send(srv: TestServer, r: FuzzRequest): Promise<Answer> {
  const res = await fetch(`${srv.url}${r.path}`, {
    method: r.method,
    headers: r.headers,
    ...(r.body ? { body: r.body } : {}),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/**
 * Everything accepted so far, to compare with what the store holds at the end: one result per series and time, the
 * last written winning. Requests of one round run concurrently, so which of them wrote a point last is not known:
 * each of their values is a candidate; a later round's write replaces them all.
 */
class Ledger {
  /** By series and time: the round that last wrote it, and the values that round may have left. */
  readonly results = new Map<string, { round: number; candidates: Set<string> }>();
  readonly breakers = new Map<string, number>();
  /** Requests of one round run at once (soak bumps it). */
  round = 0;
  requests = 0;
  accepted = 0;
  readonly statuses = new Map<number, number>();

  add(p: Points): void {
    const round = this.round;
    this.accepted += p.results.length;
    // Within one request the later point wins.
    const own = new Map<string, string>();
    for (const r of p.results) own.set(pointKey('test_result', r.tags, r.time), canonical(r));
    for (const [k, v] of own) {
      const held = this.results.get(k);
      if (held && held.round === round) held.candidates.add(v);
      else this.results.set(k, { round, candidates: new Set([v]) });
    }
    for (const b of p.breakers) this.breakers.set(pointKey('circuit_breaker', b.tags, b.time), round);
  }
}

const sorted = <T>(o: Record<string, T>): [string, T][] =>
  Object.keys(o)
    .sort()
    .map((k) => [k, o[k]!]);
const seriesKey = (measurement: string, t: Tags): string => JSON.stringify([measurement, sorted(t)]);
const pointKey = (measurement: string, t: Tags, time: number): string => JSON.stringify([measurement, sorted(t), time]);
const canonical = (r: StoredResult): string =>
  JSON.stringify([
    r.time,
    sorted(r.tags),
    r.success,
    r.latency_ms,
    r.metrics === null ? null : sorted(r.metrics),
    r.error,
    r.error_type,
  ]);

/** The points of a batch, as the store should then show them. */
function pointsOf(batch: WriteBatch): Points {
  return {
    results: storedForm(batch),
    breakers: batch.breakers.series.map((s, i) => ({ tags: s.tags, time: batch.breakers.time[i]! })),
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What the service should make of a randomly edited body: its points, or null when it must refuse it. */
function decodeDirectly(srv: TestServer, outcome: Outcome & { kind: 'either' }, body: Uint8Array): Points | null {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    return null;
  }
  const minTimeUs = srv.store.oldestWritableTime(NOW_MS);
  if (outcome.format === 'lp') {
    const out = decodeLineProtocol(text, { precision: outcome.precision, nowUs: NOW_US, minTimeUs });
    return out.ok && out.batch.size > 0 ? pointsOf(out.batch) : null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const out = decodeJsonResults(value, NOW_US, minTimeUs);
  return out.ok ? pointsOf(out.batch) : null;
}

/** A 4xx whose JSON body has a known code matching the status and a message. */
function expectProblem(
  a: Answer,
  context: string,
): { code: string; message: string; line?: unknown; errors?: unknown } {
  expect(a.status, context).toBeGreaterThanOrEqual(400);
  expect(a.status, context).toBeLessThan(500);
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    throw new Error(`${context}: the error body is not JSON`);
  }
  expect(body, context).toMatchObject({ code: expect.any(String), message: expect.stringMatching(/\S/) });
  const problem = body as { code: string; message: string; line?: unknown; errors?: unknown };
  expect(Object.keys(ERROR_CODES), context).toContain(problem.code);
  expect(codeToStatus(problem.code as ErrorCode), context).toBe(a.status);
  return problem;
}

function check(srv: TestServer, r: FuzzRequest, a: Answer, ledger: Ledger): void {
  const context = `${r.method} ${r.path.slice(0, 300)} [${r.what.slice(0, 300)}] -> ${a.status} ${a.text.slice(0, 300)}`;
  ledger.requests++;
  ledger.statuses.set(a.status, (ledger.statuses.get(a.status) ?? 0) + 1);
  expect(a.status, `a 5xx: ${context}`).toBeLessThan(500);
  const o = r.outcome;
  switch (o.kind) {
    case 'stored': {
      expect(a.status, context).toBe(r.method === 'POST' && r.path.startsWith('/api/v1/results') ? 201 : 204);
      if (o.written !== undefined) expect(JSON.parse(a.text), context).toEqual({ written: o.written });
      ledger.add(o.points);
      return;
    }
    case 'refused': {
      const problem = expectProblem(a, context);
      if (o.status !== undefined) expect(a.status, context).toBe(o.status);
      if (o.code !== undefined) expect(problem.code, context).toBe(o.code);
      if (o.line !== undefined) {
        expect(problem.line, context).toBe(o.line);
        expect(problem.message, context).toMatch(new RegExp(`^line ${o.line}: `));
      }
      if (o.record !== undefined) {
        expect(problem.message, context).toMatch(new RegExp(`^record ${o.record}\\b`));
        expect(problem.errors, context).toEqual(expect.arrayContaining([expect.objectContaining({ index: o.record })]));
      }
      return;
    }
    case 'either': {
      const points = decodeDirectly(srv, o, r.body ?? new Uint8Array());
      if (points === null) {
        expectProblem(a, context);
        return;
      }
      expect(a.status, `decoding the body directly accepts it: ${context}`).toBe(o.format === 'lp' ? 204 : 201);
      ledger.add(points);
      return;
    }
    case 'read': {
      if (a.status === 200) {
        expect(a.type, context).toMatch(/^application\/json/);
        // Parsing a page of thousands of results here would hold up /ping on the test's account.
        if (a.text.length <= 65_536) expect(() => JSON.parse(a.text), context).not.toThrow();
        else expect(a.text.startsWith('{') && a.text.endsWith('}'), context).toBe(true);
        return;
      }
      expectProblem(a, context);
    }
  }
}

const auth = { Authorization: `Token ${TOKEN}` };

/** The store holds exactly what was accepted: every test result in full, and every series with its count. */
async function expectStored(srv: TestServer, ledger: Ledger): Promise<void> {
  const actual: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(`${srv.url}/api/v1/results?limit=10000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as {
      results: (Omit<StoredResult, 'time'> & { time: string })[];
      next_cursor: string | null;
    };
    for (const x of page.results) actual.push(canonical({ ...x, time: parseRfc3339(x.time)! }));
    cursor = page.next_cursor;
  } while (cursor);
  // One stored result per series and time, and it is one of the values the last round that wrote there sent.
  const stored = new Map<string, string>();
  const twice: string[] = [];
  for (const x of actual) {
    const r = JSON.parse(x) as [number, [string, string][]];
    const k = pointKey('test_result', Object.fromEntries(r[1]), r[0]);
    if (stored.has(k)) twice.push(x);
    stored.set(k, x);
  }
  expect(twice, 'two stored results of one series at one time').toEqual([]);
  const missing = [...ledger.results.keys()].filter((k) => !stored.has(k)).slice(0, 5);
  const extra = [...stored.keys()].filter((k) => !ledger.results.has(k)).slice(0, 5);
  const wrong = [...stored]
    .filter(([k, v]) => ledger.results.has(k) && !ledger.results.get(k)!.candidates.has(v))
    .slice(0, 5);
  if (missing.length || extra.length || wrong.length) {
    throw new Error(
      `stored results differ from accepted ones (${stored.size} stored, ${ledger.results.size} accepted)\nmissing: ${missing.join('\n')}\nextra: ${extra.join('\n')}\n` +
        `not the last written: ${wrong.map(([k, v]) => `${v} instead of one of ${[...ledger.results.get(k)!.candidates].join(' | ')}`).join('\n')}`,
    );
  }

  const res = await fetch(`${srv.url}/api/v1/series?limit=100000`, { headers: auth });
  expect(res.status).toBe(200);
  const { series } = (await res.json()) as { series: { measurement: string; tags: Tags; count: number }[] };
  const counts = new Map<string, number>();
  for (const s of series) counts.set(seriesKey(s.measurement, s.tags), s.count);
  const want = new Map<string, number>();
  for (const k of [...ledger.results.keys(), ...ledger.breakers.keys()]) {
    const [measurement, tags] = JSON.parse(k) as [string, [string, string][]];
    const sk = seriesKey(measurement, Object.fromEntries(tags));
    want.set(sk, (want.get(sk) ?? 0) + 1);
  }
  expect(Object.fromEntries([...counts].sort())).toEqual(Object.fromEntries([...want].sort()));
}

/**
 * Runs `numRuns` rounds of 1-4 concurrent requests against a fresh server while /ping is watched; then checks the
 * store against what was accepted, and the worst /ping latency.
 */
async function soak(
  requests: fc.Arbitrary<FuzzRequest>,
  numRuns: number,
  seed?: (srv: TestServer, ledger: Ledger) => Promise<void>,
): Promise<void> {
  const srv = await startFuzzServer();
  const ledger = new Ledger();
  let watch: PingWatch | null = null;
  try {
    await seed?.(srv, ledger);
    // A few requests of the same kinds before the clock starts: the first of each kind loads and compiles modules
    // (TypeScript through the test runner's loader here, where the service runs built JavaScript).
    for (const r of fc.sample(requests, { numRuns: 12, seed: 1 })) {
      ledger.round++;
      check(srv, r, await send(srv, r), ledger);
    }
    const started = performance.now();
    watch = new PingWatch(srv.url);
    await fc.assert(
      fc.asyncProperty(fc.array(requests, { minLength: 1, maxLength: 4 }), async (batch) => {
        ledger.round++;
        const answers = await Promise.all(batch.map((r) => send(srv, r)));
        for (const [i, r] of batch.entries()) check(srv, r, answers[i]!, ledger);
      }),
      { numRuns },
    );
    const ping = await watch.stop();
    watch = null;
    const statuses = [...ledger.statuses]
      .sort(([x], [y]) => x - y)
      .map(([st, n]) => `${st}: ${n}`)
      .join(', ');
    console.log(
      `${ledger.requests} requests (${statuses}), ${ledger.accepted} results accepted, in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `${ping.pings} pings: the slowest answered ${ping.worstMs.toFixed(0)} ms after it was due, ${ping.worstOwnMs.toFixed(0)} ms less the main thread's waits for a CPU`,
    );
    await expectStored(srv, ledger);
    expect(ping.failures).toEqual([]);
    expect(ping.worstOwnMs, `worst /ping latency (less waits for a CPU) over ${ping.pings} pings`).toBeLessThan(
      PING_LIMIT_MS,
    );
  } finally {
    await watch?.stop();
    await srv.close();
  }
}

describe('fuzz and soak of the HTTP API (bounded by case counts)', () => {
  it('line protocol: valid bodies are stored exactly, broken ones get a 4xx with a message and store nothing, never a 500; /ping within 100 ms', async () => {
    await soak(
      withAuth(
        fc.oneof(
          { weight: 4, arbitrary: validLp },
          { weight: 3, arbitrary: brokenLp },
          { weight: 3, arbitrary: mutatedLp },
          { weight: 1, arbitrary: badLpRequest },
          { weight: 1, arbitrary: readRequest },
        ),
      ),
      150,
    );
  });

  it('JSON results: valid bodies are stored exactly, broken ones get a 4xx with a message and store nothing, never a 500; /ping within 100 ms', async () => {
    await soak(
      withAuth(
        fc.oneof(
          { weight: 4, arbitrary: validJson },
          { weight: 3, arbitrary: brokenJson },
          { weight: 3, arbitrary: mutatedJson },
          { weight: 1, arbitrary: badJsonRequest },
          { weight: 1, arbitrary: readRequest },
        ),
      ),
      150,
    );
  });

  it('reads with generated parameters answer 200 or a 4xx with a message, never a 500, beside writes; /ping within 100 ms', async () => {
    await soak(
      withAuth(
        fc.oneof(
          { weight: 6, arbitrary: readRequest },
          { weight: 1, arbitrary: validLp },
          { weight: 1, arbitrary: validJson },
        ),
      ),
      200,
      async (srv, ledger) => {
        // Data for the reads to find: a day of results over a few endpoints and regions, and some breaker events.
        const lines: string[] = [];
        const points: Points = { results: [], breakers: [] };
        for (let i = 0; i < 300; i++) {
          const t = { endpoint: ['a', 'b', 'c'][i % 3]!, region: ['eu', 'us'][i % 2]!, test: `t${i % 7}` };
          const us = NOW_US - i * 300_000_000;
          lines.push(
            `test_result,endpoint=${t.endpoint},region=${t.region},test=${t.test} success=${i % 5 !== 0},latency_ms=${i % 97},throughput=${i} ${us}000`,
          );
          points.results.push({
            time: us,
            success: i % 5 !== 0,
            latency_ms: i % 97,
            metrics: { throughput: i },
            error: null,
            error_type: null,
            tags: t,
          });
          if (i % 30 === 0) {
            lines.push(`circuit_breaker,breaker=b${i % 4},endpoint=${t.endpoint} state="open",failures=${i}i ${us}000`);
            points.breakers.push({ tags: { breaker: `b${i % 4}`, endpoint: t.endpoint }, time: us });
          }
        }
        const res = await fetch(`${srv.url}/api/v2/write`, {
          method: 'POST',
          headers: { ...lpHeaders, ...auth },
          body: lines.join('\n'),
        });
        expect(res.status).toBe(204);
        ledger.add(points);
      },
    );
  });
});
