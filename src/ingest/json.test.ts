import { describe, expect, it } from 'vitest';
import { decodeJsonResults } from './json.js';

describe('JSON results', () => {
  it('accepts one object and arrays', () => {
    const one = decodeJsonResults({ success: true, latency_ms: 5, tags: { endpoint: 'a' } }, 7);
    expect(one.ok && one.batch.toArrays().time).toEqual([7]);
    const many = decodeJsonResults(
      [{ success: true }, { success: false, error: 'x', error_type: 'http', metrics: { t: 1 } }],
      7,
    );
    expect(many.ok && many.batch.size).toBe(2);
    expect(many.ok && many.batch.toArrays().metrics).toEqual([null, { t: 1 }]);
    // Untimed results are a microsecond apart in request order, so that they never replace each other.
    expect(many.ok && many.batch.toArrays().time).toEqual([7, 8]);
  });

  it('reads RFC 3339 (with offsets and fractions) and epoch milliseconds', () => {
    const r = decodeJsonResults(
      [
        { success: true, time: '2026-11-21T11:30:00.123456+01:30' },
        { success: true, time: 1795255200000 },
        { success: true, time: 1795255200000.25 },
      ],
      0,
    );
    expect(r.ok && r.batch.toArrays().time).toEqual([1795255200123456, 1795255200000000, 1795255200000250]);
  });

  it('reports index and path of every bad record and writes none', () => {
    const r = decodeJsonResults(
      [
        { success: true },
        { success: true, latency_ms: -2 },
        { latency_ms: 3 },
        { success: true, tags: { _x: 'y' } },
        { success: true, metrics: { success: 1 } },
        { success: true, time: 'yesterday' },
        { success: true, colour: 'red' },
        'text',
      ],
      0,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.index, e.path])).toEqual([
      [1, 'latency_ms'],
      [2, 'success'],
      [3, 'tags._x'],
      [4, 'metrics.success'],
      [5, 'time'],
      [6, ''],
      [7, ''],
    ]);
    expect(r.errors.find((e) => e.index === 6)!.message).toMatch(/unknown field\(s\) "colour"/);
    expect(r.message).toMatch(/^record 1 field "latency_ms": must not be negative/);
  });

  it('refuses more than 10,000 records, an empty array and old timestamps', () => {
    const big = decodeJsonResults(
      Array.from({ length: 10_001 }, () => ({ success: true })),
      0,
    );
    expect(!big.ok && big.message).toMatch(/at most 10000 records/);
    expect(decodeJsonResults([], 0).ok).toBe(false);
    const old = decodeJsonResults([{ success: true, time: '2001-01-01T00:00:00Z' }], 0, 1795000000000000);
    expect(!old.ok && old.errors[0]).toMatchObject({
      index: 0,
      path: 'time',
      message: expect.stringMatching(/older than the raw retention/),
    });
  });

  it('refuses control characters in error_type, and in error all but tab and line breaks', () => {
    const r = decodeJsonResults(
      [
        { success: false, error: 'boom\u0000' },
        { success: false, error_type: 'http\n' },
        { success: false, error: 'bell\u0007', error_type: 'x\u001b[31m' },
      ],
      0,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.index, e.path])).toEqual([
      [0, 'error'],
      [1, 'error_type'],
      [2, 'error'],
      [2, 'error_type'],
    ]);
    expect(r.errors[0]!.message).toMatch(/control character \(only tab, line feed and carriage return are allowed\)/);
    const ok = decodeJsonResults({ success: false, error: 'Traceback:\n\tat x.py:3\r\n', error_type: 'assert' }, 0);
    expect(ok.ok && ok.batch.toArrays().error).toEqual(['Traceback:\n\tat x.py:3\r\n']);
  });

  it('refuses a tag key or metric name "__proto__" instead of dropping it', () => {
    const r = decodeJsonResults(
      JSON.parse(
        '[{"success": true, "tags": {"__proto__": "x", "a": "b"}}, {"success": true, "metrics": {"__proto__": 1}}]',
      ),
      0,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => [e.index, e.path])).toEqual([
      [0, 'tags.__proto__'],
      [1, 'metrics.__proto__'],
    ]);
    expect(r.errors[0]!.message).toBe('"__proto__" is not allowed as a tag key');
  });
});
