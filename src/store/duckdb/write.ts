// Bulk appends through DuckDB's appender, column by column in data chunks (measured ~1.4 M rows/s here, against
// ~0.5 M/s for row-wise appends; bench/ingest.ts measures the whole path).

import bindings, { type Vector } from '@duckdb/node-bindings';
import { nextTurn } from '../../event-loop.js';
import type { FailureKind } from '../../model/fingerprint.js';
import type { SparseColumn, WriteBatch } from '../../model/result.js';
import { type DuckDBConnection, DuckDBDataChunk, type DuckDBValue, mapValue, T, tsValue } from './db.js';
import type { SeriesRecord } from './series-registry.js';
import { ParamBag } from './sql.js';

/**
 * Rows per data chunk, and rows the appender buffers before it hands them to the transaction (a whole number of
 * chunks). Series rows are costlier (a MAP of tags each, and two indexes to insert into at the flush): smaller
 * slices keep each synchronous step of a write of 100,000 new series short.
 */
interface Slices {
  chunk: number;
  flushRows: number;
}
// 2,048 rows: a data chunk holds at most DuckDB's vector size.
const ROWS: Slices = { chunk: 2048, flushRows: 8192 };
const SERIES: Slices = { chunk: 1024, flushRows: 1024 };

type Column = DuckDBValue[];

/** Appends `rows` rows to `table` a data chunk at a time, each filled by `fill` with rows `from..to`. */
async function appendChunks(
  conn: DuckDBConnection,
  table: string,
  types: Parameters<typeof DuckDBDataChunk.create>[0],
  rows: number,
  fill: (chunk: InstanceType<typeof DuckDBDataChunk>, from: number, to: number) => void,
  slices: Slices = ROWS,
): Promise<void> {
  if (rows === 0) return;
  const appender = await conn.createAppender(table);
  try {
    for (let from = 0; from < rows; from += slices.chunk) {
      const to = Math.min(rows, from + slices.chunk);
      const chunk = DuckDBDataChunk.create(types, to - from);
      fill(chunk, from, to);
      appender.appendDataChunk(chunk);
      // Converting values and flushing (index inserts included) are synchronous: flush in slices and let the
      // event loop serve requests between chunks, so that a write of 100,000 new series never holds it for long.
      if (to % slices.flushRows === 0 || to === rows) appender.flushSync();
      if (to < rows) await nextTurn();
    }
  } catch (e) {
    // Closing an appender of a failed transaction throws too: keep the first error, which says what went wrong.
    try {
      appender.closeSync();
    } catch {
      // the transaction is rolled back by the caller
    }
    throw e;
  }
  appender.closeSync();
}

/** appendChunks with the rows as values, column by column (the client library converts each). */
function appendColumns(
  conn: DuckDBConnection,
  table: string,
  types: Parameters<typeof DuckDBDataChunk.create>[0],
  rows: number,
  fill: (cols: Column[], from: number, to: number) => void,
  slices: Slices = ROWS,
): Promise<void> {
  return appendChunks(
    conn,
    table,
    types,
    rows,
    (chunk, from, to) => {
      const cols: Column[] = types.map(() => new Array<DuckDBValue>(to - from));
      fill(cols, from, to);
      chunk.setColumns(cols);
    },
    slices,
  );
}

const TAGS_MAP = T.MAP(T.VARCHAR, T.VARCHAR);
const METRICS_MAP = T.MAP(T.VARCHAR, T.DOUBLE);

export async function appendSeries(conn: DuckDBConnection, fresh: SeriesRecord[], nowMs: number): Promise<void> {
  await appendColumns(
    conn,
    'series',
    [T.INTEGER, T.VARCHAR, T.VARCHAR, TAGS_MAP, T.TIMESTAMPTZ, T.VARCHAR],
    fresh.length,
    (c, a, b) => {
      for (let i = a; i < b; i++) {
        const s = fresh[i]!;
        const j = i - a;
        c[0]![j] = s.id;
        c[1]![j] = s.measurement;
        c[2]![j] = s.key;
        c[3]![j] = mapValue(Object.entries(s.tags).map(([key, value]) => ({ key, value })));
        c[4]![j] = tsValue(nowMs * 1000);
        c[5]![j] = s.config;
      }
    },
    SERIES,
  );
}

