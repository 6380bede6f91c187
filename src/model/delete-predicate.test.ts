// The delete predicate's parser and printer: what the InfluxDB store sends is what the API was given, and the
// range InfluxDB gets is written to the nanosecond.
import { describe, expect, it } from 'vitest';
import { rfc3339Ns } from '../store/influxdb/index.js';
import { formatDeletePredicate, parseDeletePredicate } from './delete-predicate.js';

describe('delete predicates', () => {
  it('prints a predicate that parses back to the same measurement and tags, quotes and backslashes included', () => {
    const p = {
      measurement: 'test_result' as const,
      tags: { endpoint: 'a "quoted" \\ value', 'region.name': 'eu-west' },
    };
    const text = formatDeletePredicate(p);
    expect(text).toBe('_measurement="test_result" AND endpoint="a \\"quoted\\" \\\\ value" AND region.name="eu-west"');
    expect(parseDeletePredicate(text)).toEqual(p);
    expect(parseDeletePredicate('   ')).toEqual({ tags: {} });
    expect(formatDeletePredicate({ tags: {} })).toBe('');
  });

  it('writes InfluxDB range ends to the nanosecond, inclusive', () => {
    expect(rfc3339Ns(1_763_719_200_000_000_000n)).toBe('2025-11-21T10:00:00.000000000Z');
    expect(rfc3339Ns(1_763_719_200_000_000_000n - 1n)).toBe('2025-11-21T09:59:59.999999999Z');
    expect(rfc3339Ns(0n)).toBe('1970-01-01T00:00:00.000000000Z');
  });
});
