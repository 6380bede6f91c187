// Query parameters of the API: zod schemas built from small helpers, each with today's words for what is wrong, and
// parseQuery(), which refuses unknown parameters and turns the first problem into the 400 that names the parameter
// (`parameter "<name>" <problem>`, with `parameter` in the body). The helpers also describe each parameter for the
// OpenAPI document (paramDocs).
import { z } from 'zod';
import { invalid } from '../errors.js';
import { checkMetricName, checkTagKey, checkTagValue, MAX_TIME_US, RESERVED_FIELDS } from '../model/result.js';
import type { TagFilters } from '../store/types.js';
import { parseTimeValue } from '../time/parse.js';
import { isValidTimeZone } from '../time/zone.js';

export type Query = Record<string, string | string[] | undefined>;

const bad = (parameter: string, message: string) => invalid(`parameter "${parameter}" ${message}`, { parameter });

/** What is wrong with a parameter's value, in the words that follow `parameter "<name>" `. */
class ParamProblem extends Error {}
export const problem = (message: string): ParamProblem => new ParamProblem(message);

/** The shape key of the tag filters (`tag.<key>=<value>`, any number of keys): its schema reads the whole query. */
export const TAGS = 'tag.<key>';

/** How the OpenAPI document describes a query parameter. */
export interface ParamDoc {
  description: string;
  schema: Record<string, unknown>;
  required?: boolean;
}

/** Each parameter schema's description for the document. */
export const paramDocs = z.registry<ParamDoc>();

/** A query parameter's raw value: absent, given once, or repeated. */
const RAW = z.union([z.string(), z.array(z.string())]).optional();

/** A parameter given at most once, read by `read` (which throws a ParamProblem), described by `doc`. */
export function param<T>(read: (v: string | undefined) => T, doc: ParamDoc) {
  const schema = RAW.transform((v, ctx) => {
    try {
      if (Array.isArray(v)) throw problem('is given more than once');
      return read(v);
    } catch (e) {
      if (!(e instanceof ParamProblem)) throw e;
      ctx.issues.push({ code: 'custom', message: e.message, input: v });
      return z.NEVER;
    }
  });
  paramDocs.add(schema, doc);
  return schema;
}

/**
 * Validates a query with its schema: parameters the schema does not know are refused (typos such as groupby),
 * except tag.<key> where the schema takes tags and _* cache busters; the first problem is the 400.
 */
export function parseQuery<Q extends z.ZodObject>(schema: Q, raw: object, refuseOthers = true): z.output<Q> {
  const q = raw as Query;
  const keys = Object.keys(schema.shape);
  const tags = keys.includes(TAGS);
  if (refuseOthers)
    rejectUnknown(
      q,
      keys.filter((k) => k !== TAGS),
      tags,
    );
  const parsed = schema.safeParse(tags ? { ...q, [TAGS]: q } : q);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw bad(String(issue.path.at(-1) ?? ''), issue.message);
}

/** Refuses parameters the endpoint does not know, except tag.<key> (when `tags`) and _* cache busters. */
function rejectUnknown(q: Query, allowed: readonly string[], tags: boolean): void {
  for (const k of Object.keys(q)) {
    if (allowed.includes(k) || k.startsWith('_') || (tags && k.startsWith('tag.'))) continue;
    throw bad(k, `is not known here; known parameters: ${[...allowed, ...(tags ? [TAGS] : [])].join(', ')}`);
  }
}

const absent = (v: string | undefined): v is undefined | '' => v === undefined || v === '';

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}

/** A parameter the handler reads itself, or accepts and ignores (any value, repeated or not). */
export const described = (description: string, required = false) => {
  const s = RAW.optional();
  paramDocs.add(s, { description, schema: { type: 'string' }, required });
  return s;
};

/** A string as given (absent: undefined). */
export const text = (description: string, schema: Record<string, unknown> = { type: 'string' }) =>
  param((v) => v, { description, schema });

/**
 * The end of the year 9999, the last RFC 3339 writes (µs, exact as a double). Later times are refused: past 2262 they
 * overflow the store's timestamps, past 275760 they are no dates at all, and either made reads fail with a 500
 * (found by test/e2e/fuzz-soak.test.ts).
 */
const END_OF_9999_US = Date.UTC(10_000, 0, 1) * 1000;

/** RFC 3339 or epoch milliseconds -> epoch milliseconds (fractional for sub-ms precision); absent: undefined. */
export const time = (description: string) =>
  param(
    (v) => {
      if (absent(v)) return undefined;
      const us = parseTimeValue(v);
      if (us === null) throw problem(`must be an RFC 3339 timestamp or epoch milliseconds (got "${short(v)}")`);
      if (us < 0) throw problem('must not be before 1970-01-01T00:00:00Z');
      if (us > END_OF_9999_US) throw problem('must not be after the end of the year 9999');
      return us / 1000;
    },
    {
      description,
      schema: {
        type: 'string',
        description: 'RFC 3339 or epoch milliseconds, from 1970-01-01T00:00:00Z to the end of the year 9999',
      },
    },
  );

/** `v` if it is one of `values`, else the problem. */
function readOneOf<T extends string>(v: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(v))
    throw problem(`must be one of ${values.join(', ')} (got "${short(v)}")`);
  return v as T;
}

/** `v` as a whole number from `min` to `max`, else the problem. */
function readWhole(v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw problem(`must be a whole number from ${min} to ${max} (got "${short(v)}")`);
  return Number(v);
}

