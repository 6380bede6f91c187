// Raw reads over HTTP on a real loopback server and a real DuckDB store: results exported as CSV and NDJSON streams
// that page through the store, and series paged with a cursor.
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import { formatMicros } from '../time/parse.js';
import { EXPORT_PAGE_SIZE } from './export.js';

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

/** Texts a CSV writer must quote, and one a spreadsheet would run as a formula. */
const NASTY = ['timeout, after 5 s', 'said "no"', 'line one\nline two', '=HYPERLINK("http://evil","x")'];

/** More results than one export page: two series, distinct times, a µs part, some failures with nasty errors. */
function exportData(): Record<string, unknown>[] {
  const n = EXPORT_PAGE_SIZE * 2 + 345;
  return Array.from({ length: n }, (_, i) => ({
    time: formatMicros((T0 + i * 1000) * 1000 + (i % 1000)),
    success: i % 10 !== 0,
    latency_ms: i % 7 === 0 ? null : i / 4,
    metrics: i % 3 === 0 ? { ttfb_ms: i, bytes: 2 * i } : null,
    error: i % 10 === 0 ? NASTY[(i / 10) % NASTY.length]! : null,
    error_type: i % 10 === 0 ? 'timeout' : null,
    tags: { endpoint: i % 2 ? 'api' : 'web', region: 'eu' },
  }));
}

async function writeJson(s: TestServer, records: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${s.url}/api/v1/results`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(records),
  });
  expect(res.status, await res.text()).toBe(201);
}

interface ResultJson {
  time: string;
  success: boolean;
  latency_ms: number | null;
  metrics: Record<string, number> | null;
  error: string | null;
  error_type: string | null;
  tags: Record<string, string>;
}

/** Every result of a query through the JSON pages (what the exports must equal). */
async function allPages(s: TestServer, query: string): Promise<ResultJson[]> {
  const out: ResultJson[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (
      await fetch(`${s.url}/api/v1/results?limit=10000${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    ).json()) as {
      results: ResultJson[];
      next_cursor: string | null;
    };
    out.push(...page.results);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** A CSV export's rows back as the JSON API's objects (formula-guarded errors keep their quote mark). */
function fromCsv(text: string): { header: string[]; rows: ResultJson[] } {
  const [header, ...cells] = parse(text, { relax_column_count: false }) as string[][];
  const rows = cells.map((c) => ({
    time: c[0]!,
    success: c[1] === 'true',
    latency_ms: c[2] === '' ? null : Number(c[2]),
    metrics: c[6] === '' ? null : (JSON.parse(c[6]!) as Record<string, number>),
    error: c[3] === '' ? null : c[3]!,
    error_type: c[4] === '' ? null : c[4]!,
    tags: JSON.parse(c[5]!) as Record<string, string>,
  }));
  return { header: header!, rows };
}

