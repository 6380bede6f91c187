// Notification rules and history (docs/http-api.md; /openapi.json): GET|POST /api/v1/notifications/rules,
// DELETE /api/v1/notifications/rules/<id>, GET /api/v1/notifications; POST /api/v1/notifications/evaluate runs the
// rules now (what the periodic task does every minute).

import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { AppError, bodyErrors, invalid, notFound, stopNotAfterStart } from '../errors.js';
import { publicRule, type Rule, RuleInput, webhookTargetProblem } from '../notify/rules.js';
import { formatMillis } from '../time/parse.js';
import type { AppDeps, Notifications } from './deps.js';

export type { Notifications } from './deps.js';

import type { Auth } from './auth.js';
import { readJson } from './body.js';
import { intParam, one, queryOf, rejectUnknown, timeParam } from './params.js';

const MAX_RULE_BODY = 64 * 1024;

export function notificationsRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  const n = (): Notifications => {
    if (!deps.notifications) throw new AppError('not found', 'notifications are not available with this store');
    return deps.notifications;
  };

  r.get('/api/v1/notifications/rules', auth.require('read'), async (req, res) => {
    rejectUnknown(queryOf(req), [], false);
    res.json({ rules: (await n().log.rules()).map(publicRule) });
  });

  r.post('/api/v1/notifications/rules', auth.require('write'), async (req, res) => {
    const body = await readJson(req, MAX_RULE_BODY);
    const parsed = RuleInput.safeParse(body);
    if (!parsed.success) {
      const errors = bodyErrors(parsed.error.issues);
      const first = errors[0]!;
      throw invalid(`invalid rule: ${first.path ? `"${first.path}" ` : ''}${first.message}`, { errors });
    }
    const hosts = deps.config.webhookHosts ?? [];
    parsed.data.handlers.forEach((h, i) => {
      const problem = h.type === 'webhook' ? webhookTargetProblem(h.url, hosts) : null;
      if (problem)
        throw invalid(`invalid rule: "handlers.${i}.url" ${problem}`, {
          errors: [{ path: `handlers.${i}.url`, message: problem }],
        });
    });
    const rule: Rule = { id: randomUUID(), created_at: formatMillis(deps.clock.now()), ...parsed.data };
    try {
      await n().log.addRule(rule);
    } catch (e) {
      if (e instanceof Error && /at most \d+ notification rules/.test(e.message)) throw invalid(e.message);
      throw e;
    }
    res.status(201).location(`/api/v1/notifications/rules/${rule.id}`).json(publicRule(rule));
  });

  r.delete('/api/v1/notifications/rules/:id', auth.require('write'), async (req, res) => {
    const id = String(req.params.id);
    if (!(await n().log.deleteRule(id))) throw notFound(`no notification rule with id "${id.slice(0, 100)}"`);
    res.status(204).end();
  });

  r.get('/api/v1/notifications', auth.require('read'), async (req, res) => {
    const q = queryOf(req);
    rejectUnknown(q, ['rule_id', 'start', 'stop', 'limit'], false);
    const ruleId = one(q, 'rule_id');
    const start = timeParam(q, 'start') ?? 0;
    const stop = timeParam(q, 'stop') ?? deps.clock.now() + 1;
    if (stop <= start) throw stopNotAfterStart();
    const items = await n().log.history({
      start,
      stop,
      limit: intParam(q, 'limit', 1, 10_000, 100),
      ...(ruleId ? { ruleId } : {}),
    });
    res.json({
      notifications: items.map(({ series_key: _key, time, ...x }) => ({ ...x, time: formatMillis(time) })),
    });
  });

  r.post('/api/v1/notifications/evaluate', auth.require('write'), async (req, res) => {
    rejectUnknown(queryOf(req), [], false);
    res.json(await n().notifier.evaluate(deps.clock.now()));
  });
  return r;
}
