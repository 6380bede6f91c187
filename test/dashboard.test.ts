// The built-in dashboard in a real headless browser (Debian's chromium driven by playwright-core) against a real
// server holding demo data: the page loads without console errors, shows the data, and leaves a screenshot.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DemoFleet } from '../src/demo/generate.js';
import { ROOT } from './child.js';
import { startTestServer, type TestServer } from './server.js';

const MINUTE = 60_000;

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
    for (const [path, type] of [['/app.js', /javascript/], ['/style.css', /^text\/css/]] as const) {
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
    browser = await chromium.launch({
      executablePath: executablePath!,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      const url = m.location().url;
      // And the forecast panel asks for a forecast that 12 hours of history cannot give: a 400 that says why.
      if (/status of 400/.test(m.text()) && /\/api\/v1\/charts\/forecast\.svg/.test(url)) return;
      errors.push(`console: ${m.text()} (${url})`);
    });
    await page.goto(`${srv.url}/`);
    await page.locator('#groups tbody tr td.num').first().waitFor({ timeout: 30_000 });
    for (const id of ['chart-availability', 'chart-latency']) {
      const img = page.locator(`#${id} img`);
      await img.waitFor({ timeout: 30_000 });
      // The element is an HTMLImageElement; this project's TypeScript has no DOM types.
      await expect.poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    }
    await page.locator('#chart-forecast p').waitFor({ timeout: 30_000 });
    const rows = await page.$$eval('#groups tbody tr', (trs) => trs.map((tr) => tr.textContent === null ? [] : Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (td) => td.textContent ?? '')));
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
    expect(await page.textContent('#chart-forecast')).toMatch(/not enough history to forecast: needs at least \d+ hourly buckets/);

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

  it('asks for a token when reads need one, and shows the data once given', async () => {
    const locked = await startTestServer({ now: Date.now(), authTokens: ['dash-token'] });
    try {
      const t = Date.now() - 30 * MINUTE;
      const body = ['api', 'search'].map((e, i) => `test_result,endpoint=${e},region=eu success=true,latency_ms=${10 + i} ${t * 1e6}`).join('\n');
      const w = await fetch(`${locked.url}/api/v2/write?precision=ns`, { method: 'POST', body, headers: { Authorization: 'Token dash-token' } });
      expect(w.status).toBe(204);
      browser ??= await chromium.launch({ executablePath: executablePath!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      const page = await browser.newPage();
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
