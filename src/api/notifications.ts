// Notification rules and history (docs/http-api.md; /openapi.json), declared as routes (route.ts): GET|POST /api/v1/notifications/rules,
// DELETE /api/v1/notifications/rules/<id>, GET /api/v1/notifications; POST /api/v1/notifications/evaluate runs the
// rules now (what the periodic task does every minute).

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, invalid, notFound, stopNotAfterStart } from '../errors.js';
import { publicRule, type Rule, RuleInput, webhookTargetProblem } from '../notify/rules.js';
import { formatMillis } from '../time/parse.js';
import type { AppDeps, Notifications } from './deps.js';

export type { Notifications } from './deps.js';

import { text, time, whole } from './params.js';
import { errorResponse, type Route, route } from './route.js';

const MAX_RULE_BODY = 64 * 1024;

/** A rule as the API shows it (webhook header values hidden); its fields are those of the rule sent (RuleInput). */
const PublicRule = z.looseObject({
  id: z.string(),
  created_at: z.string(),
  name: z.string(),
  kind: z.string(),
  enabled: z.boolean(),
  handlers: z.array(z.looseObject({ type: z.string() })),
});

const NotificationJson = z.looseObject({
  id: z.number().int(),
  time: z.string(),
  rule_id: z.string(),
  rule_name: z.string(),
  kind: z.string(),
  series: z.record(z.string(), z.string().nullable()),
  event: z.string().nullable(),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
  deliveries: z.array(z.record(z.string(), z.unknown())),
});

const EvaluationReport = z.object({
  rules: z.number().int(),
  alerts: z.number().int(),
  sent: z.number().int(),
  failed: z.number().int(),
  duplicates: z.number().int(),
  cooling: z.number().int(),
  errors: z.array(z.object({ rule_id: z.string(), error: z.string() })),
});

const notificationsOf = (deps: AppDeps): Notifications => {
  if (!deps.notifications) throw new AppError('not found', 'notifications are not available with this store');
  return deps.notifications;
};

const unavailable = errorResponse('notifications are not available with this store');

export const notificationRoutes: Route[] = [
  route({
    method: 'get',
    path: '/api/v1/notifications/rules',
    auth: 'read',
    summary: 'Notification rules (webhook header values hidden)',
    responses: {
      '200': { description: 'the rules', body: z.object({ rules: z.array(PublicRule) }) },
      '404': unavailable,
    },
    async handler({ res, env: { deps } }) {
      res.json({ rules: (await notificationsOf(deps).log.rules()).map(publicRule) });
    },
  }),

  route({
    method: 'post',
    path: '/api/v1/notifications/rules',
    auth: 'write',
    summary: 'Add a notification rule',
    description:
      "threshold is required by availability_below (a percentage above 0, at most 100), latency_above (the statistic's value, above 0) and anomaly_score_above (the absolute score, above 0). window_minutes: the minutes of data an availability or latency rule looks at; min_tests: fewer results than this in the window say nothing; lookback_days: the history the analysis behind a regression, fingerprint or anomaly rule looks at; group_by: the series a rule fires for separately, each with its own cooldown. Webhook headers are sent with each POST and never shown back or logged.",
    body: {
      media: 'application/json',
      schema: RuleInput,
      required: true,
      name: 'NotificationRule',
      read: {
        maxBytes: MAX_RULE_BODY,
        refusal: ([first]) => `invalid rule: ${first!.path ? `"${first!.path}" ` : ''}${first!.message}`,
      },
    },
    responses: {
      '201': { description: 'the rule with its id (the Location header names it)', body: PublicRule },
      '400': errorResponse(
        'an invalid rule (errors[] has the path of each problem), a webhook host not among RESULTANT_WEBHOOK_HOSTS, or too many rules',
      ),
      '404': unavailable,
      '413': errorResponse('body larger than 64 KiB'),
      '415': errorResponse('not JSON'),
    },
    async handler({ res, body, env: { deps } }) {
      const hosts = deps.config.webhookHosts ?? [];
      body.handlers.forEach((h, i) => {
        const problem = h.type === 'webhook' ? webhookTargetProblem(h.url, hosts) : null;
        if (problem)
          throw invalid(`invalid rule: "handlers.${i}.url" ${problem}`, {
            errors: [{ path: `handlers.${i}.url`, message: problem }],
          });
      });
      const rule: Rule = { id: randomUUID(), created_at: formatMillis(deps.clock.now()), ...body };
      try {
        await notificationsOf(deps).log.addRule(rule);
      } catch (e) {
        if (e instanceof Error && /at most \d+ notification rules/.test(e.message)) throw invalid(e.message);
        throw e;
      }
      res.status(201).location(`/api/v1/notifications/rules/${rule.id}`).json(publicRule(rule));
    },
  }),

  route({
    method: 'delete',
    path: '/api/v1/notifications/rules/:id',
    auth: 'write',
    summary: 'Delete a notification rule',
    pathParams: { id: { description: 'the rule id', schema: { type: 'string' } } },
    otherParameters: 'allowed',
    responses: { '204': { description: 'deleted' }, '404': errorResponse('no such rule') },
    async handler({ req, res, env: { deps } }) {
      const id = String(req.params.id);
      if (!(await notificationsOf(deps).log.deleteRule(id)))
        throw notFound(`no notification rule with id "${id.slice(0, 100)}"`);
      res.status(204).end();
    },
  }),

  route({
    method: 'get',
    path: '/api/v1/notifications',
    auth: 'read',
    summary: 'Notifications sent, newest first, with the outcome of each delivery',
    query: z.object({
      rule_id: text('one rule only'),
      start: time('inclusive (default: the first notification)'),
      stop: time('exclusive (default: now)'),
      limit: whole('most notifications', 1, 10_000, 100),
    }),
    responses: {
      '200': { description: 'the notifications', body: z.object({ notifications: z.array(NotificationJson) }) },
      '400': errorResponse('bad parameter'),
      '404': unavailable,
    },
    async handler({ res, query: q, env: { deps } }) {
      const start = q.start ?? 0;
      const stop = q.stop ?? deps.clock.now() + 1;
      if (stop <= start) throw stopNotAfterStart();
      const items = await notificationsOf(deps).log.history({
        start,
        stop,
        limit: q.limit,
        ...(q.rule_id ? { ruleId: q.rule_id } : {}),
      });
      res.json({
        notifications: items.map(({ series_key: _key, time, ...x }) => ({ ...x, time: formatMillis(time) })),
      });
    },
  }),

  route({
    method: 'post',
    path: '/api/v1/notifications/evaluate',
    auth: 'write',
    summary: 'Evaluate every rule now (the service does this on RESULTANT_NOTIFY_CRON, by default every minute)',
    responses: { '200': { description: 'what was found and sent', body: EvaluationReport }, '404': unavailable },
    async handler({ res, env: { deps } }) {
      res.json(await notificationsOf(deps).notifier.evaluate(deps.clock.now()));
    },
  }),
];
