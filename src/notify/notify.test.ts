// Notifications end to end: rules through the API of a real server with a real DuckDB store, evaluation over real
// aggregates, webhooks to real HTTP servers on loopback (answering, failing, hanging), cooldown and persistence.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { batchOf, type Row } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { silentLogger } from '../logger.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { DuckDBNotificationLog } from '../store/duckdb/notification-log.js';
import { deliver } from './handlers.js';
import { Notifier } from './index.js';

const NOW = Date.UTC(2026, 10, 21, 12, 7);
const MIN = 60_000;
let srv: TestServer | null = null;
const hooks: Server[] = [];
afterEach(async () => {
  await srv?.close();
  srv = null;
  for (const h of hooks.splice(0)) {
    h.closeAllConnections();
    await new Promise((r) => h.close(r));
  }
});
const dir = mkdtempSync(join(tmpdir(), 'resultant-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Hook {
  url: string;
  received: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
}

/** A webhook receiver: `answer` decides the status per request (or 'hang' to never answer). */
async function hook(answer: (n: number) => number | 'hang' = () => 200): Promise<Hook> {
  const received: Hook['received'] = [];
  const s = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) as Record<string, unknown> });
      const a = answer(received.length);
      if (a === 'hang') return;
      res.statusCode = a;
      res.end();
    });
  });
  hooks.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  return {
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hooks/resultant?secret=s3`,
    received,
  };
}

/** Probes of the last 15 minutes: `api` fails 4 of 20, `web` is healthy, `rare` has only 3 results (all failed), and
 * 20 failed results carry no endpoint. */
async function probes(s: TestServer, at = NOW): Promise<void> {
  const rows: Row[] = [];
  for (let i = 0; i < 20; i++) {
    rows.push({ t: at - (i + 1) * 30_000, success: i % 5 !== 0, latency: 100 + i, tags: { endpoint: 'api' } });
    rows.push({ t: at - (i + 1) * 30_000, success: true, latency: 20, tags: { endpoint: 'web' } });
  }
  for (let i = 0; i < 3; i++) rows.push({ t: at - (i + 1) * MIN, success: false, tags: { endpoint: 'rare' } });
  // Failing results without an endpoint tag: not an endpoint to alert on.
  for (let i = 0; i < 20; i++)
    rows.push({ t: at - (i + 1) * 30_000, success: false, latency: 900, tags: { test: 'unit' } });
  await s.store.write(batchOf(rows));
}

async function addRule(s: TestServer, rule: Record<string, unknown>, token?: string): Promise<Response> {
  return fetch(`${s.url}/api/v1/notifications/rules`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Token ${token}` } : {}) },
    body: JSON.stringify(rule),
  });
}

const evaluate = async (s: TestServer) =>
  (await (await fetch(`${s.url}/api/v1/notifications/evaluate`, { method: 'POST' })).json()) as Record<string, unknown>;

