// A WriteBatch as InfluxDB line protocol (docs/data-model.md), in the exact field types the rollup tasks expect:
// latency_ms and other metrics always as floats (an integer-looking 200 would be written as an int by many
// clients, and the first type written to a shard wins: "field type conflict", influxdb#3460), success as a
// boolean, failures as an integer. A failed result also carries its fingerprint (model/fingerprint.ts, computed
// once at ingest) as the string field `fingerprint`, so Flux can group failures by it without the TypeScript
// normaliser (the failure-pattern summaries and the analysis task, flux/analysis_hourly__v1.flux).
//
// InfluxDB identifies a point by measurement, tag set and timestamp, and a point written again at the same
// timestamp replaces the stored one (last write wins): the rule both stores keep, so a retried write is never
// counted twice. Our timestamps are microseconds; each line gets a nanosecond suffix (0..999) that is a hash of
// its series (measurement and tags), the same for every point of that series. Points of one series at one
// microsecond therefore share their timestamp and replace each other, while points of different series at one
// microsecond (common with second-precision writers) mostly get different nanoseconds, which keeps ties rare in
// the newest-first sort that /results pages through. Reads truncate to microseconds.
import { Point } from '@influxdata/influxdb-client';
import type { WriteBatch } from '../../model/result.js';
import { fnv1a } from '../fnv1a.js';
import { FINGERPRINT, M_BREAKER, M_RESULT } from './schema.js';

/** Microseconds plus a 0..999 ns suffix, as an exact decimal string (beyond 2^53 as a number). */
export function nanos(us: number, suffix: number): string {
  return (BigInt(Math.round(us)) * 1000n + BigInt(suffix)).toString();
}

export function batchToLines(batch: WriteBatch): string[] {
  const out: string[] = [];
  for (const r of batch.resultRows()) {
    const p = new Point(M_RESULT);
    for (const [k, v] of Object.entries(r.series.tags)) p.tag(k, v);
    p.booleanField('success', r.success);
    if (r.latency !== null) p.floatField('latency_ms', r.latency);
    if (r.metrics) for (const [k, v] of Object.entries(r.metrics)) p.floatField(k, v);
    if (r.error !== null) p.stringField('error', r.error);
    if (r.errorType !== null) p.stringField('error_type', r.errorType);
    out.push(stamped(p, r.time, r.success ? null : r.fingerprint));
  }
  const b = batch.breakers;
  for (let i = 0; i < b.time.length; i++) {
    const p = new Point(M_BREAKER);
    for (const [k, v] of Object.entries(b.series[i]!.tags)) p.tag(k, v);
    p.stringField('state', b.state[i]!);
    const f = b.failures[i];
    if (f !== null && f !== undefined) p.intField('failures', f);
    out.push(stamped(p, b.time[i]!));
  }
  return out;
}

/** The point's line with its timestamp: the microsecond plus its series' suffix (see the file comment). */
function stamped(p: Point, us: number, fingerprint: string | null = null): string {
  // A point without a timestamp would get the current time: set the microsecond, then put the suffix in.
  p.timestamp(nanos(us, 0));
  const line = p.toLineProtocol()!;
  const content = line.slice(0, line.lastIndexOf(' '));
  const head = content.slice(0, content.search(/(?<!\\) /));
  const ns = nanos(us, fnv1a(head) % 1000);
  if (fingerprint === null) return `${content} ${ns}`;
  p.stringField(FINGERPRINT, fingerprint);
  const withFp = p.toLineProtocol()!;
  return `${withFp.slice(0, withFp.lastIndexOf(' '))} ${ns}`;
}
