// Table-driven line-protocol cases (test/support/fixtures/line-protocol.json): every escaping rule and value type,
// valid and invalid, after https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forEachLine, MAX_LINE_FIELDS, parseLine, parsePrecision, timestampToMicros } from './line-protocol.js';

interface Table {
  valid: {
    name: string;
    line: string;
    expect: { measurement: string; tags: [string, string][]; fields: unknown[]; timestamp: string | null };
  }[];
  invalid: { name: string; line: string; error: string }[];
}
const table = JSON.parse(
  readFileSync(new URL('../../test/support/fixtures/line-protocol.json', import.meta.url), 'utf8'),
) as Table;

describe('line protocol: valid lines', () => {
  it.each(table.valid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = parseLine(c.line, 1);
    expect(r.ok, r.ok ? '' : r.message).toBe(true);
    if (!r.ok) return;
    expect(r.point.measurement).toBe(c.expect.measurement);
    expect(r.point.tags).toEqual(c.expect.tags);
    expect(r.point.fields).toEqual(c.expect.fields);
    expect(r.point.timestamp).toBe(c.expect.timestamp);
  });
});

describe('line protocol: invalid lines', () => {
  it.each(table.invalid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = parseLine(c.line, 7);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(7);
    expect(r.message).toMatch(new RegExp(c.error));
  });
});

describe('splitting a body into lines', () => {
  it('skips blank lines and comments, drops CR, trims leading blanks, and counts every physical line', () => {
    const seen: [string, number][] = [];
    forEachLine('# header\r\n\r\n  m f=1\r\n\t# indented comment\nm f=2\n\n', (t, n) => {
      seen.push([t, n]);
    });
    expect(seen).toEqual([
      ['m f=1', 3],
      ['m f=2', 5],
    ]);
  });

  it('stops when the callback returns false', () => {
    const seen: number[] = [];
    forEachLine('a f=1\nb f=2\nc f=3', (_t, n) => {
      seen.push(n);
      return n < 2;
    });
    expect(seen).toEqual([1, 2]);
  });
});

describe('precisions and timestamps', () => {
  it('knows the v2 and v1 precision names', () => {
    expect(parsePrecision(undefined, false)).toBe('ns');
    expect(parsePrecision('us', false)).toBe('us');
    expect(parsePrecision('u', false)).toBeNull();
    expect(parsePrecision('h', false)).toBeNull();
    expect(parsePrecision('n', true)).toBe('ns');
    expect(parsePrecision('u', true)).toBe('us');
    expect(parsePrecision('m', true)).toBe('m');
    expect(parsePrecision('h', true)).toBe('h');
    expect(parsePrecision('d', true)).toBeNull();
  });

  it('converts every precision to microseconds, truncating nanoseconds', () => {
    expect(timestampToMicros('1795255200123456789', 'ns')).toBe(1795255200123456);
    expect(timestampToMicros('999', 'ns')).toBe(0);
    expect(timestampToMicros('1795255200123456', 'us')).toBe(1795255200123456);
    expect(timestampToMicros('1795255200123', 'ms')).toBe(1795255200123000);
    expect(timestampToMicros('1795255200', 's')).toBe(1795255200000000);
    expect(timestampToMicros('29920920', 'm')).toBe(1795255200000000);
    expect(timestampToMicros('498682', 'h')).toBe(1795255200000000);
    expect(timestampToMicros('-5', 'ns')).toBeLessThan(0);
  });

  it('keeps microseconds exactly near the end of the nanosecond range', () => {
    expect(timestampToMicros('9223372036854775806', 'ns')).toBe(Number(9223372036854775n));
  });
});

describe('wide lines', () => {
  const fieldsLine = (n: number, extra = ''): string =>
    `test_result,endpoint=a ${Array.from({ length: n }, (_, i) => `m${i}=${i}`).join(',')}${extra} 1700000000000000000`;

  it('refuses a line at its 257th field, and at its 65th tag', () => {
    expect(parseLine(fieldsLine(MAX_LINE_FIELDS), 1)).toMatchObject({ ok: true });
    expect(parseLine(fieldsLine(50_000), 3)).toEqual({
      ok: false,
      line: 3,
      message: `more than ${MAX_LINE_FIELDS} fields`,
    });
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `t${i}=v`).join(',');
    expect(parseLine(`test_result,${tags(64)} success=true`, 1)).toMatchObject({ ok: true });
    expect(parseLine(`test_result,${tags(100_000)} success=true`, 2)).toEqual({
      ok: false,
      line: 2,
      message: 'more than 64 tags',
    });
  });

  it('finds a repeated field among many', () => {
    expect(parseLine(fieldsLine(200, ',m3=9'), 1)).toEqual({
      ok: false,
      line: 1,
      message: 'field "m3" appears more than once',
    });
    expect(parseLine(fieldsLine(10, ',m9=1'), 1)).toEqual({
      ok: false,
      line: 1,
      message: 'field "m9" appears more than once',
    });
    expect(parseLine(fieldsLine(17, ',m16=1'), 1)).toEqual({
      ok: false,
      line: 1,
      message: 'field "m16" appears more than once',
    });
  });

  it('costs about as much for a line a hundred times wider, not ten thousand times as much', () => {
    // Best of several timings of each (a busy machine slows some); the bound sits far from both 100 and 10,000.
    const best = (line: string, reps: number): number => {
      let min = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = performance.now();
        for (let r = 0; r < reps; r++) parseLine(line, 1);
        min = Math.min(min, (performance.now() - t) / reps);
      }
      return min;
    };
    const narrow = best(fieldsLine(250), 200);
    const wide = best(fieldsLine(25_000), 5);
    expect(wide / narrow).toBeLessThan(1000);
  });
});