/** Scratch for the 64-bit columns of a chunk (ROWS.chunk rows), written as pairs of 32-bit halves (no BigInt per row). */
const scratchTime = new Uint32Array(ROWS.chunk * 2);
const scratchId = new Uint32Array(ROWS.chunk * 2);
const TWO_32 = 2 ** 32;

/** A safe integer (|v| < 2^53) into the 64-bit little-endian slot `j` of `out`; anything else throws. */
function putInt64(out: Uint32Array, j: number, v: number): void {
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    const lo = v % TWO_32;
    out[2 * j] = lo;
    out[2 * j + 1] = (v - lo) / TWO_32;
  } else if (Number.isSafeInteger(v)) {
    new BigInt64Array(out.buffer, out.byteOffset + 8 * j, 1)[0] = BigInt(v);
  } else throw new Error(`${v} cannot be stored as a 64-bit integer`);
}

/** Copies a typed array into a vector's data, from its first row. */
function copyTo(
  vector: Vector,
  data: Int32Array | Uint32Array | Float64Array | Uint8Array,
  bytes = data.byteLength,
): void {
  bindings.copy_data_to_vector(vector, 0, data.buffer as ArrayBuffer, data.byteOffset, bytes);
}

/** Marks rows of a vector null: `valid(i)` false for them (only called when some row is null). */
function setValidity(vector: Vector, rows: number, valid: (i: number) => boolean): void {
  const bits = new Uint8Array(Math.ceil(rows / 64) * 8).fill(0xff);
  for (let i = 0; i < rows; i++) if (!valid(i)) bits[i >> 3]! &= ~(1 << (i & 7));
  bindings.vector_ensure_validity_writable(vector);
  bindings.copy_data_to_vector_validity(vector, 0, bits.buffer, 0, bits.byteLength);
}

/** The rows `from..to` of a sparse column of strings into a VARCHAR vector, the others null. */
function putStrings(vector: Vector, col: SparseColumn<string>, from: number, to: number): void {
  const { rows, values } = col;
  let k = col.indexFrom(from);
  const set = new Set<number>();
  for (; k < rows.length && rows[k]! < to; k++) {
    bindings.vector_assign_string_element(vector, rows[k]! - from, values[k]!);
    set.add(rows[k]! - from);
  }
  if (set.size < to - from) setValidity(vector, to - from, (i) => set.has(i));
}

/** The rows `from..to` of the metrics into a MAP(VARCHAR, DOUBLE) vector (a list of key/value structs). */
function putMetrics(vector: Vector, col: SparseColumn<Record<string, number>>, from: number, to: number): void {
  const { rows, values } = col;
  const n = to - from;
  const entries = new Uint32Array(n * 4);
  const keys: string[] = [];
  const nums: number[] = [];
  const present = new Set<number>();
  for (let k = col.indexFrom(from); k < rows.length && rows[k]! < to; k++) {
    const j = rows[k]! - from;
    const m = values[k]!;
    const start = keys.length;
    for (const key in m) {
      keys.push(key);
      nums.push(m[key]!);
    }
    putInt64(entries, 2 * j, start);
    putInt64(entries, 2 * j + 1, keys.length - start);
    present.add(j);
  }
  bindings.list_vector_reserve(vector, keys.length);
  bindings.list_vector_set_size(vector, keys.length);
  if (keys.length > 0) {
    const child = bindings.list_vector_get_child(vector);
    const keyVector = bindings.struct_vector_get_child(child, 0);
    for (let e = 0; e < keys.length; e++) bindings.vector_assign_string_element(keyVector, e, keys[e]!);
    copyTo(bindings.struct_vector_get_child(child, 1), Float64Array.from(nums));
  }
  copyTo(vector, entries);
  if (present.size < n) setValidity(vector, n, (i) => present.has(i));
}

const RESULT_TYPES = [
  T.BIGINT,
  T.TIMESTAMPTZ,
  T.INTEGER,
  T.BOOLEAN,
  T.DOUBLE,
  METRICS_MAP,
  T.VARCHAR,
  T.VARCHAR,
  T.VARCHAR,
];

/**
 * The batch's results into `results`, ids from `firstId` on. The columns go into DuckDB's vectors as whole typed
 * arrays (the value-by-value path of the client library cost a boxed value, and for timestamps and ids a BigInt,
 * per row): ~1 µs a row with the commit, on this machine.
 */
