// The bytes parser against the complete parser: for every body, the same rows (or the same first bad line and
// message), whichever lines the bytes path decodes itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { decodeLineBytes } from './line-bytes.js';
import type { Precision } from './line-protocol.js';
import { type DecodeOutcome, decodeLineProtocol, SeriesCache, STRICT_RULES } from './validate.js';

const T = '1795255200123456789';

interface Opts {
  precision: Precision;
  nowUs: number;
  minTimeUs?: number;
  firstLine?: number;
}

/** An outcome as plain data: the rows, the untimed count, or the failure. */
function plain(o: DecodeOutcome) {
  if (!o.ok) return o;
  return {
    ok: true as const,
    rows: o.batch.resultRows().map((r) => ({ ...r, series: r.series.key })),
    breakers: o.batch.breakers.time.map((t, i) => [t, o.batch.breakers.series[i]!.key, o.batch.breakers.state[i]]),
    untimed: o.untimed,
    fingerprints: [...o.batch.failureKinds.keys()],
  };
}

/** Both parsers on `body`, each with its own cache (kept across calls by the caller as the worker keeps it). */
function both(body: string, opts: Opts, caches = { bytes: new SeriesCache(), text: new SeriesCache() }) {
  const stats = { bytes: 0, text: 0 };
  const bytes = plain(decodeLineBytes(Buffer.from(body), opts, caches.bytes, STRICT_RULES, stats));
  const text = plain(decodeLineProtocol(body, { ...opts, cache: caches.text, rules: STRICT_RULES }));
  return { bytes, text, stats };
}

const opts: Opts = { precision: 'ns', nowUs: 1_000_000 };

