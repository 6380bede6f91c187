// Small builders for panels, variables and dashboards, so the dashboard files read as layout and queries only.
import {
  API_DATASOURCE,
  type Dashboard,
  type DashboardLink,
  type DataSourceRef,
  type Link,
  type Panel,
  SCHEMA_VERSION,
  type Target,
  type Variable,
} from './model.js';

export interface PanelSpec {
  type: 'timeseries' | 'table' | 'stat' | 'barchart' | 'bargauge';
  title: string;
  description?: string;
  datasource: DataSourceRef;
  targets: Target[];
  w: number;
  h: number;
  unit?: string;
  min?: number;
  max?: number;
  decimals?: number;
  /** Timeseries drawn as bars (counts per window). */
  bars?: boolean;
  displayName?: string;
  options?: Record<string, unknown>;
  transformations?: { id: string; options: unknown }[];
  thresholds?: { color: string; value: number | null }[];
  /** Links in the panel's header menu. */
  links?: DashboardLink[];
  /** Data links: offered on every cell or point of the panel, with the row's values in ${__data.fields.<column>}. */
  dataLinks?: Link[];
}

/** Lays panels out left to right in rows of 24 columns; a panel that does not fit starts the next row. */
export class Layout {
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  private nextId = 1;
  readonly panels: Panel[] = [];

  add(spec: PanelSpec): this {
    if (this.x + spec.w > 24) this.newLine();
    this.panels.push(toPanel(this.nextId++, spec, { x: this.x, y: this.y, w: spec.w, h: spec.h }));
    this.x += spec.w;
    this.rowHeight = Math.max(this.rowHeight, spec.h);
    return this;
  }

  private newLine(): void {
    if (this.x === 0) return;
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

function toPanel(id: number, s: PanelSpec, gridPos: Panel['gridPos']): Panel {
  const defaults: Record<string, unknown> = {};
  if (s.unit !== undefined) defaults.unit = s.unit;
  if (s.min !== undefined) defaults.min = s.min;
  if (s.max !== undefined) defaults.max = s.max;
  if (s.decimals !== undefined) defaults.decimals = s.decimals;
  if (s.displayName !== undefined) defaults.displayName = s.displayName;
  if (s.thresholds) defaults.thresholds = { mode: 'absolute', steps: s.thresholds };
  if (s.dataLinks) defaults.links = s.dataLinks;
  if (s.type === 'timeseries') {
    defaults.custom = s.bars
      ? { drawStyle: 'bars', fillOpacity: 80, lineWidth: 1, stacking: { mode: 'normal', group: 'A' } }
      : { drawStyle: 'line', lineWidth: 1, fillOpacity: 0, spanNulls: false, showPoints: 'never' };
  }
  const options: Record<string, unknown> =
    s.type === 'timeseries'
      ? {
          legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['mean', 'max'] },
          tooltip: { mode: 'multi', sort: 'desc' },
        }
      : s.type === 'table'
        ? { showHeader: true, cellHeight: 'sm' }
        : {};
  return {
    id,
    type: s.type,
    title: s.title,
    ...(s.description ? { description: s.description } : {}),
    gridPos,
    datasource: s.datasource,
    targets: s.targets,
    fieldConfig: { defaults, overrides: [] },
    options: { ...options, ...s.options },
    ...(s.transformations ? { transformations: s.transformations } : {}),
    ...(s.links ? { links: s.links } : {}),
  };
}

/** A panel link to another dashboard that keeps the time range (Grafana appends from= and to=). */
export function panelLink(title: string, url: string, tooltip = ''): DashboardLink {
  return {
    title,
    type: 'link',
    url,
    tags: [],
    asDropdown: false,
    icon: 'dashboard',
    includeVars: false,
    keepTime: true,
    targetBlank: false,
    tooltip,
  };
}

export function customVariable(
  name: string,
  label: string,
  values: string[],
  selected: string,
  description?: string,
): Variable {
  return {
    type: 'custom',
    name,
    label,
    ...(description ? { description } : {}),
    query: values.join(','),
    current: { text: selected, value: selected, selected: true },
    options: values.map((v) => ({ text: v, value: v, selected: v === selected })),
    multi: false,
    includeAll: false,
  };
}

export function queryVariable(
  name: string,
  label: string,
  datasource: DataSourceRef,
  query: string | Record<string, unknown>,
  opts: { multi?: boolean; includeAll?: boolean; allValue?: string; definition?: string } = {},
): Variable {
  return {
    type: 'query',
    name,
    label,
    datasource,
    query,
    ...(opts.definition ? { definition: opts.definition } : {}),
    // 2: refresh when the time range changes, so the lists follow the data in view.
    refresh: 2,
    sort: 1,
    multi: opts.multi ?? false,
    includeAll: opts.includeAll ?? false,
    ...(opts.allValue !== undefined ? { allValue: opts.allValue } : {}),
    ...(opts.includeAll ? { current: { text: 'All', value: '$__all', selected: true } } : {}),
  };
}

export function dashboard(d: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  from: string;
  variables: Variable[];
  layout: Layout;
}): Dashboard {
  return {
    id: null,
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    time: { from: d.from, to: 'now' },
    timepicker: {},
    refresh: '5m',
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    links: [
      {
        type: 'dashboards',
        title: 'Resultant',
        tags: ['resultant'],
        asDropdown: true,
        icon: 'external link',
        includeVars: false,
        keepTime: true,
        targetBlank: false,
        tooltip: '',
      },
    ],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: { list: d.variables },
    panels: d.layout.panels,
  };
}

/** One Infinity column: where to find it in the API's JSON and how Grafana should type it. */
export interface Column {
  selector: string;
  text: string;
  type: 'string' | 'number' | 'timestamp';
}

/**
 * A query of Resultant's HTTP API through the Infinity datasource. The URL is relative to the datasource's base URL
 * (set in provisioning). The backend parser runs the JSONata root selector on the Grafana server, which also keeps
 * alerting and public dashboards working with these panels.
 */
export function apiTarget(
  refId: string,
  path: string,
  params: [string, string][],
  rootSelector: string,
  columns: Column[],
  format: 'table' | 'timeseries' = 'table',
): Target {
  return {
    refId,
    datasource: API_DATASOURCE,
    type: 'json',
    source: 'url',
    parser: 'backend',
    format,
    url: path,
    url_options: { method: 'GET', data: '', params: params.map(([key, value]) => ({ key, value })) },
    root_selector: rootSelector,
    columns,
    filters: [],
  };
}

/** The dashboard's time range as Resultant's start/stop (epoch milliseconds are accepted by every read). */
export const RANGE_PARAMS: [string, string][] = [
  ['start', '${__from}'],
  ['stop', '${__to}'],
];
