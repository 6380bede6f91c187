// The built-in dashboard in a real headless browser (Debian's chromium driven by playwright-core) against a real
// server holding demo data: the page loads without console errors, shows the data, and leaves a screenshot.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoFleet } from '../../src/demo/generate.js';
import { ROOT } from '../support/child.js';
import { startTestServer, type TestServer } from '../support/server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const p = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (p) return p;
    } catch {
      // not on PATH
    }
  }
  return null;
}

const executablePath = findChromium();
if (!executablePath) {
  const line = '!'.repeat(100);
  // Loud on purpose: a skipped browser test must not look like a passed one.
  console.error(
    `\n${line}\n!!! SKIPPING the dashboard browser test: no chromium found (install it with "apt-get install -y chromium" or set CHROMIUM_PATH)\n${line}\n`,
  );
}

/** How a chart's inline SVG is shown: its scale on screen, its smallest text on screen, its hover titles. */
async function chartScale(page: Page, id: string) {
  // The callback runs in the page; this project's TypeScript has no DOM types, hence the structural types.
  type SvgText = { getAttribute(n: string): string | null };
  type SvgEl = SvgText & {
    getBoundingClientRect(): { width: number };
    querySelectorAll(s: string): ArrayLike<SvgText & { textContent: string | null }>;
  };
  return page.$eval(`#${id} svg`, (node) => {
    const svg = node as unknown as SvgEl;
    const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('width'));
    const sizes = Array.from(svg.querySelectorAll('text'), (t) => Number(t.getAttribute('font-size') ?? 'NaN')).filter(
      Number.isFinite,
    );
    const titles = Array.from(svg.querySelectorAll('title'), (t) => t.textContent ?? '');
    return { scale, minFontPx: Math.min(...sizes) * scale, titles: titles.length, firstTitle: titles[0] ?? '' };
  });
}

/** Console errors of a page, except the forecast chart's 400 (12 hours of history cannot give a forecast). */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    if (/status of 400/.test(m.text()) && /\/api\/v1\/charts\/forecast\.svg/.test(url)) return;
    errors.push(`console: ${m.text()} (${url})`);
  });
  return errors;
}

async function launch(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: executablePath!,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  return browser;
}

let srv: TestServer;
let browser: Browser | null = null;
let fleet: DemoFleet;

