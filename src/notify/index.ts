// The notifier: evaluates every enabled rule, leaves out what was already sent (the same event, or the same rule
// and series within its cooldown), delivers the rest to the rule's handlers at the same time, and records what was
// sent with the outcome of each delivery. One rule failing (its analysis, its webhook) does not stop the others.
import type { Logger } from '../logger.js';
import type { Store } from '../store/types.js';
import { formatMillis } from '../time/parse.js';
import { type Analyze, evaluateRule } from './evaluate.js';
import { type DeliverDeps, deliver } from './handlers.js';
import type { NotificationLog, NotificationRecord } from './log.js';
import type { Rule } from './rules.js';

export interface NotifierDeps {
  store: Store;
  log: NotificationLog;
  logger: Logger;
  analyze?: Analyze;
  deliver?: Omit<DeliverDeps, 'logger'>;
}

export interface EvaluationReport {
  rules: number;
  alerts: number;
  /** Alerts that reached at least one handler. */
  sent: number;
  /** Alerts that reached none (each failed delivery is in `errors`); they are tried again at the next evaluation. */
  failed: number;
  /** Left out: already sent for this event, or the rule and series are in their cooldown. */
  duplicates: number;
  cooling: number;
  errors: { rule_id: string; error: string }[];
}

export class Notifier {
  private running: Promise<EvaluationReport> | null = null;

  constructor(private readonly deps: NotifierDeps) {}

  /**
   * One evaluation at a time: the schedule and `POST /api/v1/notifications/evaluate` (or two such requests) share
   * the one already running, since two at once would both read "not sent yet" and both send.
   */
  evaluate(now: number): Promise<EvaluationReport> {
    this.running ??= this.evaluateAll(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async evaluateAll(now: number): Promise<EvaluationReport> {
    const rules = (await this.deps.log.rules()).filter((r) => r.enabled);
    const report: EvaluationReport = {
      rules: rules.length,
      alerts: 0,
      sent: 0,
      failed: 0,
      duplicates: 0,
      cooling: 0,
      errors: [],
    };
    await Promise.all(
      rules.map(async (rule) => {
        try {
          await this.evaluateOne(rule, now, report);
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          report.errors.push({ rule_id: rule.id, error });
          this.deps.logger.warn(
            { rule_id: rule.id, rule: rule.name, error },
            'notification rule could not be evaluated',
          );
        }
      }),
    );
    return report;
  }

  private async evaluateOne(rule: Rule, now: number, report: EvaluationReport): Promise<void> {
    const alerts = await evaluateRule(rule, {
      store: this.deps.store,
      now,
      ...(this.deps.analyze ? { analyze: this.deps.analyze } : {}),
    });
    report.alerts += alerts.length;
    const events = alerts.flatMap((a) => (a.event === null ? [] : [a.event]));
    const sent = events.length ? await this.deps.log.sentEvents(rule.id, events) : new Set<string>();
    const thisRound = new Set<string>();
    const due = [];
    for (const a of alerts) {
      if (a.event !== null && sent.has(a.event)) {
        report.duplicates++;
        continue;
      }
      const last = thisRound.has(a.seriesKey) ? now : await this.deps.log.lastSent(rule.id, a.seriesKey);
      if (last !== null && now - last < rule.cooldown_minutes * 60_000) {
        report.cooling++;
        continue;
      }
      thisRound.add(a.seriesKey);
      due.push(a);
    }
    await Promise.all(
      due.map(async (a) => {
        const payload = {
          rule: { id: rule.id, name: rule.name, kind: rule.kind },
          time: formatMillis(now),
          series: a.series,
          message: a.message,
          value: a.value,
          threshold: a.threshold,
          details: a.details,
        };
        const deliveries = await Promise.all(
          rule.handlers.map((h) => deliver(h, payload, { logger: this.deps.logger, ...this.deps.deliver })),
        );
        await this.deps.log.record({
          time: now,
          rule_id: rule.id,
          rule_name: rule.name,
          kind: rule.kind,
          series: a.series,
          series_key: a.seriesKey,
          event: a.event,
          message: a.message,
          value: a.value,
          threshold: a.threshold,
          details: a.details,
          deliveries,
        });
        for (const d of deliveries) {
          if (!d.ok)
            report.errors.push({ rule_id: rule.id, error: `${d.handler} ${d.target}: ${d.error ?? 'failed'}` });
        }
        if (deliveries.some((d) => d.ok)) report.sent++;
        else report.failed++;
      }),
    );
  }
}

export type { NotificationLog, NotificationRecord };
