// The Grafana dashboard JSON model (classic, schemaVersion 41) as far as Resultant's dashboards use it, with a zod
// schema of the fields Grafana requires. No JSON Schema of the dashboard model is published on npm (the foundation
// SDK keeps its jsonschema/ files out of the npm package; @grafana/schema has types only), so the generated
// dashboards are checked against this schema, which follows Grafana's "JSON model" documentation.
import { z } from 'zod';

/** Fixed datasource uids: provisioning (grafana/provisioning) and dashboards must agree on them. */
export const INFLUX_DATASOURCE = { type: 'influxdb', uid: 'resultant-influxdb' } as const;
export const API_DATASOURCE = { type: 'yesoreyeram-infinity-datasource', uid: 'resultant-api' } as const;
export const DATASOURCE_UIDS: readonly string[] = [INFLUX_DATASOURCE.uid, API_DATASOURCE.uid];

/** The Grafana and Infinity versions docker-compose.yml pins (a test keeps them in step): __requires names them. */
export const GRAFANA_VERSION = '12.4.9';
export const INFINITY_VERSION = '3.2.0';

/** Grafana 11.3 to 12.x write 41; newer servers migrate it on load. */
export const SCHEMA_VERSION = 41;

export const DataSourceRef = z.object({ type: z.string().min(1), uid: z.string().min(1) }).strict();
export type DataSourceRef = z.infer<typeof DataSourceRef>;

export const GridPos = z
  .object({
    x: z.number().int().min(0).max(23),
    y: z.number().int().min(0),
    w: z.number().int().min(1).max(24),
    h: z.number().int().min(1),
  })
  .strict()
  .refine((g) => g.x + g.w <= 24, 'a panel must fit the 24-column grid (x + w <= 24)');

export const Target = z
  .object({ refId: z.string().regex(/^[A-Z][A-Za-z0-9_]*$/), datasource: DataSourceRef })
  .passthrough();
export type Target = z.infer<typeof Target>;

/** A data link (fieldConfig.defaults.links): its URL may use ${__data.fields.<column>} of the row it is offered on. */
export const Link = z
  .object({ title: z.string().min(1), url: z.string().min(1), targetBlank: z.boolean().optional() })
  .strict();
export type Link = z.infer<typeof Link>;

/**
 * A dashboard link or panel link: @grafana/schema's DashboardLink (raw/dashboard types of Grafana 12.4), whose
 * fields are all required but `url` and `placement`.
 */
export const DashboardLink = z
  .object({
    title: z.string().min(1),
    type: z.enum(['link', 'dashboards']),
    url: z.string().min(1).optional(),
    tags: z.array(z.string()),
    asDropdown: z.boolean(),
    icon: z.string(),
    includeVars: z.boolean(),
    keepTime: z.boolean(),
    targetBlank: z.boolean(),
    tooltip: z.string(),
  })
  .strict()
  .refine((l) => l.type !== 'link' || l.url !== undefined, 'a link of type "link" needs a url');
export type DashboardLink = z.infer<typeof DashboardLink>;

export const Panel = z
  .object({
    id: z.number().int().positive(),
    type: z.enum(['timeseries', 'table', 'stat', 'barchart', 'bargauge', 'text', 'row']),
    title: z.string().min(1),
    description: z.string().optional(),
    gridPos: GridPos,
    datasource: DataSourceRef.optional(),
    targets: z.array(Target).optional(),
    fieldConfig: z.object({ defaults: z.record(z.string(), z.unknown()), overrides: z.array(z.unknown()) }).optional(),
    options: z.record(z.string(), z.unknown()).optional(),
    transformations: z.array(z.object({ id: z.string().min(1), options: z.unknown() })).optional(),
    collapsed: z.boolean().optional(),
    panels: z.array(z.unknown()).optional(),
    links: z.array(DashboardLink).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type === 'row' || p.type === 'text') return;
    if (!p.datasource) ctx.addIssue({ code: 'custom', message: `panel "${p.title}" has no datasource` });
    if (!p.targets || p.targets.length === 0)
      ctx.addIssue({ code: 'custom', message: `panel "${p.title}" has no targets` });
    const refs = (p.targets ?? []).map((t) => t.refId);
    if (new Set(refs).size !== refs.length)
      ctx.addIssue({ code: 'custom', message: `panel "${p.title}" repeats a refId` });
  });
