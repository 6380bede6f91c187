// Percentiles ranked by counting (ranked-quantiles.ts) on a real in-memory DuckDB, against a direct type-7
// computation over the sorted values, with histograms of very few bins and small fetch limits so that every path
// is taken: refining a bin that holds too many values, reading a bin's values, and a bin of one value repeated.
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type7 } from '../../../test/support/helpers.js';
import type { DuckDBConnection } from './db.js';
import { rankedQuantiles } from './ranked-quantiles.js';
import { ParamBag } from './sql.js';

let conn: DuckDBConnection;
beforeAll(async () => {
  conn = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => conn.closeSync());

/**
 * Ranks `values` as group 0 and, in the same passes, the values v / 3 + 1 (and 1 more, a group of its own values) as
 * group 1, with these bins and fetch limit; rows of a third key are in the table but not selected.
 */
async function ranked(values: number[], fetchLimit: number, bins: number): Promise<[number[], number[]]> {
  const other = [...values.map((v) => v / 3 + 1), 1];
  await conn.run('CREATE OR REPLACE TABLE t (k VARCHAR, v DOUBLE)');
  const app = await conn.createAppender('t');
  const add = (k: string, v: number) => {
    app.appendVarchar(k);
    app.appendDouble(v);
    app.endRow();
  };
  for (const v of values) add('x', v);
  for (const v of other) add('y', v);
  for (const v of values) add('z', v - 1);
  app.flushSync();
  app.closeSync();
  const group = (g: number, vs: number[]) => ({ g, n: vs.length, min: Math.min(...vs), max: Math.max(...vs) });
  const got = await rankedQuantiles(
    conn,
    () => new ParamBag(),
    (p) => `SELECT CASE k WHEN 'x' THEN 0 ELSE 1 END AS g, v FROM t WHERE k IN (${p.str('x')}, ${p.str('y')})`,
    [group(0, values), group(1, other)],
    fetchLimit,
    bins,
  );
  return [got.get(0)!, got.get(1)!];
}

const expected = (values: number[]) => [0.5, 0.95, 0.99].map((q) => type7(values, q));

describe('rankedQuantiles', () => {
  it.each([
    ['spread', Array.from({ length: 997 }, (_, i) => ((i * 7919) % 1009) / 7 - 40)],
    ['ties', Array.from({ length: 600 }, (_, i) => [3, 3, 3, 5, 5, 8][i % 6]!)],
    ['one value', Array.from({ length: 50 }, () => 2.5)],
    ['heavy tail', Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? 1e9 : 100 + (i % 3) * 1e-9))],
    [
      'extremes',
      Array.from({ length: 400 }, (_, i) =>
        i % 50 === 1 ? -1.7e308 : [1.7e308, 1e-300, 0, 1e300, 4.9e-324, -3][i % 6]! * (1 + (i % 5) / 100),
      ),
    ],
    ['two', [1, 2]],
    ['one', [7]],
  ])('equals type 7 over the sorted values: %s', async (_name, values) => {
    for (const [fetchLimit, bins] of [
      [1, 2],
      [3, 2],
      [5, 3],
      [10, 16],
      [100_000, 4096],
      [1, 4096],
    ] as const) {
      expect(await ranked(values, fetchLimit, bins), `fetchLimit ${fetchLimit}, bins ${bins}`).toEqual([
        expected(values),
        expected([...values.map((v) => v / 3 + 1), 1]),
      ]);
    }
  });

  it('ranks many groups in the same passes, each equal to type 7 over its own values', async () => {
    // 200 groups of 1 to 300 values, shapes differing by group; a histogram of 16 bins and reads of at most 8 values,
    // so most groups need several passes, all of them shared.
    const groups = Array.from({ length: 200 }, (_, g) =>
      Array.from({ length: 1 + ((g * 37) % 300) }, (_, i) =>
        g % 3 === 0 ? (i * g) % 17 : Math.sin(i + g) * 10 ** (g % 7),
      ),
    );
    await conn.run('CREATE OR REPLACE TABLE m (g INTEGER, v DOUBLE)');
    const app = await conn.createAppender('m');
    groups.forEach((vs, g) => {
      for (const v of vs) {
        app.appendInteger(g);
        app.appendDouble(v);
        app.endRow();
      }
    });
    app.flushSync();
    app.closeSync();
    const got = await rankedQuantiles(
      conn,
      () => new ParamBag(),
      () => 'SELECT g, v FROM m',
      groups.map((vs, g) => ({ g, n: vs.length, min: Math.min(...vs), max: Math.max(...vs) })),
      8,
      16,
    );
    for (const [g, vs] of groups.entries()) expect(got.get(g), `group ${g}`).toEqual(expected(vs));
  });

  it('fails, never loops, on values outside the double range (the store keeps none)', async () => {
    const values = [1, 2, Number.POSITIVE_INFINITY, 3, Number.POSITIVE_INFINITY];
    await expect(
      rankedQuantiles(
        conn,
        () => new ParamBag(),
        (p) => `SELECT 0 AS g, unnest(${p.doubles(values)}) AS v`,
        [{ g: 0, n: values.length, min: 1, max: Number.POSITIVE_INFINITY }],
        1,
        4,
      ),
    ).rejects.toThrow();
  });

  it('equals type 7 for random values (property, 60 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
            fc.integer({ min: -3, max: 3 }),
          ),
          {
            minLength: 1,
            maxLength: 300,
          },
        ),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 2, max: 64 }),
        async (values, fetchLimit, bins) => {
          // -0 and 0 are one value to a sort; the direct computation may pick either.
          const vs = values.map((v) => (Object.is(v, -0) ? 0 : v));
          expect(await ranked(vs, fetchLimit, bins)).toEqual([
            expected(vs),
            expected([...vs.map((v) => v / 3 + 1), 1]),
          ]);
        },
      ),
      { numRuns: 60, seed: 20261207 },
    );
  });
});