describe('line protocol from bytes', () => {
  it('decodes the common line itself, with the same rows as the complete parser', () => {
    const series = 'test_result,endpoint=a,region=eu';
    const body = [
      `${series} success=true,latency_ms=12.5,bytes=10i,ratio=-.25 ${T}`,
      `${series} success=f,latency_ms=0,error="timeout after 5000 ms",error_type="net" ${T.slice(0, -1)}8`,
      `${series}  success=TRUE   ${T}  `,
      `${series} success=True,latency_ms=7.`,
      `${series} success=false\r`,
      '   # a comment',
      '',
      `\t${series} success=1`,
    ].join('\n');
    const caches = { bytes: new SeriesCache(), text: new SeriesCache() };
    // The first body makes the series known; the second is then read by the bytes path (but for its bad last line).
    both(body.split('\n')[0]!, opts, caches);
    const { bytes, text, stats } = both(body, opts, caches);
    expect(bytes).toEqual(text);
    expect(text.ok).toBe(false);
    expect(bytes).toMatchObject({ line: 8, message: expect.stringContaining('success') });
    // Lines 1-5 from the bytes, the bad one by the complete parser (comments and blank lines are neither).
    expect(stats).toEqual({ bytes: 5, text: 1 });
    const good = both(body.split('\n').slice(0, 5).join('\n'), opts, caches);
    expect(good.bytes).toEqual(good.text);
    expect(good.bytes.ok && good.bytes.rows.map((r) => [r.success, r.latency, r.error, r.metrics])).toEqual([
      [true, 12.5, null, { bytes: 10, ratio: -0.25 }],
      [false, 0, 'timeout after 5000 ms', null],
      [true, null, null, null],
      [true, 7, null, null],
      [false, null, null, null],
    ]);
  });

  it('gives the complete parser every line it has a doubt about, with the same outcome', () => {
    const s = 'test_result,endpoint=a';
    const lines = [
      `${s} success=true,latency_ms=-1 ${T}`,
      `${s} success=true,latency_ms=1e3 ${T}`,
      `${s} success=true,latency_ms=1234567890123456 ${T}`,
      `${s} success=true,latency_ms=5u ${T}`,
      `${s} success=true,success=false ${T}`,
      `${s} success=true,n=1,n=2 ${T}`,
      `${s} success=true,_n=1 ${T}`,
      `${s} success="true" ${T}`,
      `${s} success=true,error=1 ${T}`,
      `${s} success=true,error="a\\"b" ${T}`,
      `${s} success=true,latency_ms=1 -5`,
      `${s} success=true,latency_ms=1 12345678901234567890`,
      `${s} success=true,latency_ms=1 ${T} x`,
      `${s} success=true,`,
      `${s} success=true,latency_ms=`,
      `${s} success=true,latency_ms=1,,`,
      `${s} latency_ms=1 ${T}`,
      `${s} success=true,error="unterminated`,
      `${s} success=true,flag=true ${T}`,
      `${s} success=true,name="x" ${T}`,
      `${s} success=true,error="x"y ${T}`,
      `${s}`,
      `${s} `,
      `test_result,endpoint=a\\ b success=true ${T}`,
      `test_result,endpoint=b success=true ${T}`,
      `circuit_breaker,breaker=b state="open" ${T}`,
      `${s} success=true,error="tab\\there" ${T}`,
    ];
    let fromText = 0;
    for (const line of lines) {
      for (const precision of ['ns', 'us', 'ms', 's', 'm', 'h'] as const) {
        const caches = { bytes: new SeriesCache(), text: new SeriesCache() };
        const o = { ...opts, precision, minTimeUs: 1 };
        both(`${s} success=true`, o, caches);
        const { bytes, text, stats } = both(`${s} success=true\n${line}`, o, caches);
        expect(bytes, `${line} (${precision})`).toEqual(text);
        fromText += stats.text;
      }
    }
    // Every one of these lines is the complete parser's (the first line of each body is the bytes path's).
    expect(fromText).toBe(lines.length * 6);
  });

  it('decodes lines at the edges of the common form itself, with the same rows', () => {
    const s = 'test_result,endpoint=a';
    const caches = { bytes: new SeriesCache(), text: new SeriesCache() };
    both(`${s} success=true`, opts, caches);
    const { bytes, text, stats } = both(
      [
        // 14 digits of microseconds; a metric named as an Object property; 15 significant digits.
        `${s} success=true 99999999999999999`,
        `${s} success=true,constructor=1 ${T}`,
        `${s} success=true,latency_ms=12345678901.2345 ${T}`,
        `${s} success=true,latency_ms=-0 ${T}`,
      ].join('\n'),
      opts,
      caches,
    );
    expect(bytes).toEqual(text);
    expect(stats).toEqual({ bytes: 4, text: 0 });
  });

  it('refuses points older than the retention allows, as the complete parser does', () => {
    const caches = { bytes: new SeriesCache(), text: new SeriesCache() };
    const o = { ...opts, minTimeUs: 1795255200123457 };
    both('test_result,endpoint=a success=true', o, caches);
    const { bytes, text } = both(`test_result,endpoint=a success=true ${T}`, o, caches);
    expect(bytes).toEqual(text);
    expect(bytes.ok).toBe(false);
  });

  it('numbers a slice as the body does, and keeps a byte-order mark only at the start of the body', () => {
    const line = Buffer.from('\uFEFFtest_result,endpoint=a success=true 5000');
    const first = decodeLineBytes(line, opts, new SeriesCache(), STRICT_RULES);
    expect(first.ok && first.batch.resultAt(0).time).toBe(5);
    const later = decodeLineBytes(line, { ...opts, firstLine: 40 }, new SeriesCache(), STRICT_RULES);
    expect(later).toMatchObject({ ok: false, line: 40, message: expect.stringContaining('not accepted') });
  });

  it('refuses a body that is not UTF-8 as a whole', () => {
    const body = Buffer.from([...Buffer.from('test_result,endpoint=a success=true 5\n'), 0xff, 0xfe]);
    expect(() => decodeLineBytes(body, opts, new SeriesCache(), STRICT_RULES)).toThrow(AppError);
  });

  it('agrees with the complete parser on generated bodies (1,000 cases)', () => {
    const word = fc.constantFrom('a', 'b', 'eu', 'x y', 'x,y', 'x=y', 'é', '\\', '"');
    const tagPart = fc.constantFrom('', ',endpoint=a', ',endpoint=b,region=eu', ',endpoint=a\\ b', ',=x', ',k');
    const value = fc.oneof(
      fc.constantFrom('true', 'f', 'T', 'FALSE', 'yes', '"s"', '""', '1i', '-2i', '3u', '1e2', '.5', '-', '', 'NaN'),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.integer().map(String),
      word.map((w) => `"${w}"`),
    );
    const key = fc.constantFrom('success', 'latency_ms', 'error', 'error_type', 'bytes', 'n', '_x', 'a b', 'a\\,b');
    const field = fc.tuple(key, value).map(([k, v]) => `${k}=${v}`);
    const stamp = fc.constantFrom('', ` ${T}`, ' 5000', ' -1', ' 1.5', '  42  ', ` ${T}0`, ' 99999999999999999999');
    const line = fc
      .tuple(
        fc.constantFrom('test_result', 'circuit_breaker', 'cpu'),
        tagPart,
        fc.array(field, { maxLength: 4 }),
        stamp,
      )
      .map(([m, t, f, ts]) => `${m}${t} ${f.join(',')}${ts}`);
    const known = 'test_result,endpoint=a success=true\ntest_result,endpoint=b,region=eu success=true';
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<Precision>('ns', 'ms', 's'),
        (ls, p) => {
          const caches = { bytes: new SeriesCache(), text: new SeriesCache() };
          const o = { ...opts, precision: p };
          both(known, o, caches);
          const { bytes, text } = both(ls.join('\n'), o, caches);
          expect(bytes).toEqual(text);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