/** One of `values`; absent: `dflt`, or (without one) a 400 saying it is required. */
export const oneOf = <const T extends string>(values: readonly T[], description: string, dflt?: T) =>
  param(
    (v): T => {
      if (absent(v)) {
        if (dflt === undefined) throw problem(`is required: one of ${values.join(', ')}`);
        return dflt;
      }
      return readOneOf(v, values);
    },
    {
      description,
      required: dflt === undefined,
      schema: { type: 'string', enum: [...values], ...(dflt === undefined ? {} : { default: dflt }) },
    },
  );

/** One of `values`, or undefined when absent or empty. */
export const maybeOneOf = <const T extends string>(values: readonly T[], description: string) =>
  param((v): T | undefined => (absent(v) ? undefined : readOneOf(v, values)), {
    description,
    schema: { type: 'string', enum: [...values] },
  });

/** true or false; absent: `dflt`. */
export const bool = (description: string, dflt: boolean) =>
  param(
    (v) => {
      if (absent(v)) return dflt;
      if (v === 'true') return true;
      if (v === 'false') return false;
      throw problem(`must be true or false (got "${short(v)}")`);
    },
    { description, schema: { type: 'boolean', default: dflt } },
  );

/** true or false, or undefined when absent; `shown` is how a wrong value is quoted back. */
export const maybeBool = (description: string, shown: (v: string) => string) =>
  param(
    (v) => {
      if (v === undefined) return undefined;
      if (v === 'true' || v === 'false') return v === 'true';
      throw problem(`must be true or false (got "${shown(v)}")`);
    },
    { description, schema: { type: 'boolean' } },
  );

/** A whole number from `min` to `max`; absent: `dflt`. */
export const whole = (description: string, min: number, max: number, dflt: number) =>
  param((v) => (absent(v) ? dflt : readWhole(v, min, max)), {
    description,
    schema: { type: 'integer', minimum: min, maximum: max, default: dflt },
  });

/** A whole number from `min` to `max`, or undefined when absent or empty. */
export const maybeWhole = (description: string, min: number, max: number) =>
  param((v) => (absent(v) ? undefined : readWhole(v, min, max)), {
    description,
    schema: { type: 'integer', minimum: min, maximum: max },
  });

/** An IANA time zone, or undefined when absent (the handler applies RESULTANT_TIMEZONE). */
export const timeZone = (description: string) =>
  param(
    (v) => {
      if (absent(v)) return undefined;
      if (!isValidTimeZone(v))
        throw problem(`must be an IANA time zone such as UTC or Europe/Berlin (got "${short(v)}")`);
      return v;
    },
    { description, schema: { type: 'string' } },
  );

/** Comma-separated tag keys, at most 8. */
export const groupBy = (description: string) =>
  param(
    (v) => {
      if (v === undefined || v.trim() === '') return [];
      const keys = [...new Set(v.split(',').map((k) => k.trim()))];
      if (keys.length > 8) throw problem('has more than 8 tag keys');
      for (const k of keys) {
        const p = checkTagKey(k);
        if (p) throw problem(p);
      }
      return keys;
    },
    { description, schema: { type: 'string' } },
  );

/** The numeric field a read is about (default latency_ms). */
export const metric = (description: string) =>
  param(
    (v) => {
      if (absent(v)) return 'latency_ms';
      const p = checkMetricName(v);
      if (p) throw problem(p);
      if (RESERVED_FIELDS.has(v) && v !== 'latency_ms')
        throw problem(`"${v}" is not a numeric metric; use latency_ms or the name of a numeric field`);
      return v;
    },
    { description, schema: { type: 'string', default: 'latency_ms' } },
  );

/** `tag.<key>=<value>` (under the key TAGS): repeated for one key = any of; different keys = all of. */
export const tags = () => {
  const schema = z.record(z.string(), RAW).transform((q, ctx): TagFilters => {
    const out: TagFilters = {};
    for (const [name, raw] of Object.entries(q)) {
      if (!name.startsWith('tag.') || raw === undefined) continue;
      const key = name.slice(4);
      const fail = (message: string) => ctx.issues.push({ code: 'custom', message, input: raw, path: [name] });
      const keyProblem = checkTagKey(key);
      if (keyProblem) {
        fail(`names an invalid tag: ${keyProblem}`);
        return z.NEVER;
      }
      const values = Array.isArray(raw) ? raw : [raw];
      if (values.length > 1000) {
        fail('has more than 1000 values');
        return z.NEVER;
      }
      for (const v of values) {
        const valueProblem = checkTagValue(key, v);
        if (valueProblem) {
          fail(valueProblem);
          return z.NEVER;
        }
      }
      out[key] = [...new Set(values)];
    }
    return out;
  });
  paramDocs.add(schema, {
    description: 'tag filter; repeat for any of several values; different keys must all match',
    schema: { type: 'string' },
  });
  return schema;
};

/** A query schema check: `stop` after `start` when both are given. */
export const stopAfterStart = (o: { start?: number | undefined; stop?: number | undefined }, ctx: z.RefinementCtx) => {
  if (o.start !== undefined && o.stop !== undefined && o.stop <= o.start)
    ctx.addIssue({ code: 'custom', path: ['stop'], message: 'must be after "start"' });
};

/** start/stop (ms, either absent) as [start, stop) in µs; defaults: everything. */
export function usRange(start: number | undefined, stop: number | undefined): [number, number] {
  const s = start === undefined ? 0 : Math.round(start * 1000);
  const e = stop === undefined ? MAX_TIME_US + 1 : Math.round(stop * 1000);
  return [s, e];
}

/** A parameter's one value (absent: undefined) for what a handler reads itself; given more than once: a 400. */
export function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw bad(name, 'is given more than once');
  return v;
}
