// A WriteBatch as plain typed arrays, to move it between threads without copying row objects: the parse
// workers send batches this way (transferring the buffers), and the main thread rebuilds them. Series travel as
// their keys (model/result.ts seriesKey: JSON of the measurement and the sorted tags), strings being far cheaper
// to copy between threads than objects; the main thread rebuilds them in slices between turns of its event loop,
// so that a body of 100,000 new series does not hold it up (it held it for ~0.7 s as objects, rebuilt at once).
import { nextTurn } from '../event-loop.js';
import type { FailureKind } from '../model/fingerprint.js';
import {
  type BreakerState,
  type Measurement,
  ResultColumns,
  type SeriesRef,
  type Tags,
  WriteBatch,
} from '../model/result.js';

export interface PackedBatch {
  /** Series keys (seriesKey), in the order of the batch's series. */
  series: string[];
  results: {
    series: Int32Array;
    time: Float64Array;
    success: Uint8Array;
    /** NaN for no latency */
    latency: Float64Array;
    /** sparse: the rows that have a value, and their values (a SparseColumn as it crosses threads) */
    metrics: Sparse<Record<string, number>>;
    error: Sparse<string>;
    errorType: Sparse<string>;
    fingerprint: Sparse<string>;
    failureKinds: FailureKind[];
  };
  breakers: { series: Int32Array; time: Float64Array; state: BreakerState[]; failures: Float64Array };
}

type Sparse<T> = { rows: number[]; values: T[] };

/** A typed array of exactly `a`'s rows, with a buffer of its own (to transfer). */
function own<A extends Int32Array | Float64Array | Uint8Array>(a: A): A {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as A);
}

export function packBatch(b: WriteBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const series = b.series.map((s) => s.key);
  const extra = new Map<SeriesRef, number>();
  const ref = (s: SeriesRef): number => {
    let i = extra.get(s);
    if (i === undefined) {
      i = series.length;
      extra.set(s, i);
      series.push(s.key);
    }
    return i;
  };
  const r = b.results;
  const results: PackedBatch['results'] = {
    series: own(r.seriesIndex),
    time: own(r.time),
    success: own(r.success),
    latency: own(r.latency),
    metrics: r.metrics,
    error: r.error,
    errorType: r.errorType,
    fingerprint: r.fingerprint,
    failureKinds: [...b.failureKinds.values()],
  };
  const k = b.breakers;
  const breakers: PackedBatch['breakers'] = {
    series: Int32Array.from(k.series.map(ref)),
    time: Float64Array.from(k.time),
    state: k.state,
    failures: Float64Array.from(k.failures.map((f) => f ?? NaN)),
  };
  const transfer = [
    results.series.buffer,
    results.time.buffer,
    results.success.buffer,
    results.latency.buffer,
    breakers.series.buffer,
    breakers.time.buffer,
    breakers.failures.buffer,
  ] as ArrayBuffer[];
  return { packed: { series, results, breakers }, transfer };
}

/**
 * Series and rows rebuilt between two turns of the event loop: a new series costs about 10 µs (its key parsed, its
 * tags object built), so 100,000 new series in one write never hold the loop for more than about 10 ms at a time.
 */
const SERIES_PER_TURN = 1024;

/** Shares one SeriesRef per series across batches, as the parser's cache does in one thread. */
export class SeriesInterner {
  private readonly byKey = new Map<string, SeriesRef>();
  constructor(private readonly max = 100_000) {}

  /** The series of a key made by seriesKey. */
  intern(key: string): SeriesRef {
    const known = this.byKey.get(key);
    if (known) return known;
    const [measurement, ...kv] = JSON.parse(key) as [Measurement, ...string[]];
    const tags: Tags = {};
    for (let i = 0; i < kv.length; i += 2) tags[kv[i]!] = kv[i + 1]!;
    const s: SeriesRef = { key, measurement, tags };
    if (this.byKey.size >= this.max) this.byKey.clear();
    this.byKey.set(key, s);
    return s;
  }
}

export async function unpackBatch(p: PackedBatch, interner: SeriesInterner): Promise<WriteBatch> {
  const refs = new Array<SeriesRef>(p.series.length);
  for (let i = 0; i < refs.length; i++) {
    if (i > 0 && i % SERIES_PER_TURN === 0) await nextTurn();
    refs[i] = interner.intern(p.series[i]!);
  }
  const r = p.results;
  // Breaker-only series come after the results' ones: a batch may list series no result row refers to.
  const b = WriteBatch.of(refs, ResultColumns.of(r));
  const out = b.results;
  out.metrics.appendFrom(r.metrics, 0);
  out.error.appendFrom(r.error, 0);
  out.errorType.appendFrom(r.errorType, 0);
  out.fingerprint.appendFrom(r.fingerprint, 0);
  for (const k of r.failureKinds) b.failureKinds.set(k.fingerprint, k);
  const k = p.breakers;
  for (let i = 0; i < k.time.length; i++) {
    const f = k.failures[i]!;
    b.addBreaker(refs[k.series[i]!]!, k.time[i]!, k.state[i]!, Number.isNaN(f) ? null : f);
  }
  return b;
}
