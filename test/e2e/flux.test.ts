// Every Flux script of the project through InfluxData's own parser and semantic check (flux-lsp in WebAssembly):
// the task files in flux/ (whatever their number) and the Flux embedded in the generated Grafana dashboards.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards, INFLUX_DATASOURCE } from '../../src/grafana/index.js';
import { type FluxChecker, loadFluxChecker } from '../support/flux/checker.js';
import { sampleFluxQueries } from '../support/influx-sample-queries.js';

const root = new URL('../..', import.meta.url).pathname;
const fluxDir = join(root, 'flux');
const taskFiles = (() => {
  try {
    return readdirSync(fluxDir)
      .filter((f) => f.endsWith('.flux'))
      .sort();
  } catch {
    return [];
  }
})();

let checker: FluxChecker;
beforeAll(async () => {
  checker = await loadFluxChecker();
});
afterAll(() => checker?.close());

const fixture = (name: string) => readFileSync(join(root, 'test/support/fixtures/flux', name), 'utf8');
const show = (d: { line: number; column: number; message: string }[]) =>
  d.map((x) => `${x.line}:${x.column} ${x.message}`).join('\n');

describe('the Flux checker', () => {
  it('accepts a rollup script with task and location options', async () => {
    expect(show(await checker.check(fixture('valid.flux')))).toBe('');
  });

  it('reports an unknown parameter and an unknown function with their lines', async () => {
    const d = await checker.check(fixture('invalid.flux'));
    expect(d.some((x) => x.line === 4 && x.message.includes('timeSource'))).toBe(true);
    expect(d.some((x) => x.line === 5 && x.message.includes('filte'))).toBe(true);
  });

  it('reports a syntax error', async () => {
    const d = await checker.check('x = \n');
    expect(d.length).toBeGreaterThan(0);
  });
});

describe('flux/*.flux', () => {
  if (taskFiles.length === 0) it.todo('no task files in flux/ yet: each one will be checked here');
  for (const file of taskFiles) {
    it(`${file} passes the parser and the semantic check`, async () => {
      const d = await checker.check(readFileSync(join(fluxDir, file), 'utf8'));
      expect(show(d)).toBe('');
    });
  }
});

describe('Flux the InfluxDB store sends', () => {
  for (const [name, query] of Object.entries(sampleFluxQueries())) {
    it(`${name} passes the parser and the semantic check`, async () => {
      expect(show(await checker.check(query))).toBe('');
    });
  }
});

// Grafana fills in v.* and the ${var} placeholders before a dashboard query runs; the check does the same with
// values of the right type, and keeps line numbers (the prelude is one line).
const GRAFANA_PRELUDE =
  'v = {timeRangeStart: 2026-11-01T00:00:00Z, timeRangeStop: 2026-11-08T00:00:00Z, windowPeriod: 1h, defaultBucket: "resultant", organization: "resultant"}';
const SAMPLE: Record<string, string> = { resolution: 'hourly', metric: 'latency_ms' };
function asGrafanaRuns(query: string): string {
  const body = query
    .replace(/\$\{(\w+):regex\}/g, '.*')
    .replace(/\$\{(\w+)\}/g, (_m, name: string) => SAMPLE[name] ?? 'sample');
  // Imports must come first in Flux: put the prelude after them.
  const lines = body.split('\n');
  const firstCode = lines.findIndex((l) => l.trim() !== '' && !l.startsWith('import '));
  lines.splice(firstCode, 0, GRAFANA_PRELUDE);
  return lines.join('\n');
}

const dashboardQueries = buildDashboards().flatMap((f) => [
  ...f.dashboard.panels.flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.datasource.uid === INFLUX_DATASOURCE.uid)
      .map((t) => ({ where: `${f.file} panel "${p.title}" ${t.refId}`, query: String(t.query) })),
  ),
  ...f.dashboard.templating.list
    .filter((v) => v.datasource?.uid === INFLUX_DATASOURCE.uid)
    .map((v) => ({ where: `${f.file} variable ${v.name}`, query: String(v.query) })),
]);

describe('Flux embedded in the Grafana dashboards', () => {
  it('has queries to check', () => {
    expect(dashboardQueries.length).toBeGreaterThan(20);
  });

  it('rejects a dashboard query with a misspelt column function (the substitution does not hide errors)', async () => {
    const withSum = dashboardQueries.find((q) => q.query.includes('|> sum()'))!;
    const broken = asGrafanaRuns(withSum.query.replace('|> sum()', '|> summ()'));
    expect((await checker.check(broken)).some((d) => d.message.includes('summ'))).toBe(true);
  });

  for (const { where, query } of dashboardQueries) {
    it(`${where} passes the parser and the semantic check`, async () => {
      expect(show(await checker.check(asGrafanaRuns(query)))).toBe('');
    });
  }
});
