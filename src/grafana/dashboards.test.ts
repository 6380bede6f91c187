// The generated Grafana dashboards: committed files equal fresh output, the JSON model holds, variables and
// datasources line up, and the API variant's JSONata selectors turn real Resultant responses into the right rows.

import { readdirSync, readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../../test/support/server.js';
import {
  buildDashboards,
  DATASOURCE_UIDS,
  Dashboard,
  IMPORT_INPUTS,
  importVariant,
  renderDashboardFile,
  renderImportFile,
} from './index.js';
import { API_DATASOURCE, GRAFANA_VERSION, INFINITY_VERSION, type Link, type Panel, type Target } from './model.js';

const dir = new URL('../../grafana/dashboards/', import.meta.url);
const importDir = new URL('../../grafana/import/', import.meta.url);
const repo = new URL('../../', import.meta.url);
const files = buildDashboards();

describe('grafana/dashboards', () => {
  it('the committed JSON equals freshly generated JSON (run `npm run grafana:generate`)', () => {
    for (const f of files) {
      expect(readFileSync(new URL(f.file, dir), 'utf8'), f.file).toBe(renderDashboardFile(f));
    }
    const committed = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    expect(committed).toEqual(files.map((f) => f.file).sort());
  });

  it('every dashboard satisfies the dashboard schema', () => {
    for (const f of files) {
      const r = Dashboard.safeParse(f.dashboard);
      expect(r.success ? '' : JSON.stringify(r.error.issues), f.file).toBe('');
    }
  });

  it('the schema rejects what Grafana would reject or misplace', () => {
    const d = structuredClone(files[0]!.dashboard);
    expect(Dashboard.safeParse(d).success).toBe(true);
    const cases: [string, (x: typeof d) => void][] = [
      ['a uid over 40 characters', (x) => void (x.uid = 'x'.repeat(41))],
      ['a panel wider than the grid', (x) => void (x.panels[0]!.gridPos = { x: 12, y: 0, w: 13, h: 4 })],
      ['repeated panel ids', (x) => void (x.panels[1]!.id = x.panels[0]!.id)],
      ['a panel without targets', (x) => void (x.panels[0]!.targets = [])],
      ['a missing schemaVersion', (x) => void delete (x as Partial<typeof x>).schemaVersion],
      ['a numeric id', (x) => void ((x as { id: unknown }).id = 3)],
      [
        'a dashboard link without the fields @grafana/schema requires',
        (x) => void delete (x.links[0] as Partial<(typeof x.links)[0]>).icon,
      ],
      [
        'a ${DS_...} input that is not a datasource',
        (x) =>
          void (x.__inputs = [
            {
              name: 'DS_X',
              label: 'x',
              description: '',
              type: 'constant' as 'datasource',
              pluginId: 'x',
              pluginName: 'x',
            },
          ]),
      ],
    ];
    for (const [what, mutate] of cases) {
      const copy = structuredClone(d);
      mutate(copy);
      expect(Dashboard.safeParse(copy).success, what).toBe(false);
    }
  });

  it('uses fixed, distinct dashboard uids and titles, two variants of three dashboards', () => {
    expect(new Set(files.map((f) => f.dashboard.uid)).size).toBe(6);
    expect(new Set(files.map((f) => f.dashboard.title)).size).toBe(6);
    expect(files.filter((f) => f.variant === 'influxdb').length).toBe(3);
    expect(files.filter((f) => f.variant === 'api').length).toBe(3);
  });

  it('reads only the two provisioned datasources, and the API variant only Resultant', () => {
    for (const f of files) {
      const refs = [
        ...f.dashboard.panels.flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]),
        ...f.dashboard.templating.list.map((v) => v.datasource),
      ].filter((r) => r !== undefined);
      for (const r of refs) expect(DATASOURCE_UIDS, f.file).toContain(r.uid);
      if (f.variant === 'api') for (const r of refs) expect(r.uid, f.file).toBe(API_DATASOURCE.uid);
    }
  });

  it('every ${variable} a dashboard uses is defined in it', () => {
    for (const f of files) {
      const defined = new Set(f.dashboard.templating.list.map((v) => v.name));
      const text = JSON.stringify({
        panels: f.dashboard.panels,
        vars: f.dashboard.templating.list.map((v) => v.query),
      });
      const used = [...text.matchAll(/\$\{([\w.]+)(?::\w+)?\}/g)].map((m) => m[1]!).filter((n) => !n.startsWith('__'));
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect(defined.has(name), `${f.file} uses \${${name}}`).toBe(true);
    }
  });

  it('the committed import files equal freshly generated ones (run `npm run grafana:generate`)', () => {
    for (const f of files) expect(readFileSync(new URL(f.file, importDir), 'utf8'), f.file).toBe(renderImportFile(f));
    expect(
      readdirSync(importDir)
        .filter((n) => n.endsWith('.json'))
        .sort(),
    ).toEqual(files.map((f) => f.file).sort());
  });

  it('import files: every datasource is a ${DS_...} input of its plugin, and __requires names Grafana as compose pins it', () => {
    const compose = parse(readFileSync(new URL('docker-compose.yml', repo), 'utf8')) as {
      services: Record<string, { image?: string; environment?: Record<string, string> }>;
    };
    const grafana = compose.services.grafana!;
    expect(grafana.image).toBe(`grafana/grafana:${GRAFANA_VERSION}`);
    expect(grafana.environment?.GF_PLUGINS_PREINSTALL_SYNC).toBe(`${API_DATASOURCE.type}@${INFINITY_VERSION}`);
    for (const f of files) {
      const d = importVariant(f);
      expect(Dashboard.safeParse(d).success, f.file).toBe(true);
      const text = JSON.stringify(d);
      // No fixed uid left: the import form's choice decides every query's datasource.
      for (const uid of DATASOURCE_UIDS) expect(text, f.file).not.toContain(`"uid":"${uid}"`);
      const inputs = new Map(d.__inputs!.map((i) => [i.name, i]));
      const refs = [...text.matchAll(/\{"type":"([^"]+)","uid":"([^"]+)"\}/g)].filter((m) => m[2] !== '-- Grafana --');
      expect(refs.length, f.file).toBeGreaterThan(0);
      for (const [, type, uid] of refs) {
        const name = /^\$\{(DS_[A-Z0-9_]+)\}$/.exec(uid!)?.[1];
        expect(name, `${f.file}: ${uid}`).toBeDefined();
        expect(inputs.get(name!)?.pluginId, `${f.file}: ${uid}`).toBe(type);
      }
      // Every input is used, and each datasource plugin and panel type is required.
      expect(new Set(refs.map((m) => m[2])).size, f.file).toBe(inputs.size);
      const req = d.__requires!.map((r) => `${r.type}:${r.id}`);
      expect(d.__requires!.find((r) => r.type === 'grafana')?.version).toBe(GRAFANA_VERSION);
      for (const i of inputs.values()) expect(req, f.file).toContain(`datasource:${i.pluginId}`);
      for (const p of d.panels) expect(req, f.file).toContain(`panel:${p.type}`);
    }
  });

  it('provisioned files keep fixed uids, each one a datasource of the provisioning file', () => {
    const prov = parse(readFileSync(new URL('grafana/provisioning/datasources/resultant.yaml', repo), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const provided = new Map(prov.datasources.map((x) => [x.uid, x.type]));
    expect([...provided.keys()].sort()).toEqual([...DATASOURCE_UIDS].sort());
    for (const [uid, input] of Object.entries(IMPORT_INPUTS)) expect(provided.get(uid)).toBe(input.pluginId);
    for (const f of files) {
      const text = renderDashboardFile(f);
      expect(text, f.file).not.toContain('${DS_');
      expect(text, f.file).not.toContain('__inputs');
      for (const [, type, uid] of text.matchAll(/"datasource": \{\s*"type": "([^"]+)",\s*"uid": "([^"]+)"/g)) {
        if (uid === '-- Grafana --') continue;
        expect(provided.get(uid!), `${f.file}: ${uid}`).toBe(type);
      }
    }
  });

  it('panels do not overlap on the grid', () => {
    for (const f of files) {
      const ps = f.dashboard.panels;
      for (let i = 0; i < ps.length; i++) {
        for (let j = i + 1; j < ps.length; j++) {
          const [a, b] = [ps[i]!.gridPos, ps[j]!.gridPos];
          const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${f.file}: "${ps[i]!.title}" and "${ps[j]!.title}"`).toBe(true);
        }
      }
    }
  });

  it('links lead to a dashboard of the same variant with the time range, setting only variables it defines from columns the row has', () => {
    const byUid = new Map(files.map((f) => [f.dashboard.uid, f]));
    let rowLinks = 0;
    for (const f of files) {
      for (const p of f.dashboard.panels) {
        const dataLinks = (p.fieldConfig?.defaults.links ?? []) as Link[];
        const links = [
          ...(p.links ?? []).map((l) => ({ url: l.url ?? '', keepTime: l.keepTime, row: false })),
          ...dataLinks.map((l) => ({ url: l.url, keepTime: false, row: true })),
        ];
        for (const link of links) {
          const m = /^\/d\/([\w-]+)(?:\?(.*))?$/.exec(link.url);
          expect(m, link.url).not.toBeNull();
          const target = byUid.get(m![1]!);
          expect(target?.variant, link.url).toBe(f.variant);
          // The time range goes along: in the URL, or appended by Grafana (keepTime).
          expect(link.keepTime || link.url.includes('${__url_time_range}'), link.url).toBe(true);
          const defined = new Set(target!.dashboard.templating.list.map((v) => v.name));
          for (const [, name] of (m![2] ?? '').matchAll(/var-(\w+)=/g))
            expect(defined.has(name!), `${f.file} -> ${target!.file}: var-${name}`).toBe(true);
          const columns = columnsOf(p);
          for (const [, field] of link.url.matchAll(/\$\{__data\.fields\.(\w+)\}/g)) {
            expect(columns, `${f.file} "${p.title}": \${__data.fields.${field}}`).toContain(field);
          }
          if (link.row) rowLinks++;
        }
      }
    }
    // Both overviews link their endpoint-region table rows to the endpoint dashboard.
    expect(rowLinks).toBe(2);
    for (const f of files.filter((x) => x.file.endsWith('overview.json'))) {
      const table = f.dashboard.panels.find((p) => p.title === 'Availability per endpoint and region')!;
      expect(((table.fieldConfig?.defaults.links ?? []) as Link[])[0]?.url, f.file).toMatch(
        /var-endpoint=\$\{__data\.fields\.endpoint\}&var-region=\$\{__data\.fields\.region\}/,
      );
    }
  });

  it('the forecast and failure-pattern panels call the contract endpoints', () => {
    for (const f of files.filter((x) => x.file.endsWith('endpoint.json'))) {
      const urls = f.dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.url));
      expect(urls, f.file).toContain('/api/v1/forecast');
      expect(urls, f.file).toContain('/api/v1/analysis/failure-patterns');
    }
  });
});

/** The columns a panel's rows have: Infinity's column selectors, or the columns a Flux query keeps. */
function columnsOf(p: Panel): string[] {
  return (p.targets ?? []).flatMap((t) => {
    if (Array.isArray(t.columns)) return (t.columns as { selector: string }[]).map((c) => c.selector);
    const keep = /keep\(columns: \[([^\]]*)\]\)[^|]*\|> group\(\)[^|]*\|> sort/.exec(String(t.query ?? ''));
    return keep ? [...keep[1]!.matchAll(/"(\w+)"/g)].map((m) => m[1]!) : [];
  });
}

// ---- the API variant against a real Resultant (DuckDB in memory, HTTP on loopback) ----

const T0 = Date.UTC(2026, 10, 20, 10);
const H = 3_600_000;
interface Point {
  endpoint: string;
  region: string;
  worker: string;
  hardware: string;
  model: string;
  ok: boolean;
  ms: number;
  t: number;
}
// Two hours of results over 2 endpoints x 2 regions x 2 workers; failures and latencies vary by cell.
const points: Point[] = [];
for (let hour = 0; hour < 2; hour++) {
  for (const [ei, endpoint] of ['api', 'web'].entries()) {
    for (const [ri, region] of ['eu', 'us'].entries()) {
      for (const [wi, worker] of ['w1', 'w2'].entries()) {
        for (let i = 0; i < 5; i++) {
          points.push({
            endpoint,
            region,
            worker,
            hardware: wi === 0 ? 'cpu' : 'gpu',
            model: ri === 0 ? 'small' : 'large',
            ok: (i + ei + ri + hour) % 4 !== 0,
            ms: 10 + 7 * i + 3 * ei + 11 * ri + 5 * wi + 13 * hour,
            t: T0 + hour * H + i * 600_000 + wi * 1000,
          });
        }
      }
    }
  }
}
const lineOf = (p: Point) =>
  `test_result,endpoint=${p.endpoint},region=${p.region},worker=${p.worker},hardware=${p.hardware},model=${p.model} success=${p.ok},latency_ms=${p.ms} ${p.t}`;

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ now: T0 + 3 * H });
  const res = await fetch(`${srv.url}/api/v2/write?precision=ms`, {
    method: 'POST',
    body: points.map(lineOf).join('\n'),
  });
  expect(res.status).toBe(204);
});
afterAll(async () => srv?.close());

/** Grafana's side of a query: substitute variables the way Grafana formats them, call the API, run the selector. */
async function runTarget(t: Target, vars: Record<string, string[]>): Promise<Record<string, unknown>[]> {
  const fill = (s: string) =>
    s
      .replace(/\$\{__from\}/g, String(T0))
      .replace(/\$\{__to\}/g, String(T0 + 2 * H))
      .replace(/\$\{(\w+):json\}/g, (_m, n: string) => JSON.stringify(vars[n]))
      .replace(/\$\{(\w+)\}/g, (_m, n: string) => vars[n]![0]!);
  const params = (t.url_options as { params: { key: string; value: string }[] }).params;
  const qs = new URLSearchParams(params.map((p): [string, string] => [p.key, fill(p.value)]));
  const res = await fetch(`${srv.url}${String(t.url)}?${qs}`);
  expect(res.status, `${String(t.url)}?${qs}`).toBe(200);
  const rows = (await jsonata(fill(String(t.root_selector))).evaluate(await res.json())) as Record<string, unknown>[];
  expect(Array.isArray(rows), String(t.root_selector)).toBe(true);
  return rows;
}

const ALL_VARS: Record<string, string[]> = {
  period: ['hour'],
  metric: ['latency_ms'],
  endpoint: ['api'],
  region: ['eu', 'us'],
  worker: ['w1', 'w2'],
  hardware: ['cpu', 'gpu'],
  model: ['small', 'large'],
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const byName = (name: string) => files.find((f) => f.file === name)!.dashboard;
const panel = (file: string, title: string) => byName(file).panels.find((p) => p.title === title)!;

describe('API variant against a real Resultant', () => {
  it('every /api/v1/aggregates and /api/v1/series query returns rows with every column', async () => {
    let checked = 0;
    for (const f of files.filter((x) => x.variant === 'api')) {
      const targets = [
        ...f.dashboard.panels.flatMap((p) => p.targets ?? []),
        ...f.dashboard.templating.list.flatMap((v) =>
          typeof v.query === 'object' && v.query.infinityQuery ? [v.query.infinityQuery as Target] : [],
        ),
      ].filter((t) => t.url === '/api/v1/aggregates' || t.url === '/api/v1/series');
      for (const t of targets) {
        const rows = await runTarget(t, ALL_VARS);
        expect(rows.length, `${f.file} ${String(t.root_selector)}`).toBeGreaterThan(0);
        for (const c of t.columns as { selector: string }[]) {
          for (const r of rows) expect(r[c.selector], `${f.file} column ${c.selector}`).not.toBeUndefined();
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('availability per endpoint and region equals successes / tests of the raw results', async () => {
    const rows = await runTarget(
      panel('api-overview.json', 'Availability per endpoint and region').targets![0]!,
      ALL_VARS,
    );
    expect(rows.length).toBe(4);
    for (const r of rows) {
      const cell = points.filter((p) => p.endpoint === r.endpoint && p.region === r.region);
      expect(r.tests).toBe(cell.length);
      expect(r.failures).toBe(cell.filter((p) => !p.ok).length);
      expect(r.availability_pct as number).toBeCloseTo((100 * cell.filter((p) => p.ok).length) / cell.length, 10);
    }
  });

  it('mean latency per endpoint: one point per hour at the hour start, equal to the direct mean', async () => {
    const rows = await runTarget(panel('api-overview.json', 'Mean latency per endpoint').targets![0]!, ALL_VARS);
    expect(rows.length).toBe(4);
    for (const r of rows) {
      const start = Date.parse(String(r.time));
      expect([T0, T0 + H]).toContain(start);
      const cell = points.filter((p) => p.endpoint === r.series && p.t >= start && p.t < start + H);
      expect(r.value as number).toBeCloseTo(mean(cell.map((p) => p.ms)), 9);
    }
  });

  it('a row of the overview table, followed through its data link, opens the endpoint dashboard on that endpoint and region', async () => {
    const table = panel('api-overview.json', 'Availability per endpoint and region');
    const rows = await runTarget(table.targets![0]!, ALL_VARS);
    const row = rows.find((r) => r.endpoint === 'web' && r.region === 'us')!;
    expect(row).toBeDefined();
    // Grafana's side: the row's fields into the link, the link's var-* into the target dashboard's variables.
    const url = (table.fieldConfig!.defaults.links as Link[])[0]!.url
      .replace(/\$\{__data\.fields\.(\w+)\}/g, (_m, k: string) => String(row[k]))
      .replace('${__url_time_range}', `from=${T0}&to=${T0 + 2 * H}`);
    const q = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    expect(url.startsWith('/d/resultant-api-endpoint?')).toBe(true);
    expect([q.get('var-endpoint'), q.get('var-region'), q.get('from')]).toEqual(['web', 'us', String(T0)]);
    const vars = { ...ALL_VARS, endpoint: [q.get('var-endpoint')!], region: [q.get('var-region')!] };
    const byWorker = await runTarget(
      panel('api-endpoint.json', 'Availability per region and worker').targets![0]!,
      vars,
    );
    expect(byWorker.map((r) => `${String(r.region)}/${String(r.worker)}`).sort()).toEqual(['us/w1', 'us/w2']);
    const cell = points.filter((p) => p.endpoint === 'web' && p.region === 'us');
    expect(byWorker.reduce((a, r) => a + (r.tests as number), 0)).toBe(cell.length);
  });

  it('the drill-down filters regions and workers with the :json variable format', async () => {
    const t = panel('api-endpoint.json', 'Availability per region / worker').targets![0]!;
    const rows = await runTarget(t, { ...ALL_VARS, region: ['eu'], worker: ['w2'] });
    expect(rows.length).toBe(2);
    for (const r of rows) expect(r.series).toBe('eu / w2');
    const all = await runTarget(t, ALL_VARS);
    expect(new Set(all.map((r) => r.series)).size).toBe(4);
  });

  it('the benchmark table merges buckets exactly (count-weighted mean, min of mins, max of maxes)', async () => {
    const rows = await runTarget(
      panel('api-benchmarks.json', '${metric} by hardware and model').targets![0]!,
      ALL_VARS,
    );
    expect(rows.length).toBe(4);
    for (const r of rows) {
      const cell = points.filter((p) => p.hardware === r.hardware && p.model === r.model).map((p) => p.ms);
      expect(r.count).toBe(cell.length);
      expect(r.mean as number).toBeCloseTo(mean(cell), 9);
      expect(r.min).toBe(Math.min(...cell));
      expect(r.max).toBe(Math.max(...cell));
    }
  });
});
