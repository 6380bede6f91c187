// SQL building blocks shared by rollups and reads. Every value reaches DuckDB as a bound parameter; the only
// text spliced into SQL is parameter names and constants generated here.
import { HOUR_MS, QUARTER_MS } from '../../time/buckets.js';
import type { Range } from '../../time/ranges.js';
import {
  BIGINT_LIST,
  bigintList,
  DOUBLE_LIST,
  INT_LIST,
  intList,
  listValue,
  type Params,
  type ParamTypes,
  T,
  tsValue,
  VARCHAR_LIST,
} from './db.js';

/** Collects named parameters while a statement is assembled. */
export class ParamBag {
  readonly values: Params = {};
  readonly types: ParamTypes = {};
  private n = 0;

  /** A TIMESTAMPTZ parameter from epoch ms. */
  ts(ms: number): string {
    const name = `t${this.n++}`;
    this.values[name] = tsValue(ms * 1000);
    this.types[name] = T.TIMESTAMPTZ;
    return `$${name}`;
  }

  /** A TIMESTAMPTZ parameter from epoch µs. */
  tsUs(us: number): string {
    const name = `t${this.n++}`;
    this.values[name] = tsValue(us);
    this.types[name] = T.TIMESTAMPTZ;
    return `$${name}`;
  }

  str(s: string): string {
    const name = `s${this.n++}`;
    this.values[name] = s;
    this.types[name] = T.VARCHAR;
    return `$${name}`;
  }

  doubles(xs: readonly number[]): string {
    const name = `l${this.n++}`;
    this.values[name] = listValue(xs as number[]);
    this.types[name] = DOUBLE_LIST;
    return `$${name}`;
  }

  bigint(x: number): string {
    const name = `i${this.n++}`;
    this.values[name] = BigInt(Math.trunc(x));
    this.types[name] = T.BIGINT;
    return `$${name}`;
  }

  bigints(xs: readonly number[]): string {
    const name = `l${this.n++}`;
    this.values[name] = bigintList(xs);
    this.types[name] = BIGINT_LIST;
    return `$${name}`;
  }

  /** An INTEGER[] parameter whose null entries stay NULL. */
  intsOrNull(xs: readonly (number | null)[]): string {
    const name = `l${this.n++}`;
    this.values[name] = listValue(xs as number[]);
    this.types[name] = INT_LIST;
    return `$${name}`;
  }

  /** A VARCHAR[] parameter; null entries stay NULL. */
  strs(xs: readonly (string | null)[]): string {
    const name = `l${this.n++}`;
    this.values[name] = listValue(xs as string[]);
    this.types[name] = VARCHAR_LIST;
    return `$${name}`;
  }

  ints(xs: readonly number[]): string {
    const name = `l${this.n++}`;
    this.values[name] = intList(xs);
    this.types[name] = INT_LIST;
    return `$${name}`;
  }
}

/**
 * The sum of squared deviations of `v` over a group (n · var_pop), as SQL. DuckDB's var_pop fails the whole statement
 * ("VARPOP is out of range") once the variance leaves the double range: one write of metric values beyond ±1e154 of
 * both signs in an hour made every aggregate over it a 500 and stopped the rollup there. A group with a value beyond
 * ±1e150 gets +Infinity instead (its stddev shows as null, like the mean of a sum that overflows); below that bound
 * this is var_pop itself.
 */
export function sumOfSquaresSql(v: string): string {
  const huge = `abs(${v}) > 1e150`;
  return `CASE WHEN bool_or(${huge}) THEN 'Infinity'::DOUBLE ELSE var_pop(CASE WHEN ${huge} THEN 0 ELSE ${v} END) * count(${v}) END`;
}

/** `(col >= a AND col < b) OR ...` for TIMESTAMPTZ `col`; FALSE for no ranges. */
export function rangesPredicate(p: ParamBag, col: string, ranges: readonly Range[]): string {
  if (ranges.length === 0) return 'FALSE';
  const lo = Math.min(...ranges.map((r) => r[0]));
  const hi = Math.max(...ranges.map((r) => r[1]));
  // The hull first, so DuckDB can skip row groups by their min/max before testing the ranges.
  const hull = `${col} >= ${p.ts(lo)} AND ${col} < ${p.ts(hi)}`;
  if (ranges.length === 1) return `(${hull})`;
  return `(${hull} AND (${ranges.map(([a, b]) => `(${col} >= ${p.ts(a)} AND ${col} < ${p.ts(b)})`).join(' OR ')}))`;
}

