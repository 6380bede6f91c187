// Notification rules: what to watch, when it counts as a problem, how often to say so, and where to send it.
// One zod schema validates rules from the API; every problem is reported with its path.
import { z } from 'zod';
import { TagFilterBody } from '../model/filters.js';
import { checkMetricName, checkTagKey } from '../model/result.js';

export const RULE_KINDS = [
  'availability_below',
  'latency_above',
  'regression',
  'new_failure_fingerprint',
  'anomaly_score_above',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

const MAX_HEADER_VALUE = 4096;

const WebhookHandler = z.object({
  type: z.literal('webhook'),
  url: z
    .string()
    .max(2048)
    .refine((u) => {
      try {
        const p = new URL(u).protocol;
        return p === 'http:' || p === 'https:';
      } catch {
        return false;
      }
    }, 'must be an http or https URL')
    .superRefine((u, ctx) => {
      // The credentials rule of delivery (webhookTargetProblem), here without the host list (the route has it).
      const problem = URL.canParse(u) ? webhookTargetProblem(u, []) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** Sent with each POST (e.g. an Authorization header); never shown back by the API or written to logs. */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be an HTTP header name'),
      z.string().max(MAX_HEADER_VALUE),
    )
    .refine((h) => Object.keys(h).length <= 20, 'at most 20 headers')
    .default({}),
  timeout_ms: z.number().int().min(100).max(30_000).default(5000),
  retries: z.number().int().min(0).max(5).default(2),
});
const LogHandler = z.object({ type: z.literal('log') });
export const Handler = z.discriminatedUnion('type', [LogHandler, WebhookHandler]);
export type Handler = z.infer<typeof Handler>;

const tagKey = z.string().superRefine((k, ctx) => {
  const p = checkTagKey(k);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

export const RuleInput = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    kind: z.enum(RULE_KINDS, { message: `must be one of ${RULE_KINDS.join(', ')}` }),
    /** Tag filters: key -> value or values (any of). */
    filter: TagFilterBody,
    /** The series a rule fires for separately (availability and latency rules); cooldowns are per series. */
    group_by: z.array(tagKey).max(8).default(['endpoint']),
    metric: z
      .string()
      .superRefine((m, ctx) => {
        const p = checkMetricName(m);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .default('latency_ms'),
    /** availability_below: percent; latency_above: the statistic's value; anomaly_score_above: |score|. */
    threshold: z.number().finite().optional(),
    statistic: z.enum(['mean', 'p95', 'p99']).default('p95'),
    /** Minutes of data an availability or latency rule looks at (whole quarter hours). */
    window_minutes: z.number().int().min(15).max(1440).multipleOf(15, 'must be a multiple of 15').default(15),
    /** Fewer results than this in the window say nothing (one failed probe is not an outage). */
    min_tests: z.number().int().min(1).max(1_000_000).default(10),
    min_severity: z.enum(['minor', 'major', 'critical']).default('major'),
    /** Days of history the analysis behind a regression, fingerprint or anomaly rule looks at. */
    lookback_days: z.number().positive().max(90).default(7),
    cooldown_minutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 1440)
      .default(60),
    handlers: z
      .array(Handler)
      .min(1)
      .max(10)
      .default([{ type: 'log' }]),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((r, ctx) => {
    const need = (ok: boolean, message: string): void => {
      if (!ok) ctx.addIssue({ code: 'custom', path: ['threshold'], message });
    };
    if (r.kind === 'availability_below') {
      need(
        r.threshold !== undefined && r.threshold > 0 && r.threshold <= 100,
        'is required for availability_below: a percentage above 0, at most 100',
      );
    } else if (r.kind === 'latency_above' || r.kind === 'anomaly_score_above') {
      need(r.threshold !== undefined && r.threshold > 0, `is required for ${r.kind}: a number above 0`);
    }
  });
export type RuleInput = z.input<typeof RuleInput>;
export type RuleSpec = z.output<typeof RuleInput>;

export interface Rule extends RuleSpec {
  id: string;
  created_at: string;
}

/** A rule as the API shows it: header values of webhooks hidden (they often hold credentials). */
/**
 * A rule as the API shows it: header values masked, and a webhook's URL cut to its origin (a path or query often
 * holds a secret token, as chat webhooks do).
 */
export function publicRule(r: Rule): Rule {
  return {
    ...r,
    handlers: r.handlers.map((h) =>
      h.type === 'webhook'
        ? { ...h, url: shownUrl(h.url), headers: Object.fromEntries(Object.keys(h.headers).map((k) => [k, '***'])) }
        : h,
    ),
  };
}

/** The origin of a URL, with "/…" where it had a path or query. */
export function shownUrl(u: string): string {
  if (!URL.canParse(u)) return '(invalid URL)';
  const url = new URL(u);
  return url.pathname === '/' && url.search === '' ? `${url.origin}/` : `${url.origin}/…`;
}

const hasCredentials = (u: URL): boolean => u.username !== '' || u.password !== '';

/**
 * Why a webhook may not be sent to `u`, or null: a user or password in the URL (older rules may hold one), or a
 * host outside `allowedHosts` (RESULTANT_WEBHOOK_HOSTS: "example.com" allows that host, ".example.com" its
 * subdomains too; empty allows any). The answer never repeats the URL's secret parts.
 */
export function webhookTargetProblem(u: string, allowedHosts: readonly string[]): string | null {
  if (!URL.canParse(u)) return 'the URL is not valid';
  const url = new URL(u);
  if (hasCredentials(url)) return 'the URL carries a user or password; send credentials in headers instead';
  if (allowedHosts.length === 0) return null;
  const host = url.hostname.toLowerCase();
  const ok = allowedHosts.some((a) => {
    const allowed = a.toLowerCase();
    return allowed.startsWith('.') ? host === allowed.slice(1) || host.endsWith(allowed) : host === allowed;
  });
  return ok ? null : `host "${host}" is not among the allowed webhook hosts (RESULTANT_WEBHOOK_HOSTS)`;
}