export async function appendResults(
  conn: DuckDBConnection,
  batch: WriteBatch,
  seriesIds: Int32Array,
  firstId: number,
): Promise<void> {
  const r = batch.results;
  const time = r.time;
  const success = r.success;
  const latency = r.latency;
  await appendChunks(conn, 'results', RESULT_TYPES, r.length, (chunk, from, to) => {
    const n = to - from;
    const v = (col: number) => bindings.data_chunk_get_vector(chunk.chunk, col);
    let nan = false;
    for (let j = 0; j < n; j++) {
      putInt64(scratchId, j, firstId + from + j);
      putInt64(scratchTime, j, Math.trunc(time[from + j]!));
      if (Number.isNaN(latency[from + j]!)) nan = true;
    }
    copyTo(v(0), scratchId, n * 8);
    copyTo(v(1), scratchTime, n * 8);
    copyTo(v(2), seriesIds.subarray(from, to));
    copyTo(v(3), success.subarray(from, to));
    const lat = latency.subarray(from, to);
    copyTo(v(4), lat);
    if (nan) setValidity(v(4), n, (j) => !Number.isNaN(lat[j]!));
    putMetrics(v(5), r.metrics, from, to);
    putStrings(v(6), r.error, from, to);
    putStrings(v(7), r.errorType, from, to);
    putStrings(v(8), r.fingerprint, from, to);
  });
}

export async function appendBreakers(
  conn: DuckDBConnection,
  batch: WriteBatch,
  seriesIds: number[],
  firstId: number,
): Promise<void> {
  const e = batch.breakers;
  await appendColumns(
    conn,
    'breaker_events',
    [T.BIGINT, T.TIMESTAMPTZ, T.INTEGER, T.VARCHAR, T.BIGINT],
    e.time.length,
    (c, a, b) => {
      for (let i = a; i < b; i++) {
        const j = i - a;
        c[0]![j] = BigInt(firstId + i);
        c[1]![j] = tsValue(e.time[i]!);
        c[2]![j] = seriesIds[i]!;
        c[3]![j] = e.state[i]!;
        const f = e.failures[i];
        c[4]![j] = f === null || f === undefined ? null : BigInt(f);
      }
    },
  );
}

/**
 * One row per series and timestamp, the last written winning (InfluxDB's rule, so a retried write is not counted
 * twice): after a write's rows are appended (ids from `firstId` on), deletes every row they replace, stored ones
 * and earlier ones of the same write. Only the write's time span is scanned; the row groups' zone maps skip the
 * rest, so a live write looks at the newest rows only.
 */
export async function replaceEarlier(
  conn: DuckDBConnection,
  table: 'results' | 'breaker_events',
  firstId: number,
  times: ArrayLike<number> & Iterable<number>,
): Promise<void> {
  if (times.length === 0) return;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  await conn.run(
    `DELETE FROM ${table} AS old
     WHERE old.time BETWEEN $lo AND $hi
       AND EXISTS (SELECT 1 FROM ${table} AS new
                   WHERE new.id >= $first AND new.time BETWEEN $lo AND $hi
                     AND new.series_id = old.series_id AND new.time = old.time AND new.id > old.id)`,
    { lo: tsValue(lo), hi: tsValue(hi), first: BigInt(firstId) },
    { lo: T.TIMESTAMPTZ, hi: T.TIMESTAMPTZ, first: T.BIGINT },
  );
}

/** Records what the batch's fingerprints stand for; known ones are kept as they are (the first meaning wins). */
export async function upsertFingerprints(conn: DuckDBConnection, kinds: Iterable<FailureKind>): Promise<void> {
  const list = [...kinds];
  if (list.length === 0) return;
  const p = new ParamBag();
  await conn.run(
    `INSERT OR IGNORE INTO fingerprints (fingerprint, category, error_type, pattern)
     SELECT unnest(${p.strs(list.map((k) => k.fingerprint))}), unnest(${p.strs(list.map((k) => k.category))}),
            unnest(${p.strs(list.map((k) => k.errorType))}), unnest(${p.strs(list.map((k) => k.pattern))})`,
    p.values,
    p.types,
  );
}
