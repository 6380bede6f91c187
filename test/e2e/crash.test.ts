// Crash safety (docs/data-model.md): a 204 means durable. The server runs as a child process, receives writes,
// is killed with SIGKILL, and after a restart holds every acknowledged point.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function totalPoints(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/series`);
  const body = (await res.json()) as { series: { count: number }[] };
  return body.series.reduce((a, s) => a + s.count, 0);
}

function batch(i: number, size: number): string {
  const t0 = Date.now() - 3_600_000;
  return Array.from(
    { length: size },
    (_, j) =>
      `test_result,endpoint=e${j % 13},batch=b${i % 7} success=${j % 9 !== 0},latency_ms=${j % 50} ${(t0 + i * size + j) * 1_000_000}`,
  ).join('\n');
}

describe('crash safety', () => {
  it('keeps every acknowledged write after SIGKILL, also with writes in flight at the kill', async () => {
    const env = { RESULTANT_DB_PATH: join(dir, 'crash.duckdb'), RESULTANT_LOG_LEVEL: 'info' };
    const first = await serve(env);
    const size = 250;
    let acked = 0;
    // 40 acknowledged requests from 4 concurrent clients.
    for (let round = 0; round < 10; round++) {
      const statuses = await Promise.all(
        [0, 1, 2, 3].map((c) =>
          fetch(`${first.url}/api/v2/write`, { method: 'POST', body: batch(round * 4 + c, size) }).then(
            (r) => r.status,
          ),
        ),
      );
      for (const s of statuses) {
        expect(s).toBe(204);
        acked += size;
      }
    }
    // More writes in flight while the process is killed: the acknowledged ones among them must survive too.
    let inflightAcked = 0;
    const inflight = Array.from({ length: 20 }, (_, k) =>
      fetch(`${first.url}/api/v2/write`, { method: 'POST', body: batch(1000 + k, size) }).then(
        (r) => {
          if (r.status === 204) inflightAcked += size;
        },
        () => undefined,
      ),
    );
    await new Promise((r) => setTimeout(r, 15));
    first.proc.kill('SIGKILL');
    await first.exited;
    await Promise.all(inflight);

    const second = await serve(env);
    try {
      const total = await totalPoints(second.url);
      expect(total).toBeGreaterThanOrEqual(acked + inflightAcked);
      expect(total).toBeLessThanOrEqual(acked + 20 * size);
      expect(total % size).toBe(0); // every request is all or nothing
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