describe('notification rules', () => {
  it('rejects invalid rules with the path of each problem, and refuses rules without a token when tokens are set', async () => {
    srv = await startTestServer({ now: NOW, authTokens: ['t0k'] });
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'a', kind: 'availability_below' }, 'threshold'],
      [{ name: 'a', kind: 'availability_below', threshold: 120 }, 'threshold'],
      [{ name: 'a', kind: 'latency_above', threshold: 5, window_minutes: 20 }, 'window_minutes'],
      [{ name: 'a', kind: 'regression', handlers: [{ type: 'webhook', url: 'ftp://x' }] }, 'handlers.0.url'],
      [{ name: 'a', kind: 'regression', filter: { _bad: 'x' } }, 'filter._bad'],
      [{ name: 'a', kind: 'bogus' }, 'kind'],
      [{ name: 'a', kind: 'regression', colour: 'red' }, 'colour'],
      [{ name: '', kind: 'regression' }, 'name'],
    ];
    for (const [rule, path] of cases) {
      const res = await addRule(srv, rule, 't0k');
      expect(res.status, JSON.stringify(rule)).toBe(400);
      const body = (await res.json()) as { errors: { path: string }[] };
      expect(
        body.errors.map((e) => e.path),
        JSON.stringify(rule),
      ).toContain(path);
    }
    expect((await addRule(srv, { name: 'ok', kind: 'regression' })).status).toBe(401);
    const bad = await fetch(`${srv.url}/api/v1/notifications/rules`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Token t0k' },
      body: '{"name": ',
    });
    expect(bad.status).toBe(400);
  });

  it("refuses webhook URLs with credentials or outside the allowed hosts, and never shows a URL's path or query back", async () => {
    srv = await startTestServer({ now: NOW, webhookHosts: ['127.0.0.1', '.hooks.example.com'] });
    const withUser = await addRule(srv, {
      name: 'a',
      kind: 'regression',
      handlers: [{ type: 'webhook', url: 'http://user:pa55word@127.0.0.1/x' }],
    });
    expect(withUser.status).toBe(400);
    const body = (await withUser.json()) as { message: string; errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(['handlers.0.url']);
    expect(JSON.stringify(body)).not.toContain('pa55word');
    const elsewhere = await addRule(srv, {
      name: 'a',
      kind: 'regression',
      handlers: [{ type: 'webhook', url: 'http://10.0.0.5:8080/admin' }],
    });
    expect(elsewhere.status).toBe(400);
    expect(((await elsewhere.json()) as { message: string }).message).toMatch(
      /"handlers\.0\.url" host "10\.0\.0\.5" is not among the allowed webhook hosts \(RESULTANT_WEBHOOK_HOSTS\)/,
    );
    const sub = await addRule(srv, {
      name: 'chat',
      kind: 'regression',
      handlers: [{ type: 'webhook', url: 'https://a.hooks.example.com/services/T0/B0/s3cr3t?x=1' }],
    });
    expect(sub.status).toBe(201);
    expect(((await sub.json()) as { handlers: { url: string }[] }).handlers[0]!.url).toBe(
      'https://a.hooks.example.com/…',
    );
    const listed = await (await fetch(`${srv.url}/api/v1/notifications/rules`)).text();
    expect(listed).toContain('https://a.hooks.example.com/…');
    expect(listed).not.toContain('s3cr3t');
  });

  it('does not send to a stored URL that carries credentials, and says so without repeating them', async () => {
    const logged: unknown[] = [];
    const logger = { ...silentLogger, warn: (o: unknown) => void logged.push(o) };
    const d = await deliver(
      { type: 'webhook', url: 'http://user:pa55word@127.0.0.1:9/hook', headers: {}, timeout_ms: 500, retries: 0 },
      {
        rule: { id: 'r', name: 'r', kind: 'regression' },
        time: '',
        series: {},
        message: 'm',
        value: null,
        threshold: null,
        details: {},
      },
      { logger: logger as typeof silentLogger },
    );
    expect(d).toEqual({
      handler: 'webhook',
      target: 'http://127.0.0.1:9',
      ok: false,
      attempts: 0,
      error: 'not sent: the URL carries a user or password; send credentials in headers instead',
    });
    expect(JSON.stringify(logged)).not.toContain('pa55word');
    expect(logged).toHaveLength(1);
  });

  it('sends an availability alert for the endpoint below the threshold to a webhook, once per cooldown', async () => {
    srv = await startTestServer({ now: NOW });
    await probes(srv);
    const h = await hook();
    const res = await addRule(srv, {
      name: 'api availability',
      kind: 'availability_below',
      threshold: 99,
      group_by: ['endpoint'],
      cooldown_minutes: 30,
      handlers: [{ type: 'webhook', url: h.url, headers: { Authorization: 'Bearer hook-secret' } }, { type: 'log' }],
    });
    expect(res.status).toBe(201);
    const rule = (await res.json()) as { id: string; handlers: { headers?: Record<string, string> }[] };
    // Header values are credentials: never shown back.
    expect(rule.handlers[0]!.headers).toEqual({ Authorization: '***' });
    const listed = (await (await fetch(`${srv.url}/api/v1/notifications/rules`)).json()) as { rules: unknown[] };
    expect(JSON.stringify(listed)).not.toContain('hook-secret');

    const r1 = await evaluate(srv);
    expect(r1).toMatchObject({ rules: 1, alerts: 1, sent: 1, cooling: 0, errors: [] });
    expect(h.received).toHaveLength(1);
    const got = h.received[0]!;
    expect(got.headers.authorization).toBe('Bearer hook-secret');
    expect(got.body).toMatchObject({
      rule: { id: rule.id, name: 'api availability' },
      series: { endpoint: 'api' },
      value: 80,
      threshold: 99,
    });
    expect(String(got.body.message)).toMatch(
      /availability 80\.00 % is below 99 % for endpoint=api \(16 of 20 succeeded/,
    );

    // Still failing a minute later: within the cooldown, nothing new.
    srv.clock.advance(MIN);
    expect(await evaluate(srv)).toMatchObject({ alerts: 1, sent: 0, cooling: 1 });
    expect(h.received).toHaveLength(1);
    // After the cooldown, still failing: sent again.
    srv.clock.advance(30 * MIN);
    await probes(srv, srv.clock.now());
    expect(await evaluate(srv)).toMatchObject({ sent: 1 });
    expect(h.received).toHaveLength(2);

    const hist = (await (await fetch(`${srv.url}/api/v1/notifications?rule_id=${rule.id}`)).json()) as {
      notifications: {
        time: string;
        series: unknown;
        deliveries: { handler: string; target: string; ok: boolean }[];
      }[];
    };
    expect(hist.notifications).toHaveLength(2);
    expect(hist.notifications[0]!.time).toBe('2026-11-21T12:38:00Z');
    expect(hist.notifications[0]!.deliveries).toEqual([
      { handler: 'webhook', target: new URL(h.url).origin, ok: true, attempts: 1, status: 200 },
      { handler: 'log', target: 'log', ok: true, attempts: 1 },
    ]);
    // The webhook's path and query (which can hold secrets) are not in the history.
    expect(JSON.stringify(hist)).not.toContain('s3');
  });

  it('fires latency rules on the chosen statistic, and leaves out series with too few results', async () => {
    srv = await startTestServer({ now: NOW });
    await probes(srv);
    await addRule(srv, { name: 'slow', kind: 'latency_above', statistic: 'mean', threshold: 50, min_tests: 5 });
    await addRule(srv, { name: 'down', kind: 'availability_below', threshold: 50, min_tests: 5 });
    const r = await evaluate(srv);
    // api's mean latency is 109.5 (100..119); web's 20; rare has 3 results (under min_tests) although all failed.
    expect(r).toMatchObject({ rules: 2, alerts: 1, sent: 1 });
    const hist = (await (await fetch(`${srv.url}/api/v1/notifications`)).json()) as {
      notifications: { value: number; series: unknown }[];
    };
    expect(hist.notifications).toEqual([expect.objectContaining({ value: 109.5, series: { endpoint: 'api' } })]);
  });

  it('retries a failing webhook, gives up on one that hangs, and neither blocks the other handlers or writes', async () => {
    srv = await startTestServer({ now: NOW });
    await probes(srv);
    const failing = await hook(() => 500);
    const hanging = await hook(() => 'hang');
    const fine = await hook();
    await addRule(srv, {
      name: 'r',
      kind: 'availability_below',
      threshold: 99,
      handlers: [
        { type: 'webhook', url: failing.url, retries: 2 },
        { type: 'webhook', url: hanging.url, timeout_ms: 300, retries: 1 },
        { type: 'webhook', url: fine.url },
      ],
    });
    const started = Date.now();
    const pending = evaluate(srv);
    // While the hanging webhook waits, writes are answered.
    await new Promise((r) => setTimeout(r, 100));
    const w = await fetch(`${srv.url}/api/v2/write?precision=ms`, {
      method: 'POST',
      body: `test_result,endpoint=api success=true ${NOW}`,
    });
    expect(w.status).toBe(204);
    const report = await pending;
    // About a second here; the bound only says the hanging webhook was cut off by its timeout, not left to hang.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(report).toMatchObject({ sent: 1 });
    expect(failing.received).toHaveLength(3);
    expect(hanging.received).toHaveLength(2);
    expect(fine.received).toHaveLength(1);
    const hist = (await (await fetch(`${srv.url}/api/v1/notifications`)).json()) as {
      notifications: { deliveries: unknown[] }[];
    };
    expect(hist.notifications[0]!.deliveries).toEqual([
      expect.objectContaining({ ok: false, attempts: 3, status: 500, error: 'answered 500' }),
      expect.objectContaining({ ok: false, attempts: 2, error: 'no answer within 300 ms' }),
      expect.objectContaining({ ok: true, attempts: 1 }),
    ]);
  }, 20_000);

  it('sends once when evaluations run at the same time, and tries again next time when no handler was reached', async () => {
    srv = await startTestServer({ now: NOW });
    await probes(srv);
    const ok = await hook();
    await addRule(srv, {
      name: 'ok',
      kind: 'availability_below',
      threshold: 99,
      handlers: [{ type: 'webhook', url: ok.url }],
    });
    // The schedule's evaluation and two requests' at once.
    const t = srv.clock.now();
    await Promise.all([srv.notifier.evaluate(t), srv.notifier.evaluate(t), evaluate(srv), evaluate(srv)]);
    expect(ok.received).toHaveLength(1);

    let up = false;
    const flaky = await hook(() => (up ? 200 : 500));
    await addRule(srv, {
      name: 'down',
      kind: 'availability_below',
      threshold: 99,
      handlers: [{ type: 'webhook', url: flaky.url, retries: 0 }],
    });
    srv.clock.advance(MIN);
    // A delivery that reached no handler is a failure, and says why.
    expect(await evaluate(srv)).toMatchObject({
      sent: 0,
      failed: 1,
      errors: [{ error: expect.stringMatching(/^webhook http:\/\/127\.0\.0\.1:\d+: answered 500$/) }],
    });
    expect(flaky.received).toHaveLength(1);
    // The receiver is back a minute later: the alert goes out then, not after the 60-minute cooldown.
    up = true;
    srv.clock.advance(MIN);
    await evaluate(srv);
    expect(flaky.received).toHaveLength(2);
    srv.clock.advance(MIN);
    await evaluate(srv);
    expect(flaky.received).toHaveLength(2);
  });

  it('keeps rules and history in the database file across restarts, and deletes rules', async () => {
    const path = join(dir, 'n.duckdb');
    srv = await startTestServer({ now: NOW, path });
    await probes(srv);
    const rule = (await (await addRule(srv, { name: 'keep', kind: 'availability_below', threshold: 90 })).json()) as {
      id: string;
    };
    expect(await evaluate(srv)).toMatchObject({ sent: 1 });
    await srv.close();
    srv = await startTestServer({ now: NOW + MIN, path });
    const rules = (await (await fetch(`${srv.url}/api/v1/notifications/rules`)).json()) as { rules: { id: string }[] };
    expect(rules.rules.map((r) => r.id)).toEqual([rule.id]);
    // The cooldown survives the restart too.
    expect(await evaluate(srv)).toMatchObject({ alerts: 1, sent: 0, cooling: 1 });
    expect((await fetch(`${srv.url}/api/v1/notifications/rules/${rule.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${srv.url}/api/v1/notifications/rules/${rule.id}`, { method: 'DELETE' })).status).toBe(404);
    const hist = (await (await fetch(`${srv.url}/api/v1/notifications`)).json()) as {
      notifications: { rule_name: string }[];
    };
    expect(hist.notifications.map((n) => n.rule_name)).toEqual(['keep']);
  });

  it('sends a new failure fingerprint once, through the real failure-patterns analysis', async () => {
    srv = await startTestServer({ now: NOW });
    const h = await hook();
    await addRule(srv, {
      name: 'new errors',
      kind: 'new_failure_fingerprint',
      window_minutes: 60,
      lookback_days: 1,
      cooldown_minutes: 0,
      handlers: [{ type: 'webhook', url: h.url }],
    });
    // An old, known error for a day, and a new one in the last half hour.
    const rows: Row[] = [];
    for (let i = 0; i < 24; i++)
      rows.push({
        t: NOW - (i + 2) * 3_600_000,
        success: false,
        error: `connection refused to 10.0.0.${i}:5432`,
        tags: { endpoint: 'db' },
      });
    for (let i = 0; i < 3; i++)
      rows.push({
        t: NOW - (i + 1) * 5 * MIN,
        success: false,
        error: `disk quota exceeded on /var/data/shard${i}`,
        tags: { endpoint: 'store' },
      });
    await srv.store.write(batchOf(rows));
    const r1 = await evaluate(srv);
    expect(r1).toMatchObject({ errors: [], sent: 1 });
    expect(String(h.received[0]!.body.message)).toMatch(/new failure \(resource\) seen 3 times .*disk quota exceeded/);
    // Still new (first seen within the window) ten minutes later, and no cooldown: only the de-duplication of the
    // event keeps it from being sent again.
    srv.clock.advance(10 * MIN);
    await srv.store.write(
      batchOf([
        {
          t: srv.clock.now() - MIN,
          success: false,
          error: 'disk quota exceeded on /var/data/shard9',
          tags: { endpoint: 'store' },
        },
      ]),
    );
    const r2 = await evaluate(srv);
    expect(r2).toMatchObject({ alerts: 1, duplicates: 1, sent: 0 });
    expect(h.received).toHaveLength(1);
  });

  it('reports a rule that needs an analysis the notifier was not given, and still evaluates the others', async () => {
    const store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    try {
      const log = await DuckDBNotificationLog.open(store);
      const base = {
        filter: {},
        group_by: ['endpoint'],
        metric: 'latency_ms',
        statistic: 'p95' as const,
        window_minutes: 15,
        min_tests: 1,
      };
      const more = {
        min_severity: 'major' as const,
        lookback_days: 7,
        cooldown_minutes: 60,
        handlers: [{ type: 'log' as const }],
        enabled: true,
      };
      await log.addRule({
        id: 'a',
        created_at: '2026-11-21T00:00:00Z',
        name: 'reg',
        kind: 'regression',
        ...base,
        ...more,
      });
      await log.addRule({
        id: 'b',
        created_at: '2026-11-21T00:00:01Z',
        name: 'av',
        kind: 'availability_below',
        threshold: 99,
        ...base,
        ...more,
      });
      await store.write(batchOf([{ t: NOW - MIN, success: false, tags: { endpoint: 'x' } }]));
      const r = await new Notifier({ store, log, logger: silentLogger }).evaluate(NOW);
      expect(r.errors).toEqual([
        {
          rule_id: 'a',
          error: 'rule kind regression needs the regressions analysis, which this service does not have',
        },
      ]);
      expect(r.sent).toBe(1);
    } finally {
      await store.close();
    }
  });
});
