// Query-parameter parsing for the read API. Every failure is a 400 that names the parameter and what is wrong.
import type { Request } from 'express';
import { invalid, stopNotAfterStart } from '../errors.js';
import { checkMetricName, checkTagKey, checkTagValue, MAX_TIME_US, RESERVED_FIELDS } from '../model/result.js';
import type { TagFilters } from '../store/types.js';
import { parseTimeValue } from '../time/parse.js';
import { isValidTimeZone } from '../time/zone.js';

export type Query = Record<string, string | string[] | undefined>;

export function queryOf(req: Request): Query {
  return req.query as Query;
}

const bad = (parameter: string, message: string) => invalid(`parameter "${parameter}" ${message}`, { parameter });

/** Refuses parameters the endpoint does not know (typos such as groupby), except tag.<key> and _* cache busters. */
export function rejectUnknown(q: Query, allowed: readonly string[], tags = true): void {
  for (const k of Object.keys(q)) {
    if (allowed.includes(k) || k.startsWith('_') || (tags && k.startsWith('tag.'))) continue;
    throw bad(k, `is not known here; known parameters: ${[...allowed, ...(tags ? ['tag.<key>'] : [])].join(', ')}`);
  }
}

export function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw bad(name, 'is given more than once');
  return v;
}

/**
 * The end of the year 9999, the last RFC 3339 writes (µs, exact as a double). Later times are refused: past 2262 they
 * overflow the store's timestamps, past 275760 they are no dates at all, and either made reads fail with a 500
 * (found by test/e2e/fuzz-soak.test.ts).
 */
const END_OF_9999_US = Date.UTC(10_000, 0, 1) * 1000;

/** RFC 3339 or epoch milliseconds -> epoch milliseconds (fractional for sub-ms precision). */
export function timeParam(q: Query, name: string): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  const us = parseTimeValue(v);
  if (us === null) throw bad(name, `must be an RFC 3339 timestamp or epoch milliseconds (got "${short(v)}")`);
  if (us < 0) throw bad(name, 'must not be before 1970-01-01T00:00:00Z');
  if (us > END_OF_9999_US) throw bad(name, 'must not be after the end of the year 9999');
  return us / 1000;
}

/** start/stop as [start, stop) in µs; defaults: everything. */
export function rangeUs(q: Query): [number, number] {
  const start = timeParam(q, 'start');
  const stop = timeParam(q, 'stop');
  const s = start === undefined ? 0 : Math.round(start * 1000);
  const e = stop === undefined ? MAX_TIME_US + 1 : Math.round(stop * 1000);
  if (e <= s) throw stopNotAfterStart();
  return [s, e];
}

export function enumParam<T extends string>(q: Query, name: string, values: readonly T[], dflt?: T): T {
  const v = one(q, name);
  if (v === undefined || v === '') {
    if (dflt === undefined) throw bad(name, `is required: one of ${values.join(', ')}`);
    return dflt;
  }
  if (!(values as readonly string[]).includes(v))
    throw bad(name, `must be one of ${values.join(', ')} (got "${short(v)}")`);
  return v as T;
}

export function boolParam(q: Query, name: string, dflt: boolean): boolean {
  const v = one(q, name);
  if (v === undefined || v === '') return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw bad(name, `must be true or false (got "${short(v)}")`);
}

export function intParam(q: Query, name: string, min: number, max: number, dflt: number): number {
  const v = one(q, name);
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw bad(name, `must be a whole number from ${min} to ${max} (got "${short(v)}")`);
  }
  return Number(v);
}

export function tzParam(q: Query, dflt: string): string {
  const v = one(q, 'tz');
  if (v === undefined || v === '') return dflt;
  if (!isValidTimeZone(v))
    throw bad('tz', `must be an IANA time zone such as UTC or Europe/Berlin (got "${short(v)}")`);
  return v;
}

/** `tag.<key>=<value>`; repeated for one key = any of; different keys = all of. */
export function tagFilters(q: Query): TagFilters {
  const out: TagFilters = {};
  for (const [name, raw] of Object.entries(q)) {
    if (!name.startsWith('tag.') || raw === undefined) continue;
    const key = name.slice(4);
    const keyProblem = checkTagKey(key);
    if (keyProblem) throw bad(name, `names an invalid tag: ${keyProblem}`);
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.length > 1000) throw bad(name, 'has more than 1000 values');
    for (const v of values) {
      const valueProblem = checkTagValue(key, v);
      if (valueProblem) throw bad(name, valueProblem);
    }
    out[key] = [...new Set(values)];
  }
  return out;
}

export function groupByParam(q: Query): string[] {
  const v = one(q, 'group_by');
  if (v === undefined || v.trim() === '') return [];
  const keys = [...new Set(v.split(',').map((k) => k.trim()))];
  if (keys.length > 8) throw bad('group_by', 'has more than 8 tag keys');
  for (const k of keys) {
    const problem = checkTagKey(k);
    if (problem) throw bad('group_by', problem);
  }
  return keys;
}

export function metricParam(q: Query): string {
  const v = one(q, 'metric');
  if (v === undefined || v === '') return 'latency_ms';
  const problem = checkMetricName(v);
  if (problem) throw bad('metric', problem);
  if (RESERVED_FIELDS.has(v) && v !== 'latency_ms') {
    throw bad('metric', `"${v}" is not a numeric metric; use latency_ms or the name of a numeric field`);
  }
  return v;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}
