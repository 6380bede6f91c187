// A WriteBatch as plain typed arrays, to move it between threads without copying row objects: the parse
// workers send batches this way (transferring the buffers), and the main thread rebuilds them. Series travel as
// their keys (model/result.ts seriesKey: JSON of the measurement and the sorted tags), strings being far cheaper
// to copy between threads than objects; the main thread rebuilds them in slices between turns of its event loop,
// so that a body of 100,000 new series does not hold it up (it held it for ~0.7 s as objects, rebuilt at once).
import { nextTurn } from '../event-loop.js';
import type { FailureKind } from '../model/fingerprint.js';
import { type BreakerState, type Measurement, type SeriesRef, type Tags, WriteBatch } from '../model/result.js';

export interface PackedBatch {
  /** Series keys (seriesKey). */
  series: string[];
  results: {
    series: Int32Array;
    time: Float64Array;
    success: Uint8Array;
    /** NaN for no latency */
    latency: Float64Array;
    /** sparse: row -> value */
    metrics: [number, Record<string, number>][];
    error: [number, string][];
    errorType: [number, string][];
    /** sparse: row -> fingerprint (failed rows) */
    fingerprint: [number, string][];
    failureKinds: FailureKind[];
  };
  breakers: { series: Int32Array; time: Float64Array; state: BreakerState[]; failures: Float64Array };
}

export function packBatch(b: WriteBatch): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const index = new Map<SeriesRef, number>();
  const series: PackedBatch['series'] = [];
  const ref = (s: SeriesRef): number => {
    let i = index.get(s);
    if (i === undefined) {
      i = series.length;
      index.set(s, i);
      series.push(s.key);
    }
    return i;
  };
  const r = b.results;
  const n = r.time.length;
  const results: PackedBatch['results'] = {
    series: new Int32Array(n),
    time: Float64Array.from(r.time),
    success: new Uint8Array(n),
    latency: new Float64Array(n),
    metrics: [],
    error: [],
    errorType: [],
    fingerprint: [],
    failureKinds: [...b.failureKinds.values()],
  };
  for (let i = 0; i < n; i++) {
    results.series[i] = ref(r.series[i]!);
    results.success[i] = r.success[i] ? 1 : 0;
    results.latency[i] = r.latency[i] ?? NaN;
    const m = r.metrics[i];
    if (m) results.metrics.push([i, m]);
    const e = r.error[i];
    if (e !== null && e !== undefined) results.error.push([i, e]);
    const et = r.errorType[i];
    if (et !== null && et !== undefined) results.errorType.push([i, et]);
    const fp = r.fingerprint[i];
    if (fp !== null && fp !== undefined) results.fingerprint.push([i, fp]);
  }
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
const ROWS_PER_TURN = 16_384;

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
  const b = new WriteBatch();
  const r = p.results;
  const out = b.results;
  const n = r.time.length;
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % ROWS_PER_TURN === 0) await nextTurn();
    out.series.push(refs[r.series[i]!]!);
    out.time.push(r.time[i]!);
    out.success.push(r.success[i] === 1);
    const l = r.latency[i]!;
    out.latency.push(Number.isNaN(l) ? null : l);
    out.metrics.push(null);
    out.error.push(null);
    out.errorType.push(null);
    out.fingerprint.push(null);
  }
  for (const [i, m] of r.metrics) out.metrics[i] = m;
  for (const [i, e] of r.error) out.error[i] = e;
  for (const [i, e] of r.errorType) out.errorType[i] = e;
  for (const [i, f] of r.fingerprint) out.fingerprint[i] = f;
  for (const k of r.failureKinds) b.failureKinds.set(k.fingerprint, k);
  const k = p.breakers;
  for (let i = 0; i < k.time.length; i++) {
    const f = k.failures[i]!;
    b.addBreaker(refs[k.series[i]!]!, k.time[i]!, k.state[i]!, Number.isNaN(f) ? null : f);
  }
  return b;
}
