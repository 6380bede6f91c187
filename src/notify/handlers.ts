// Delivery of one notification to one handler. Each delivery has its own time limit and retries, so a webhook
// that fails or hangs costs at most timeout x (retries + 1) plus back-off, and only its own delivery.
import type { Logger } from '../logger.js';
import type { Delivery } from './log.js';
import { type Handler, webhookTargetProblem } from './rules.js';

export interface Payload {
  rule: { id: string; name: string; kind: string };
  time: string;
  series: Record<string, string | null>;
  message: string;
  value: number | null;
  threshold: number | null;
  details: Record<string, unknown>;
}

export interface DeliverDeps {
  logger: Logger;
  /** Waits between retries (tests pass a short one). */
  sleep?: (ms: number) => Promise<void>;
  /** First back-off; doubled per retry. */
  backoffMs?: number;
  /** Hosts webhooks may be sent to (see webhookTargetProblem); empty or absent: any. */
  allowedHosts?: readonly string[];
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function deliver(h: Handler, p: Payload, deps: DeliverDeps): Promise<Delivery> {
  if (h.type === 'log') {
    deps.logger.warn(
      { rule: p.rule.name, rule_id: p.rule.id, series: p.series, value: p.value },
      `notification: ${p.message}`,
    );
    return { handler: 'log', target: 'log', ok: true, attempts: 1 };
  }
  const target = URL.canParse(h.url) ? new URL(h.url).origin : '(invalid URL)';
  const refused = webhookTargetProblem(h.url, deps.allowedHosts ?? []);
  if (refused) {
    deps.logger.warn({ rule_id: p.rule.id, target, error: refused }, 'webhook not sent');
    return { handler: 'webhook', target, ok: false, attempts: 0, error: `not sent: ${refused}` };
  }
  const sleep = deps.sleep ?? defaultSleep;
  const body = JSON.stringify(p);
  let last: Delivery = { handler: 'webhook', target, ok: false, attempts: 0 };
  for (let attempt = 1; attempt <= h.retries + 1; attempt++) {
    try {
      const res = await fetch(h.url, {
        method: 'POST',
        headers: { ...h.headers, 'Content-Type': 'application/json', 'User-Agent': 'resultant-notifier' },
        body,
        signal: AbortSignal.timeout(h.timeout_ms),
        redirect: 'manual',
      });
      // Read (and drop) the body so the connection is released.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300)
        return { handler: 'webhook', target, ok: true, attempts: attempt, status: res.status };
      last = {
        handler: 'webhook',
        target,
        ok: false,
        attempts: attempt,
        status: res.status,
        error: `answered ${res.status}`,
      };
      // A client error will not get better by sending the same request again (except 408 and 429).
      if (res.status < 500 && res.status !== 408 && res.status !== 429) return last;
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      last = {
        handler: 'webhook',
        target,
        ok: false,
        attempts: attempt,
        error: timedOut ? `no answer within ${h.timeout_ms} ms` : `cannot reach it: ${causeOf(e)}`,
      };
    }
    if (attempt <= h.retries) await sleep((deps.backoffMs ?? 500) * 2 ** (attempt - 1));
  }
  deps.logger.warn(
    { rule_id: p.rule.id, target, attempts: last.attempts, error: last.error },
    'webhook delivery failed',
  );
  return last;
}

function causeOf(e: unknown): string {
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
}