beforeAll(async () => {
  // The data ends at minute 25 of the last hour, whatever the time the test runs: where the hours cut the demo's
  // planted incidents decides what the anomaly detector confirms (data ending at minute 40 or 50 gave none).
  const now = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 35 * MINUTE;
  srv = await startTestServer({ now });
  const start = now - 12 * 60 * MINUTE;
  fleet = new DemoFleet({ start, stop: now, seed: 7, endpoints: 8, regions: 2, workersPerRegion: 2 });
  let lines: string[] = [];
  const flush = async () => {
    const res = await fetch(`${srv.url}/api/v2/write?precision=ns`, { method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(204);
    lines = [];
  };
  for (let t = start; t < now; t += MINUTE) {
    lines.push(...fleet.minute(t));
    if (lines.length > 20_000) await flush();
  }
  if (lines.length) await flush();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await srv?.close();
});

describe('dashboard over HTTP', () => {
  it('serves the page, its script and style from the package with a strict content security policy', async () => {
    const page = await fetch(`${srv.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js"></script>');
    expect(html).not.toMatch(/(src|href)="https?:/);
    for (const [path, type] of [
      ['/app.js', /javascript/],
      ['/style.css', /^text\/css/],
    ] as const) {
      const res = await fetch(`${srv.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
    }
    // Not a file of the dashboard: the API's JSON 404.
    const missing = await fetch(`${srv.url}/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('not found');
  });
});

describe.skipIf(!executablePath)('dashboard in chromium', () => {
  it('loads without console errors, shows the demo fleet, and saves a screenshot', async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(`${srv.url}/`);
    await page.locator('#groups tbody tr td.num').first().waitFor({ timeout: 30_000 });
    for (const id of ['chart-availability', 'chart-latency']) {
      const svg = page.locator(`#${id} svg`);
      await svg.waitFor({ timeout: 30_000 });
      // Drawn at its panel's width, so its text is shown at the size it was drawn at (11 px and up), not shrunk.
      const size = await chartScale(page, id);
      expect(size.scale, id).toBeGreaterThan(0.95);
      expect(size.scale, id).toBeLessThan(1.05);
      expect(size.minFontPx, id).toBeGreaterThanOrEqual(10);
      // Hovering a point gives its value: the SVG's <title> elements.
      expect(size.titles, id).toBeGreaterThan(0);
      expect(size.firstTitle, id).toMatch(/time \(UTC\): \d\d \w{3} \d\d:\d\d; /);
    }
    await page.locator('#chart-forecast p').waitFor({ timeout: 30_000 });
    const rows = await page.$$eval('#groups tbody tr', (trs) =>
      trs.map((tr) =>
        tr.textContent === null
          ? []
          : Array.from(
              (tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children,
              (td) => td.textContent ?? '',
            ),
      ),
    );
    // Every endpoint-region pair of the fleet, with its tests counted.
    expect(rows).toHaveLength(fleet.endpoints.length * fleet.regions.length);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(fleet.endpoints));
    expect(rows.every((r) => Number(r[2]!.replace(/,/g, '')) > 0)).toBe(true);
    const cards = await page.$$eval('#cards .card', (cs) => cs.map((c) => c.textContent ?? ''));
    expect(cards.join(' ')).toContain(`Endpoints${fleet.endpoints.length}`);
    // The analyses over the demo data: its planted incidents show up as anomalies and failure groups.
    await page.locator('#anomalies li').first().waitFor({ timeout: 30_000 });
    expect(await page.textContent('#anomalies')).toMatch(/latency_ms: [\d,.]+ \(expected [\d,.]+\)/);
    await page.locator('#failures li').first().waitFor({ timeout: 30_000 });
    expect(await page.textContent('#regressions')).not.toMatch(/not available|could not/);
    expect(await page.textContent('#chart-forecast')).toMatch(
      /not enough history to forecast: needs at least \d+ hourly buckets/,
    );

    // The time zone picker changes the zone the page and its charts use.
    await page.fill('#tz', 'Asia/Kolkata');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#updated'), { timeout: 30_000 }).toMatch(/Asia\/Kolkata/);

    const dir = join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const shot = join(dir, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);

  it('keeps a custom range and time zone in the address: a reload or a shared link shows the same view', async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1200, height: 900 } });
    const errors = watchErrors(page);
    // Whole hours of Asia/Kolkata (UTC+5:30): the charts' hourly buckets are the zone's hours, so a range that
    // starts and ends on them is drawn as asked.
    const stop = Math.ceil(Date.now() / HOUR) * HOUR - 30 * MINUTE;
    const start = stop - 6 * HOUR;
    const iso = (ms: number) => new Date(ms).toISOString();
    await page.goto(`${srv.url}/?start=${iso(start)}&stop=${iso(stop)}&tz=Asia/Kolkata`);
    await page.locator('#chart-availability svg').waitFor({ timeout: 30_000 });
    expect(await page.inputValue('#range')).toBe('custom');
    expect(await page.inputValue('#tz')).toBe('Asia/Kolkata');
    // The range's ends as wall-clock times of the zone (UTC+5:30), and the chart says the same range.
    const wall = (ms: number) => new Date(ms + 5.5 * HOUR).toISOString().slice(0, 16);
    expect(await page.inputValue('#start')).toBe(wall(start));
    expect(await page.inputValue('#stop')).toBe(wall(stop));
    const subtitle = (id: string) =>
      page.$$eval(`#${id} svg .role-title-subtitle text`, (ts) => ts.map((t) => t.textContent ?? '').join(' '));
    const label = (ms: number) => {
      const d = new Date(ms + 5.5 * HOUR);
      const mon = d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
      return `${d.getUTCDate()} ${mon} ${d.getUTCFullYear()} ${wall(ms).slice(11)}`;
    };
    expect(await subtitle('chart-availability')).toContain(`${label(start)} – ${label(stop)} (Asia/Kolkata)`);

    // Another zone and another range through the controls: the address follows, and a reload restores them.
    await page.fill('#tz', 'America/New_York');
    await page.fill('#start', '2026-01-10T08:00');
    await page.fill('#stop', '2026-01-10T20:00');
    await page.click('button[type=submit]');
    await expect.poll(() => new URL(page.url()).searchParams.get('tz'), { timeout: 10_000 }).toBe('America/New_York');
    const q = new URL(page.url()).searchParams;
    // New York is UTC-5 in January.
    expect(q.get('start')).toBe('2026-01-10T13:00:00.000Z');
    expect(q.get('stop')).toBe('2026-01-11T01:00:00.000Z');
    await page.reload();
    await page.locator('#chart-availability svg').waitFor({ timeout: 30_000 });
    expect(await page.inputValue('#range')).toBe('custom');
    expect(await page.inputValue('#tz')).toBe('America/New_York');
    expect(await page.inputValue('#start')).toBe('2026-01-10T08:00');
    expect(await page.inputValue('#stop')).toBe('2026-01-10T20:00');
    expect(await subtitle('chart-availability')).toContain('10 Jan 2026 08:00 – 10 Jan 2026 20:00 (America/New_York)');
    // The zone picker offers the browser's IANA list.
    expect(await page.$$eval('#zones option', (os) => os.length)).toBeGreaterThan(300);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("drills down from a table row to the endpoint's page: percentiles, availability, failures, anomalies, forecast", async () => {
    const page = await (await launch()).newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = watchErrors(page);
    await page.goto(`${srv.url}/?range=24&tz=UTC`);
    await page.locator('#groups tbody tr td a').first().waitFor({ timeout: 30_000 });
    const endpoint = (await page.textContent('#groups tbody tr td a'))!;
    const fleetTests = await page.$$eval(
      '#groups tbody tr',
      (trs, ep) =>
        trs
          .map((tr) =>
            Array.from(
              (tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children,
              (td) => td.textContent ?? '',
            ),
          )
          .filter((cells) => cells[0] === ep)
          .reduce((a, cells) => a + Number(cells[2]!.replace(/,/g, '')), 0),
      endpoint,
    );
    await page.click('#groups tbody tr td a');
    await page.locator('#detail').waitFor({ state: 'visible', timeout: 30_000 });
    const q = new URL(page.url()).searchParams;
    expect(q.get('tag.endpoint')).toBe(endpoint);
    expect(q.get('range')).toBe('24');
    expect(await page.isVisible('#fleet')).toBe(false);
    expect(await page.textContent('#detail-title')).toBe(`endpoint ${endpoint}`);
    // Percentiles per hour: the bucket rows add up to the endpoint's tests in the fleet table.
    await page.locator('#detail-buckets tbody tr td.num').first().waitFor({ timeout: 30_000 });
    const buckets = await page.$$eval('#detail-buckets tbody tr', (trs) =>
      trs.map((tr) =>
        Array.from(
          (tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children,
          (td) => td.textContent ?? '',
        ),
      ),
    );
    expect(buckets.length).toBeGreaterThanOrEqual(12);
    expect(buckets.reduce((a, r) => a + Number(r[1]!.replace(/,/g, '')), 0)).toBe(fleetTests);
    for (const r of buckets.filter((x) => Number(x[1]!.replace(/,/g, '')) > 0)) {
      const [p50, p95, p99] = [r[5], r[6], r[7]].map((x) => Number(x!.replace(/,/g, '')));
      expect(p50).toBeLessThanOrEqual(p95!);
      expect(p95).toBeLessThanOrEqual(p99!);
    }
    for (const id of ['detail-latency', 'detail-availability']) {
      await page.locator(`#${id} svg`).waitFor({ timeout: 30_000 });
      expect(
        await page.$$eval(`#${id} svg .role-title-subtitle text`, (ts) => ts.map((t) => t.textContent ?? '').join(' ')),
      ).toContain(`filter endpoint=${endpoint}`);
    }
    await page.locator('#detail-failures table, #detail-failures p').first().waitFor({ timeout: 30_000 });
    await page.locator('#detail-anomalies ol, #detail-anomalies p').first().waitFor({ timeout: 30_000 });
    await page.locator('#detail-forecast p, #detail-forecast svg').first().waitFor({ timeout: 30_000 });
    expect(await page.textContent('#detail-failures')).not.toMatch(/not available|could not/);
    expect(await page.textContent('#detail-forecast')).toMatch(/not enough history to forecast|Forecast/);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'dashboard-endpoint.png'), fullPage: true });

    // Back to the fleet with the same range and zone.
    await page.click('#back');
    await page.locator('#groups tbody tr td a').first().waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('range')).toBe('24');
    expect(new URL(page.url()).searchParams.get('tag.endpoint')).toBeNull();

    // And from a finding: an anomaly's series opens that series' page.
    await page.locator('#anomalies li a').first().waitFor({ timeout: 30_000 });
    const href = (await page.getAttribute('#anomalies li a', 'href'))!;
    const tags = [...new URLSearchParams(href.slice(href.indexOf('?'))).entries()].filter(([k]) =>
      k.startsWith('tag.'),
    );
    expect(tags.length).toBeGreaterThan(0);
    await page.click('#anomalies li a');
    await page.locator('#detail').waitFor({ state: 'visible', timeout: 30_000 });
    for (const [k, v] of tags) expect(new URL(page.url()).searchParams.get(k)).toBe(v);
    await page.locator('#detail-anomalies li').first().waitFor({ timeout: 30_000 });
    await page.locator('#detail-buckets tbody tr td.num').first().waitFor({ timeout: 30_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('asks for a token when reads need one, and shows the data once given', async () => {
    const locked = await startTestServer({ now: Date.now(), authTokens: ['dash-token'] });
    try {
      const t = Date.now() - 30 * MINUTE;
      const body = ['api', 'search']
        .map((e, i) => `test_result,endpoint=${e},region=eu success=true,latency_ms=${10 + i} ${t * 1e6}`)
        .join('\n');
      const w = await fetch(`${locked.url}/api/v2/write?precision=ns`, {
        method: 'POST',
        body,
        headers: { Authorization: 'Token dash-token' },
      });
      expect(w.status).toBe(204);
      const page = await (await launch()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        // Before the token is given the API answers 401: expected here.
        if (/status of 401/.test(m.text())) return;
        // Half an hour of data is too little to forecast: the forecast chart's 400 says so.
        if (/status of 400/.test(m.text()) && /\/api\/v1\/charts\/forecast\.svg/.test(m.location().url)) return;
        errors.push(`${m.text()} (${m.location().url})`);
      });
      await page.goto(`${locked.url}/`);
      await page.locator('#auth').waitFor({ state: 'visible', timeout: 30_000 });
      await page.fill('#token', 'dash-token');
      await page.click('#save-token');
      await expect.poll(() => page.$$eval('#groups tbody tr', (trs) => trs.length), { timeout: 30_000 }).toBe(2);
      expect(await page.textContent('#groups tbody')).toContain('search');
      expect(await page.isVisible('#auth')).toBe(false);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await locked.close();
    }
  }, 120_000);
});
