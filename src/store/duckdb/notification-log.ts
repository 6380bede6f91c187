// Notification rules and the history of sent notifications, in the embedded database file beside the series.
import type { HistoryQuery, NotificationLog, NotificationRecord } from '../../notify/log.js';
import type { Rule } from '../../notify/rules.js';
import { listValue, queryRows, T } from './db.js';
import type { DuckDBStore } from './index.js';

const DDL = [
  `CREATE TABLE IF NOT EXISTS notification_rules (id VARCHAR PRIMARY KEY, created_ms BIGINT NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE SEQUENCE IF NOT EXISTS notification_ids START 1`,
  `CREATE TABLE IF NOT EXISTS notifications (
     id BIGINT PRIMARY KEY DEFAULT nextval('notification_ids'),
     time_ms BIGINT NOT NULL,
     rule_id VARCHAR NOT NULL,
     series_key VARCHAR NOT NULL,
     event VARCHAR,
     delivered BOOLEAN NOT NULL,
     body VARCHAR NOT NULL)`,
];

/** Most rules kept: each is evaluated every minute. */
export const MAX_RULES = 500;

export class DuckDBNotificationLog implements NotificationLog {
  private constructor(private readonly store: DuckDBStore) {}

  static async open(store: DuckDBStore): Promise<DuckDBNotificationLog> {
    await store.exclusive(async (c) => {
      for (const sql of DDL) await c.run(sql);
    });
    return new DuckDBNotificationLog(store);
  }

  rules(): Promise<Rule[]> {
    return this.store.exclusive(async (c) => {
      const rows = await queryRows<{ body: string }>(c, 'SELECT body FROM notification_rules ORDER BY created_ms, id');
      return rows.map((r) => JSON.parse(r.body) as Rule);
    });
  }

  addRule(rule: Rule): Promise<void> {
    return this.store.exclusive(async (c) => {
      const [n] = await queryRows<{ n: number }>(c, 'SELECT count(*)::INTEGER AS n FROM notification_rules');
      if (n!.n >= MAX_RULES) throw new Error(`at most ${MAX_RULES} notification rules`);
      await c.run('INSERT INTO notification_rules VALUES ($id, $t::BIGINT, $body)', {
        id: rule.id,
        t: Date.parse(rule.created_at),
        body: JSON.stringify(rule),
      });
    });
  }

  deleteRule(id: string): Promise<boolean> {
    return this.store.exclusive(async (c) => {
      const rows = await queryRows(c, 'DELETE FROM notification_rules WHERE id = $id RETURNING id', { id });
      return rows.length > 0;
    });
  }

  lastSent(ruleId: string, seriesKey: string): Promise<number | null> {
    return this.store.exclusive(async (c) => {
      // Only deliveries that reached a handler start a cooldown: an alert whose webhook was down is tried again at
      // the next evaluation rather than held back for the whole cooldown.
      const [r] = await queryRows<{ t: number | null }>(
        c,
        'SELECT max(time_ms)::DOUBLE AS t FROM notifications WHERE rule_id = $r AND series_key = $k AND delivered',
        { r: ruleId, k: seriesKey },
      );
      return r?.t ?? null;
    });
  }

  sentEvents(ruleId: string, events: readonly string[]): Promise<Set<string>> {
    return this.store.exclusive(async (c) => {
      // Only deliveries that reached a handler count: an event whose every delivery failed is tried again later.
      const rows = await queryRows<{ event: string }>(
        c,
        'SELECT DISTINCT event FROM notifications WHERE rule_id = $r AND delivered AND list_contains($events, event)',
        { r: ruleId, events: listValue([...events]) },
        { r: T.VARCHAR, events: T.LIST(T.VARCHAR) },
      );
      return new Set(rows.map((r) => r.event));
    });
  }

  record(n: Omit<NotificationRecord, 'id'>): Promise<NotificationRecord> {
    return this.store.exclusive(async (c) => {
      const [row] = await queryRows<{ id: number }>(
        c,
        `INSERT INTO notifications (time_ms, rule_id, series_key, event, delivered, body)
         VALUES ($t::BIGINT, $r, $k, $e, $d, $body) RETURNING id::DOUBLE AS id`,
        {
          t: Math.round(n.time),
          r: n.rule_id,
          k: n.series_key,
          e: n.event,
          d: n.deliveries.some((x) => x.ok),
          body: JSON.stringify(n),
        },
        { e: T.VARCHAR },
      );
      return { id: row!.id, ...n };
    });
  }

  history(q: HistoryQuery): Promise<NotificationRecord[]> {
    return this.store.exclusive(async (c) => {
      const rows = await queryRows<{ id: number; body: string }>(
        c,
        `SELECT id::DOUBLE AS id, body FROM notifications
         WHERE time_ms >= $start::BIGINT AND time_ms < $stop::BIGINT AND ($rule IS NULL OR rule_id = $rule)
         ORDER BY time_ms DESC, id DESC LIMIT $limit::BIGINT`,
        { start: Math.floor(q.start), stop: Math.ceil(q.stop), rule: q.ruleId ?? null, limit: q.limit },
        { rule: T.VARCHAR },
      );
      return rows.map((r) => ({ id: r.id, ...(JSON.parse(r.body) as Omit<NotificationRecord, 'id'>) }));
    });
  }
}
