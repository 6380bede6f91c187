// Measurements other than test_result and circuit_breaker turned into test results by configuration (docs/telegraf.md):
// which fields say success, which field is the latency and in what unit, which tags to keep and under which of our
// names, which numeric fields to keep as metrics. Built in: Telegraf's http_response, ping and net_response inputs.
// Tags are mapped once per series (validate.ts caches the outcome with the series text); fields once per point, in
// one pass over the point's fields. test_result and circuit_breaker lines never come here.
import { z } from 'zod';
import {
  checkMetricName,
  checkTagKey,
  checkTagValue,
  MAX_METRICS,
  MAX_TAGS,
  MEASUREMENTS,
  RESERVED_FIELDS,
  type Tags,
} from '../model/result.js';
import type { FieldValue } from './line-protocol.js';

/** What happens to points of a measurement that is neither ours nor mapped. */
export type UnknownMeasurements = 'skip' | 'refuse';

/** A piece of text with `{tag}` placeholders, e.g. "{server}:{port}"; parsed into literals and tag names. */
type TemplatePart = { text: string } | { tag: string };

function parseTemplate(s: string): TemplatePart[] | string {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{', i);
    const close = s.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) return `has a "}" without its "{"`;
    if (open === -1) {
      parts.push({ text: s.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: s.slice(i, open) });
    const end = s.indexOf('}', open);
    if (end === -1) return `has a "{" without its "}"`;
    const name = s.slice(open + 1, end);
    if (name.length === 0 || name.includes('{')) return 'has an empty or nested "{}"';
    parts.push({ tag: name });
    i = end + 1;
  }
  return parts;
}

const template = z.string().superRefine((s, ctx) => {
  const parsed = parseTemplate(s);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: `template ${JSON.stringify(s)} ${parsed}` });
});

const fieldName = z.string().min(1, 'must name a field');

const ConditionSpec = z
  .strictObject({
    field: fieldName,
    equals: z
      .union([z.number(), z.string(), z.boolean()], { error: 'must be a number, a string or true/false' })
      .optional(),
    below: z.number({ error: 'must be a number' }).optional(),
    above: z.number({ error: 'must be a number' }).optional(),
    error_type: template.optional(),
  })
  .refine((c) => [c.equals, c.below, c.above].filter((v) => v !== undefined).length === 1, {
    message: 'needs exactly one of "equals", "below" or "above"',
  });

const MappingSpec = z.strictObject({
  success: z.array(ConditionSpec, { error: 'must be a list of conditions' }).min(1, 'must hold at least one condition'),
  latency: z
    .strictObject({
      field: fieldName,
      unit: z.enum(['s', 'ms', 'us', 'ns'], { error: 'must be one of s, ms, us, ns' }),
    })
    .optional(),
  tags: z
    .record(z.string(), template, { error: 'must be an object of our tag name -> template' })
    .default({})
    .superRefine((tags, ctx) => {
      if (Object.keys(tags).length > MAX_TAGS)
        ctx.addIssue({ code: 'custom', message: `must map at most ${MAX_TAGS} tags` });
      for (const k of Object.keys(tags)) {
        const bad = checkTagKey(k);
        if (bad) ctx.addIssue({ code: 'custom', path: [k], message: bad });
      }
    }),
  metrics: z
    .array(fieldName, { error: 'must be a list of field names' })
    .max(MAX_METRICS, `must list at most ${MAX_METRICS} fields`)
    .default([])
    .superRefine((ms, ctx) => {
      ms.forEach((m, i) => {
        const bad = RESERVED_FIELDS.has(m)
          ? `"${m}" is a field of test_result with its own meaning`
          : checkMetricName(m);
        if (bad) ctx.addIssue({ code: 'custom', path: [i], message: bad });
      });
    }),
});

export type MappingSpec = z.infer<typeof MappingSpec>;
/** Measurement -> its mapping; in the setting, null removes a built-in one. */
export type MappingSpecs = Record<string, MappingSpec>;