describe('results export', () => {
  it('streams a range larger than one page as CSV: every stored result once, newest first, quoted and formula-guarded', async () => {
    const s = await start();
    const data = exportData();
    await writeJson(s, data);
    const res = await fetch(`${s.url}/api/v1/results?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="results.csv"');
    const text = await res.text();
    expect(text.startsWith('time,success,latency_ms,error,error_type,tags,metrics\r\n')).toBe(true);
    const { header, rows } = fromCsv(text);
    expect(header).toEqual(['time', 'success', 'latency_ms', 'error', 'error_type', 'tags', 'metrics']);
    expect(rows).toHaveLength(data.length);
    const expected = await allPages(s, '');
    const guarded = expected.map((r) => (r.error?.startsWith('=') ? { ...r, error: `'${r.error}` } : r));
    expect(rows).toEqual(guarded);
    expect(rows[0]!.time).toBe('2026-11-21T10:39:04.000344Z');
    const times = rows.map((r) => r.time);
    expect(times).toEqual([...times].sort().reverse());
    expect(new Set(rows.map((r) => r.error)).size).toBe(NASTY.length + 1);
    expect(text).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(text).toContain('"line one\nline two"');
  });

  it("streams NDJSON lines equal to the JSON API's result objects, with the filters applied", async () => {
    const s = await start();
    await writeJson(s, exportData());
    const query = '&tag.endpoint=web&success=false';
    const res = await fetch(`${s.url}/api/v1/results?format=ndjson${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="results.ndjson"');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .slice(0, -1)
      .split('\n')
      .map((l) => JSON.parse(l) as ResultJson);
    expect(lines).toEqual(await allPages(s, query));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((r) => r.tags.endpoint === 'web' && !r.success)).toBe(true);
    const all = await fetch(`${s.url}/api/v1/results?format=ndjson&start=${T0}&stop=${T0 + 1_500_000}`);
    expect((await all.text()).trim().split('\n')).toHaveLength(1500);
  });

  it('stops reading pages when its client goes away mid-export, and counts it in /metrics', async () => {
    const s = await start();
    const pages = 40;
    const records = Array.from({ length: EXPORT_PAGE_SIZE * pages }, (_, i) => ({
      time: formatMicros((T0 + i * 10) * 1000),
      success: true,
      latency_ms: i % 500,
      error: null,
      tags: { endpoint: `e${i % 4}`, region: 'eu', note: 'x'.repeat(40) },
    }));
    for (let i = 0; i < records.length; i += 10_000) await writeJson(s, records.slice(i, i + 10_000));
    // The real store, observed: how many pages the export asks it for.
    const read = vi.spyOn(s.store, 'results');
    const cancelled = async (): Promise<number> =>
      Number(
        /^resultant_http_requests_cancelled_total (\d+)/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1] ??
          0,
      );
    const gone = new AbortController();
    const res = await fetch(`${s.url}/api/v1/results?format=csv`, { signal: gone.signal });
    expect(res.status).toBe(200);
    await res.body!.getReader().read();
    gone.abort();
    // Up to 20 s: it is counted at once on an idle machine; the bound only ends a wait for a count that never comes.
    for (let i = 0; i < 400 && (await cancelled()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await cancelled()).toBe(1);
    const asked = read.mock.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    // The export stopped where the client left: no page read after that, and most never read at all.
    expect(read.mock.calls.length).toBe(asked);
    expect(asked).toBeLessThan(pages / 2);
    expect((await fetch(`${s.url}/ping`)).status).toBe(204);
  });

  it('answers an empty range with the CSV header alone', async () => {
    const s = await start();
    const text = await (await fetch(`${s.url}/api/v1/results?format=csv`)).text();
    expect(text).toBe('time,success,latency_ms,error,error_type,tags,metrics\r\n');
    expect(await (await fetch(`${s.url}/api/v1/results?format=ndjson`)).text()).toBe('');
  });

  it('refuses an unknown format, JSON paging parameters on an export, and a bad range with 400s naming them', async () => {
    const s = await start();
    const cases: [string, string][] = [
      ['format=xml', 'format'],
      ['format=csv&limit=10', 'limit'],
      ['format=ndjson&cursor=abc', 'cursor'],
      ['format=csv&start=2026-11-22T00:00:00Z&stop=2026-11-21T00:00:00Z', 'stop'],
      ['format=csv&success=maybe', 'success'],
    ];
    for (const [q, parameter] of cases) {
      const res = await fetch(`${s.url}/api/v1/results?${q}`);
      expect(res.status, q).toBe(400);
      expect(await res.json(), q).toMatchObject({ code: 'invalid', parameter });
    }
  });

  it('keeps JSON pages the default, unchanged', async () => {
    const s = await start();
    await writeJson(s, exportData().slice(0, 3));
    const body = (await (await fetch(`${s.url}/api/v1/results?limit=2`)).json()) as {
      results: ResultJson[];
      next_cursor: string | null;
    };
    expect(body.results).toHaveLength(2);
    expect(body.next_cursor).toEqual(expect.any(String));
    expect(await (await fetch(`${s.url}/api/v1/results?format=json&limit=2`)).json()).toEqual(body);
  });
});

interface SeriesPage {
  series: { measurement: string; tags: Record<string, string>; count: number }[];
  next_cursor: string | null;
}

describe('series paging', () => {
  it('walks every series exactly once across pages, in the order of one unpaged answer', async () => {
    const s = await start();
    // 23 series (endpoint x region), two results each at distinct times, and a circuit breaker.
    const lines: string[] = [];
    for (let i = 0; i < 46; i++)
      lines.push(`test_result,endpoint=e${i % 23},region=r${i % 2} success=true,latency_ms=${i} ${ns(T0 + i * 1000)}`);
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
    const lines = Array.from(
      { length: 8 },
      (_, i) => `test_result,endpoint=e${i},region=r${i % 2} success=true ${ns(T0 + i * 1000)}`,
    );
    await write(s, lines);
    const first = (await (await fetch(`${s.url}/api/v1/series?tag.region=r0&limit=2`)).json()) as SeriesPage;
    expect(first.series.map((x) => x.tags.endpoint)).toEqual(['e0', 'e2']);
    const second = (await (
      await fetch(`${s.url}/api/v1/series?tag.region=r0&limit=2&cursor=${first.next_cursor}`)
    ).json()) as SeriesPage;
    expect(second.series.map((x) => x.tags.endpoint)).toEqual(['e4', 'e6']);
    expect(second.next_cursor).toBeNull();
  });

  it('refuses a cursor it did not make with a 400 naming cursor', async () => {
    const s = await start();
    for (const bad of [
      'abc',
      Buffer.from('["nope",{}]').toString('base64url'),
      Buffer.from('["test_result",{"a":1}]').toString('base64url'),
    ]) {
      const res = await fetch(`${s.url}/api/v1/series?cursor=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid', parameter: 'cursor' });
    }
  });
});
