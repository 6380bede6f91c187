// SQL building blocks shared by rollups and reads. Every value reaches DuckDB as a bound parameter; the only
// text spliced into SQL is parameter names and constants generated here.
import { HOUR_MS, QUARTER_MS } from '../../time/buckets.js';
import type { Range } from '../../time/ranges.js';
import {
  BIGINT_LIST,
  bigintList,
  INT_LIST,
  intList,
  listValue,
  type ParamTypes,
  type Params,
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

  str(s: string): string {
    const name = `s${this.n++}`;
    this.values[name] = s;
    this.types[name] = T.VARCHAR;
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
 * How rows are mapped to buckets. With a slot (1 h or 15 min) every boundary is a multiple of, rows join a
 * small lookup table on their integer slot number, which DuckDB does at memory speed (bench/bucketing.ts: 2 M
 * rows into Berlin days in 0.06 s, against 0.13 s for an ASOF join and 14.7 s for time_bucket(INTERVAL 1 DAY,
 * ts, tz)). Without a slot (only historical local-mean-time offsets), an ASOF join on the boundaries.
 */
export interface BucketMap {
  /** CTE text defining `lk(slot, b, bstart)` or `bd(t, b, bstart)`. */
  cte: string;
  /** JOIN clause mapping rows of alias `alias` with TIMESTAMPTZ column `col` to `lk.b` / `lk.bstart`. */
  join(alias: string, col: string): string;
  /** Name of the relation that carries b and bstart. */
  rel: string;
}

export function bucketMap(p: ParamBag, boundaries: readonly number[], slotMs: number): BucketMap {
  const starts = boundaries.slice(0, -1);
  if (slotMs === HOUR_MS || slotMs === QUARTER_MS) {
    const slots: number[] = [];
    const bidx: number[] = [];
    const bstart: number[] = [];
    for (let i = 0; i < starts.length; i++) {
      for (let t = boundaries[i]!; t < boundaries[i + 1]!; t += slotMs) {
        slots.push(t / slotMs);
        bidx.push(i);
        bstart.push(boundaries[i]! * 1000);
      }
    }
    const slotUs = p.bigint(slotMs * 1000);
    return {
      cte: `lk AS (SELECT unnest(${p.bigints(slots)}) AS slot, unnest(${p.ints(bidx)}) AS b, unnest(${p.bigints(bstart)}) AS bstart)`,
      join: (alias, col) => `JOIN lk ON epoch_us(${alias}.${col}) // ${slotUs} = lk.slot`,
      rel: 'lk',
    };
  }
  const bstarts = starts.map((b) => b * 1000);
  return {
    cte: `bd AS (SELECT make_timestamptz(unnest(${p.bigints(bstarts)})) AS t, unnest(${p.ints(starts.map((_, i) => i))}) AS b, unnest(${p.bigints(bstarts)}) AS bstart)`,
    join: (alias, col) => `ASOF JOIN bd ON ${alias}.${col} >= bd.t`,
    rel: 'bd',
  };
}