const MappingsFile = z
  .record(z.string(), MappingSpec.nullable(), { error: 'must be a JSON object of measurement -> mapping' })
  .superRefine((m, ctx) => {
    for (const k of Object.keys(m)) {
      if ((MEASUREMENTS as readonly string[]).includes(k)) {
        ctx.addIssue({ code: 'custom', path: [k], message: `${k} is stored as it is and cannot be mapped` });
      } else if (k.length === 0 || /[\s,]/.test(k) || k.startsWith('_')) {
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: 'is not a measurement name (no spaces, commas or leading "_")',
        });
      }
    }
  });

/** Where a configuration problem is: "http_response.success[0].equals". */
function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/**
 * The mappings of a JSON text (RESULTANT_MEASUREMENT_MAPPINGS) over `base` (the built-ins, or none): a mapping
 * replaces the base's of its measurement, and null removes it. Throws an Error naming the bad key.
 */
export function parseMappings(json: string, base: MappingSpecs = {}): MappingSpecs {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = MappingsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issuePath(issue.path);
    throw new Error(`${where === '' ? '' : `${where}: `}${issue.message}`);
  }
  const out: MappingSpecs = { ...base };
  for (const [k, v] of Object.entries(parsed.data)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Telegraf's network probes (field and tag names from the inputs' READMEs and sources: plugins/inputs/http_response,
 * ping, net_response). Telegraf adds a `host` tag (the agent's host name): our `worker`. A `region` tag, e.g. from
 * Telegraf's [global_tags], is kept as region.
 */
export const TELEGRAF_MAPPINGS: MappingSpecs = {
  http_response: {
    // result_code 0: the request completed ("HTTP errors are considered a successful connection" for Telegraf);
    // for us an answer of 400 or more is a failure too.
    success: [
      { field: 'result_code', equals: 0, error_type: '{result}' },
      { field: 'http_response_code', below: 400, error_type: 'http_{status_code}' },
    ],
    latency: { field: 'response_time', unit: 's' },
    tags: { endpoint: '{server}', method: '{method}', worker: '{host}', region: '{region}', type: 'http' },
    metrics: ['http_response_code', 'content_length'],
  },
  ping: {
    // result_code 0: replies came; 1: none (or no such host); 2: ping failed.
    success: [
      { field: 'result_code', below: 2, error_type: 'ping_error' },
      { field: 'result_code', equals: 0, error_type: 'no_reply' },
    ],
    latency: { field: 'average_response_ms', unit: 'ms' },
    tags: { endpoint: '{url}', worker: '{host}', region: '{region}', type: 'ping' },
    metrics: [
      'percent_packet_loss',
      'packets_transmitted',
      'packets_received',
      'minimum_response_ms',
      'maximum_response_ms',
      'ttl',
    ],
  },
  net_response: {
    // result_code 0: success; 1 timeout, 2 connection_failed, 3 read_failed, 4 string_mismatch (the result tag).
    success: [{ field: 'result_code', equals: 0, error_type: '{result}' }],
    latency: { field: 'response_time', unit: 's' },
    tags: { endpoint: '{server}:{port}', worker: '{host}', region: '{region}', type: '{protocol}' },
    metrics: [],
  },
};

const UNIT_TO_MS = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 } as const;

interface Condition {
  field: string;
  test: (v: FieldValue) => boolean | null;
  /** What the condition wants, for the message when a field has the wrong type. */
  wants: string;
  errorType: TemplatePart[] | null;
}

/** A mapping ready to apply. */
export interface CompiledMapping {
  measurement: string;
  conditions: Condition[];
  latency: { field: string; factor: number } | null;
  tags: [string, TemplatePart[]][];
  metrics: Set<string>;
}

const isNumber = (v: FieldValue): v is FieldValue & { value: number } =>
  v.kind === 'float' || v.kind === 'integer' || v.kind === 'uinteger';

function compileCondition(c: MappingSpec['success'][number]): Condition {
  const errorType = c.error_type === undefined ? null : (parseTemplate(c.error_type) as TemplatePart[]);
  if (c.below !== undefined) {
    const b = c.below;
    return { field: c.field, test: (v) => (isNumber(v) ? v.value < b : null), wants: 'a number', errorType };
  }
  if (c.above !== undefined) {
    const a = c.above;
    return { field: c.field, test: (v) => (isNumber(v) ? v.value > a : null), wants: 'a number', errorType };
  }
  const e = c.equals!;
  if (typeof e === 'number')
    return { field: c.field, test: (v) => (isNumber(v) ? v.value === e : null), wants: 'a number', errorType };
  if (typeof e === 'boolean') {
    return {
      field: c.field,
      test: (v) => (v.kind === 'boolean' ? v.value === e : null),
      wants: 'a boolean',
      errorType,
    };
  }
  return {
    field: c.field,
    test: (v) => (v.kind === 'string' ? v.value === e : null),
    wants: 'a "quoted string"',
    errorType,
  };
}

