// A WriteBatch as InfluxDB line protocol (CONTRACT.md §1), in the exact field types the rollup tasks expect:
// latency_ms and other metrics always as floats (an integer-looking 200 would be written as an int by many
// clients, and the first type written to a shard wins: "field type conflict", influxdb#3460), success as a
// boolean, failures as an integer.
//
// InfluxDB identifies a point by measurement, tag set and timestamp and overwrites duplicates, while the contract
// keeps two results with the same series and time as two results. Our timestamps are microseconds, so each line
// gets a distinct nanosecond suffix (0..999) from a process-wide counter: up to 1000 results of one series in the
// same microsecond stay distinct. Reads truncate to microseconds. Because the suffix is fixed when the lines are
// built, resending the same lines after a timeout overwrites them with themselves: retries are idempotent.
import { Point } from '@influxdata/influxdb-client';
import type { WriteBatch } from '../../model/result.js';
import { M_BREAKER, M_RESULT } from './schema.js';

export class NanoSuffix {
  private n: number;
  constructor(start = Math.floor(Math.random() * 1000)) {
    this.n = start % 1000;
  }
  next(): number {
    const v = this.n;
    this.n = (this.n + 1) % 1000;
    return v;
  }
}

/** Microseconds plus a 0..999 ns suffix, as an exact decimal string (beyond 2^53 as a number). */
export function nanos(us: number, suffix: number): string {
  return (BigInt(Math.round(us)) * 1000n + BigInt(suffix)).toString();
}

export function batchToLines(batch: WriteBatch, suffix: NanoSuffix): string[] {
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
    p.timestamp(nanos(r.time[i]!, suffix.next()));
    out.push(p.toLineProtocol()!);
  }
  const b = batch.breakers;
  for (let i = 0; i < b.time.length; i++) {
    const p = new Point(M_BREAKER);
    for (const [k, v] of Object.entries(b.series[i]!.tags)) p.tag(k, v);
    p.stringField('state', b.state[i]!);
    const f = b.failures[i];
    if (f !== null && f !== undefined) p.intField('failures', f);
    p.timestamp(nanos(b.time[i]!, suffix.next()));
    out.push(p.toLineProtocol()!);
  }
  return out;
}