export type Panel = z.infer<typeof Panel>;

const VariableOption = z.object({
  text: z.union([z.string(), z.array(z.string())]),
  value: z.union([z.string(), z.array(z.string())]),
  selected: z.boolean().optional(),
});

export const Variable = z
  .object({
    type: z.enum(['query', 'custom', 'constant', 'interval', 'datasource', 'textbox']),
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
    label: z.string().optional(),
    description: z.string().optional(),
    datasource: DataSourceRef.optional(),
    query: z.union([z.string(), z.record(z.string(), z.unknown())]),
    definition: z.string().optional(),
    current: VariableOption.optional(),
    options: z.array(VariableOption).optional(),
    multi: z.boolean().optional(),
    includeAll: z.boolean().optional(),
    allValue: z.string().optional(),
    refresh: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    sort: z.number().int().min(0).max(8).optional(),
    hide: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    regex: z.string().optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.type === 'query' && !v.datasource)
      ctx.addIssue({ code: 'custom', message: `variable ${v.name} has no datasource` });
  });
export type Variable = z.infer<typeof Variable>;

/** What a dashboard exported "for sharing externally" asks for on import: one datasource per ${DS_...} placeholder. */
export const ImportInput = z
  .object({
    name: z.string().regex(/^DS_[A-Z0-9_]+$/),
    label: z.string().min(1),
    description: z.string(),
    type: z.literal('datasource'),
    pluginId: z.string().min(1),
    pluginName: z.string().min(1),
  })
  .strict();
export type ImportInput = z.infer<typeof ImportInput>;

/** What an imported dashboard needs installed: Grafana itself, datasource plugins, panel plugins. */
export const Requirement = z
  .object({
    type: z.enum(['grafana', 'datasource', 'panel']),
    id: z.string().min(1),
    name: z.string().min(1),
    version: z.string(),
  })
  .strict();
export type Requirement = z.infer<typeof Requirement>;

export const Dashboard = z
  .object({
    __inputs: z.array(ImportInput).optional(),
    __elements: z.record(z.string(), z.unknown()).optional(),
    __requires: z.array(Requirement).optional(),
    id: z.null(),
    uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/, 'uid: 1-40 characters of letters, digits, - and _'),
    title: z.string().min(1),
    description: z.string().optional(),
    tags: z.array(z.string()),
    timezone: z.string(),
    editable: z.boolean(),
    graphTooltip: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    time: z.object({ from: z.string().min(1), to: z.string().min(1) }).strict(),
    timepicker: z.record(z.string(), z.unknown()),
    refresh: z.string(),
    schemaVersion: z.number().int().min(36),
    version: z.number().int().min(0),
    fiscalYearStartMonth: z.number().int().min(0).max(11),
    liveNow: z.boolean(),
    weekStart: z.string(),
    links: z.array(DashboardLink),
    annotations: z.object({ list: z.array(z.record(z.string(), z.unknown())) }).strict(),
    templating: z.object({ list: z.array(Variable) }).strict(),
    panels: z.array(Panel).min(1),
  })
  .strict()
  .superRefine((d, ctx) => {
    const ids = d.panels.map((p) => p.id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'panel ids must be unique' });
    const names = d.templating.list.map((v) => v.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', message: 'variable names must be unique' });
  });
export type Dashboard = z.infer<typeof Dashboard>;

/** Which datasource a dashboard reads: InfluxDB directly (rollup buckets), or everything through Resultant's API. */
export type Variant = 'influxdb' | 'api';

export interface DashboardFile {
  /** File name under grafana/dashboards/ (provisioning) and grafana/import/ (the same dashboard for a manual import). */
  file: string;
  variant: Variant;
  dashboard: Dashboard;
}