export function compileMappings(specs: MappingSpecs): Map<string, CompiledMapping> {
  const out = new Map<string, CompiledMapping>();
  for (const [measurement, s] of Object.entries(specs)) {
    out.set(measurement, {
      measurement,
      conditions: s.success.map(compileCondition),
      latency: s.latency ? { field: s.latency.field, factor: UNIT_TO_MS[s.latency.unit] } : null,
      tags: Object.entries(s.tags).map(([k, t]) => [k, parseTemplate(t) as TemplatePart[]]),
      metrics: new Set(s.metrics),
    });
  }
  return out;
}

/** A template filled from tags; null when a tag it names is missing (or the outcome is empty). */
function render(parts: TemplatePart[], tags: Tags): string | null {
  let out = '';
  for (const p of parts) {
    if ('text' in p) out += p.text;
    else {
      const v = tags[p.tag];
      if (v === undefined) return null;
      out += v;
    }
  }
  return out.length === 0 ? null : out;
}

/** A series of a mapped measurement: our tags, and the error type each condition gives when it fails. */
export interface MappedSeries {
  mapping: CompiledMapping;
  tags: Tags;
  errorTypes: (string | null)[];
}

/** Our tags for a point's tags (already checked as tags); a string is why they cannot be mapped. */
export function mapSeries(mapping: CompiledMapping, source: Tags): MappedSeries | string {
  const tags: Tags = {};
  for (const [key, parts] of mapping.tags) {
    const v = render(parts, source);
    if (v === null) continue;
    const bad = checkTagValue(key, v);
    if (bad) return `${bad} (mapped from ${mapping.measurement})`;
    tags[key] = v;
  }
  return {
    mapping,
    tags,
    errorTypes: mapping.conditions.map((c) => (c.errorType ? render(c.errorType, source) : null)),
  };
}

export interface MappedPoint {
  success: boolean;
  latency: number | null;
  metrics: Record<string, number> | null;
  errorType: string | null;
}

/** Success, latency and metrics of a point of a mapped series; a string is why the point is refused. */
export function mapFields(s: MappedSeries, fields: [string, FieldValue][]): MappedPoint | string {
  const m = s.mapping;
  const n = m.conditions.length;
  // Per condition: true, false, or undefined (field absent).
  const held = new Array<boolean | undefined>(n);
  let latency: number | null = null;
  let metrics: Record<string, number> | null = null;
  for (const [key, v] of fields) {
    for (let i = 0; i < n; i++) {
      const c = m.conditions[i]!;
      if (c.field !== key) continue;
      const ok = c.test(v);
      if (ok === null) return `field "${key}" must be ${c.wants} (mapping of ${m.measurement})`;
      held[i] = ok;
    }
    if (m.latency !== null && key === m.latency.field) {
      if (!isNumber(v)) return `field "${key}" must be a number (the latency of ${m.measurement})`;
      if (v.value < 0) return `field "${key}" must not be negative (the latency of ${m.measurement})`;
      latency = v.value * m.latency.factor;
    }
    if (m.metrics.has(key)) {
      if (!isNumber(v)) return `field "${key}" must be a number (a metric of ${m.measurement})`;
      (metrics ??= {})[key] = v.value;
    }
  }
  if (held[0] === undefined)
    return `field "${m.conditions[0]!.field}" is missing (the mapping of ${m.measurement} needs it)`;
  for (let i = 0; i < n; i++) {
    // A condition on an absent field fails (a probe that failed has no response code to compare).
    if (held[i] !== true) return { success: false, latency, metrics, errorType: s.errorTypes[i] ?? null };
  }
  return { success: true, latency, metrics, errorType: null };
}