/**
 * How rows are mapped to buckets, as SQL expressions on a row's TIMESTAMPTZ column (no join where it can be
 * avoided: a hash join of every raw row with a lookup table cost 1.7 s of a 1.8 s percentile query over 10 M rows,
 * the arithmetic below 0.1 s). Equal buckets (hours, or one bucket) are arithmetic on the epoch; unequal ones whose
 * boundaries are all whole hours or quarter hours (days, weeks, months in a zone) index a list with one entry per
 * slot, up to MAX_SLOTS; anything else (historical local-mean-time offsets, very long spans) takes an ASOF join.
 */
export interface BucketMap {
  /** A CTE for the query's WITH list (a trivial one when the map needs none). */
  cte: string;
  /** FROM-clause addition for rows of alias `alias` with column `col` ('' for the expression maps). */
  join(alias: string, col: string): string;
  /** The bucket index (0-based) of `alias.col`. */
  index(alias: string, col: string): string;
  /** The start (epoch µs) of the bucket of `alias.col`. */
  start(alias: string, col: string): string;
}

/** Longest slot list a map builds (about eleven years of hours); longer spans use an ASOF join. */
export const MAX_SLOTS = 100_000;

export function bucketMap(p: ParamBag, boundaries: readonly number[], slotMs: number): BucketMap {
  const starts = boundaries.slice(0, -1);
  const b0 = boundaries[0]!;
  const width = (boundaries[1] ?? b0) - b0;
  if (boundaries.every((b, i) => b === b0 + i * width)) {
    const origin = p.bigint(b0 * 1000);
    const w = p.bigint(width * 1000);
    const index = (a: string, c: string) => `((epoch_us(${a}.${c}) - ${origin}) // ${w})`;
    return {
      cte: `bm AS (SELECT 1 AS one)`,
      join: () => '',
      index: (a, c) => `${index(a, c)}::INTEGER`,
      start: (a, c) => `(${origin} + ${index(a, c)} * ${w})`,
    };
  }
  const bn = boundaries[boundaries.length - 1]!;
  if ((slotMs === HOUR_MS || slotMs === QUARTER_MS) && (bn - b0) / slotMs <= MAX_SLOTS) {
    // One entry per slot from the slot holding b0 to the one holding the last instant before bn. With `slotMs`
    // the interior slot (interiorSlotFor), b0 and bn may cut their slots: those rows belong to the first and last
    // bucket, and callers read only rows inside [b0, bn).
    const firstSlot = Math.floor(b0 / slotMs);
    const bidx: number[] = [];
    let i = 0;
    for (let t = firstSlot * slotMs; t < bn; t += slotMs) {
      while (i < starts.length - 1 && boundaries[i + 1]! <= t) i++;
      bidx.push(i);
    }
    const slotUs = p.bigint(slotMs * 1000);
    const first = p.bigint(firstSlot);
    const lk = p.ints(bidx);
    // Made on first use: a bound parameter the statement does not use is an error.
    let bs: string | undefined;
    const index = (a: string, c: string) =>
      `list_extract(${lk}, (epoch_us(${a}.${c}) // ${slotUs} - ${first})::INTEGER + 1)`;
    return {
      cte: `bm AS (SELECT 1 AS one)`,
      join: () => '',
      index,
      start: (a, c) => `list_extract(${(bs ??= p.bigints(starts.map((b) => b * 1000)))}, ${index(a, c)} + 1)`,
    };
  }
  const bstarts = starts.map((b) => b * 1000);
  return {
    cte: `bd AS (SELECT make_timestamptz(unnest(${p.bigints(bstarts)})) AS t, unnest(${p.ints(starts.map((_, i) => i))}) AS b, unnest(${p.bigints(bstarts)}) AS bstart)`,
    join: (alias, col) => `ASOF JOIN bd ON ${alias}.${col} >= bd.t`,
    index: () => 'bd.b',
    start: () => 'bd.bstart',
  };
}
