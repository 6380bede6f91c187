// A WriteBatch as InfluxDB line protocol (CONTRACT.md §1), in the exact field types the rollup tasks expect:
// latency_ms and other metrics always as floats (an integer-looking 200 would be written as an int by many
// clients, and the first type written to a shard wins: "field type conflict", influxdb#3460), success as a
// boolean, failures as an integer. A failed result also carries its fingerprint (model/fingerprint.ts, computed
// once at ingest) as the string field `fingerprint`, so Flux can group failures by it without the TypeScript
// normaliser (the failure-pattern summaries and the analysis task, flux/analysis_hourly__v1.flux).
//
// InfluxDB identifies a point by measurement, tag set and timestamp and overwrites duplicates, while the contract
// keeps two results with the same series and time as two results. Our timestamps are microseconds, so each line
// gets a nanosecond suffix (0..999) distinct among the lines of its series and microsecond in the batch: up to 1000
// results of one series in the same microsecond stay distinct. Reads truncate to microseconds. The suffix is a
// hash of the line's content (probing past suffixes already taken), not a counter, so the same results always get
// the same timestamps: a request written again after a partial failure (by the ingest queue one request at a
// time, or by the client) overwrites what was stored the first time instead of storing it twice. The hash leaves
// the fingerprint out (it is a function of error and error_type, which are in it): a result gets the timestamp
// it got before fingerprints were written, so a request resent across an upgrade still overwrites its points.
import { Point } from '@influxdata/influxdb-client';
import type { WriteBatch } from '../../model/result.js';
import { FINGERPRINT, M_BREAKER, M_RESULT } from './schema.js';

/** Hands out each line's nanosecond suffix within one batch (see the file comment). */
export class NanoSuffix {
  private readonly taken = new Map<string, Set<number>>();

  /** `slot`: the line's measurement, tags and microsecond; `content`: the whole line without its timestamp. */
  next(slot: string, content: string): number {
    let used = this.taken.get(slot);
    if (!used) this.taken.set(slot, (used = new Set()));
    let v = fnv1a(content) % 1000;
    for (let i = 0; i < 1000 && used.has(v); i++) v = (v + 1) % 1000;
    used.add(v);
    return v;
  }
}

/** FNV-1a, 32 bits: a small, stable hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Microseconds plus a 0..999 ns suffix, as an exact decimal string (beyond 2^53 as a number). */
export function nanos(us: number, suffix: number): string {
  return (BigInt(Math.round(us)) * 1000n + BigInt(suffix)).toString();
}

export function batchToLines(batch: WriteBatch): string[] {
  const suffix = new NanoSuffix();
  const out: string[] = [];
  const r = batch.results;
  for (let i = 0; i < r.time.length; i++) {
    const p = new Point(M_RESULT);
    for (const [k, v] of Object.entries(r.series[i]!.tags)) p.tag(k, v);
    p.booleanField('success', r.success[i]!);
    const lat = r.latency[i];
    if (lat !== null && lat !== undefined) p.floatField('latency_ms', lat);
    const m = r.metrics[i];
    if (m) for (const [k, v] of Object.entries(m)) p.floatField(k, v);
    const err = r.error[i];
    if (err !== null && err !== undefined) p.stringField('error', err);
    const et = r.errorType[i];
    if (et !== null && et !== undefined) p.stringField('error_type', et);
    out.push(stamped(p, r.time[i]!, suffix, r.success[i] ? null : (r.fingerprint[i] ?? null)));
  }
  const b = batch.breakers;
  for (let i = 0; i < b.time.length; i++) {
    const p = new Point(M_BREAKER);
    for (const [k, v] of Object.entries(b.series[i]!.tags)) p.tag(k, v);
    p.stringField('state', b.state[i]!);
    const f = b.failures[i];
    if (f !== null && f !== undefined) p.intField('failures', f);
    out.push(stamped(p, b.time[i]!, suffix));
  }
  return out;
}

/**
 * The point's line with its timestamp: the microsecond plus the suffix its content gets in this batch. The
 * fingerprint field, when given, is added after the suffix is chosen (see the file comment).
 */
function stamped(p: Point, us: number, suffix: NanoSuffix, fingerprint: string | null = null): string {
  // A point without a timestamp would get the current time: set the microsecond, then put the suffix in.
  p.timestamp(nanos(us, 0));
  const line = p.toLineProtocol()!;
  const content = line.slice(0, line.lastIndexOf(' '));
  const head = content.slice(0, content.search(/(?<!\\) /));
  const ns = nanos(us, suffix.next(`${head} ${Math.round(us)}`, `${content} ${Math.round(us)}`));
  if (fingerprint === null) return `${content} ${ns}`;
  p.stringField(FINGERPRINT, fingerprint);
  const withFp = p.toLineProtocol()!;
  return `${withFp.slice(0, withFp.lastIndexOf(' '))} ${ns}`;
}
