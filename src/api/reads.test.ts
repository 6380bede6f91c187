// Raw reads over HTTP on a real loopback server and a real DuckDB store: results exported as CSV and NDJSON streams
// that page through the store, and series paged with a cursor.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/server.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});
const start = async () => (srv = await startTestServer());

const T0 = Date.UTC(2026, 10, 21, 10);
const ns = (ms: number) => `${ms}000000`;

async function write(s: TestServer, lines: string[]): Promise<void> {
  const res = await fetch(`${s.url}/api/v2/write?precision=ns`, { method: 'POST', body: lines.join('\n') });
  expect(res.status, await res.text()).toBe(204);
}

interface SeriesPage {
  series: { measurement: string; tags: Record<string, string>; count: number }[];
  next_cursor: string | null;
}

describe('series paging', () => {
  it('walks every series exactly once across pages, in the order of one unpaged answer', async () => {
    const s = await start();
    // 23 series (endpoint x region), two results each at distinct times, and a circuit breaker.
    const lines: string[] = [];
    for (let i = 0; i < 46; i++) lines.push(`test_result,endpoint=e${i % 23},region=r${i % 2} success=true,latency_ms=${i} ${ns(T0 + i * 1000)}`);
    lines.push(`circuit_breaker,breaker=b1 state="open" ${ns(T0)}`);
    await write(s, lines);
    const whole = (await (await fetch(`${s.url}/api/v1/series`)).json()) as SeriesPage;
    expect(whole.series).toHaveLength(47);
    expect(whole.next_cursor).toBeNull();
    const walked: SeriesPage['series'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await fetch(`${s.url}/api/v1/series?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as SeriesPage;
      expect(page.series.length).toBeLessThanOrEqual(5);
      walked.push(...page.series);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(10);
    expect(walked).toEqual(whole.series);
  });

  it('pages the series a filter selects, and gives no next_cursor when the last page is exactly full', async () => {
    const s = await start();
    const lines = Array.from({ length: 8 }, (_, i) => `test_result,endpoint=e${i},region=r${i % 2} success=true ${ns(T0 + i * 1000)}`);
    await write(s, lines);
    const first = (await (await fetch(`${s.url}/api/v1/series?tag.region=r0&limit=2`)).json()) as SeriesPage;
    expect(first.series.map((x) => x.tags.endpoint)).toEqual(['e0', 'e2']);
    const second = (await (await fetch(`${s.url}/api/v1/series?tag.region=r0&limit=2&cursor=${first.next_cursor}`)).json()) as SeriesPage;
    expect(second.series.map((x) => x.tags.endpoint)).toEqual(['e4', 'e6']);
    expect(second.next_cursor).toBeNull();
  });

  it('refuses a cursor it did not make with a 400 naming cursor', async () => {
    const s = await start();
    for (const bad of ['abc', Buffer.from('["nope",{}]').toString('base64url'), Buffer.from('["test_result",{"a":1}]').toString('base64url')]) {
      const res = await fetch(`${s.url}/api/v1/series?cursor=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid', parameter: 'cursor' });
    }
  });
});
