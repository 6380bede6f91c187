// Where rules and sent notifications are kept (the port; store/duckdb/notification-log.ts keeps them in the
// embedded database file).
import type { Rule } from './rules.js';

export interface Delivery {
  handler: 'log' | 'webhook';
  /** For webhooks the URL's origin only (paths and queries may carry secrets). */
  target: string;
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

export interface NotificationRecord {
  id: number;
  /** When it was sent, ms. */
  time: number;
  rule_id: string;
  rule_name: string;
  kind: Rule['kind'];
  series: Record<string, string | null>;
  /** Identity of `series`, for cooldowns. */
  series_key: string;
  /** What the notification is about, for de-duplication: the same event is never sent twice for a rule. */
  event: string | null;
  message: string;
  value: number | null;
  threshold: number | null;
  details: Record<string, unknown>;
  deliveries: Delivery[];
}

export interface HistoryQuery {
  ruleId?: string;
  /** [start, stop) ms on the time sent. */
  start: number;
  stop: number;
  limit: number;
}

export interface NotificationLog {
  rules(): Promise<Rule[]>;
  addRule(rule: Rule): Promise<void>;
  /** False when there was no such rule. */
  deleteRule(id: string): Promise<boolean>;
  /** Last time (ms) a notification of the rule reached a handler for the series, or null. */
  lastSent(ruleId: string, seriesKey: string): Promise<number | null>;
  /** Events of the rule already sent, out of `events`. */
  sentEvents(ruleId: string, events: readonly string[]): Promise<Set<string>>;
  record(n: Omit<NotificationRecord, 'id'>): Promise<NotificationRecord>;
  /** Newest first. */
  history(q: HistoryQuery): Promise<NotificationRecord[]>;
}
