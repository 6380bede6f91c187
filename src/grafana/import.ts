// The same dashboards for a manual import (Dashboards > New > Import), as Grafana's "Export for sharing externally"
// writes them: every datasource reference is a ${DS_...} placeholder declared in __inputs, so the import form asks
// which datasource to use, and __requires lists what must be installed. Provisioned files (grafana/dashboards/) keep
// the fixed uids instead: file provisioning does not fill ${DS_...} inputs in.
import {
  API_DATASOURCE,
  type Dashboard,
  type DashboardFile,
  GRAFANA_VERSION,
  type ImportInput,
  INFINITY_VERSION,
  INFLUX_DATASOURCE,
  type Requirement,
} from './model.js';

/** One import input per provisioned datasource, by its fixed uid. */
export const IMPORT_INPUTS: Record<string, ImportInput> = {
  [INFLUX_DATASOURCE.uid]: {
    name: 'DS_RESULTANT_INFLUXDB',
    label: 'Resultant InfluxDB',
    description:
      'InfluxDB 2 in Flux mode, default bucket = the raw bucket Resultant writes (the dashboards read <bucket>_hourly and <bucket>_daily)',
    type: 'datasource',
    pluginId: INFLUX_DATASOURCE.type,
    pluginName: 'InfluxDB',
  },
  [API_DATASOURCE.uid]: {
    name: 'DS_RESULTANT_API',
    label: 'Resultant API',
    description: "Infinity, base URL = Resultant's address, bearer token = a Resultant read token",
    type: 'datasource',
    pluginId: API_DATASOURCE.type,
    pluginName: 'Infinity',
  },
};

const PLUGIN_VERSIONS: Record<string, string> = {
  [INFLUX_DATASOURCE.type]: '1.0.0',
  [API_DATASOURCE.type]: INFINITY_VERSION,
};
const PANEL_NAMES: Record<string, string> = {
  timeseries: 'Time series',
  table: 'Table',
  stat: 'Stat',
  barchart: 'Bar chart',
  bargauge: 'Bar gauge',
  text: 'Text',
  row: 'Row',
};

/** Every { type, uid } datasource reference of a fixed uid replaced by its ${DS_...} placeholder, anywhere in `x`. */
function withPlaceholders(x: unknown, used: Set<string>): unknown {
  if (Array.isArray(x)) return x.map((v) => withPlaceholders(v, used));
  if (x === null || typeof x !== 'object') return x;
  const o = x as Record<string, unknown>;
  const input = typeof o.uid === 'string' && typeof o.type === 'string' ? IMPORT_INPUTS[o.uid] : undefined;
  if (input && Object.keys(o).length === 2) {
    used.add(o.uid as string);
    return { type: o.type, uid: `\${${input.name}}` };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withPlaceholders(v, used)]));
}

/** The dashboard as an export for sharing: placeholders, __inputs, __elements and __requires first. */
export function importVariant(f: DashboardFile): Dashboard {
  const used = new Set<string>();
  const body = withPlaceholders(f.dashboard, used) as Dashboard;
  const uids = [...used].sort();
  const panelTypes = [...new Set(f.dashboard.panels.map((p) => p.type))].sort();
  const requires: Requirement[] = [
    { type: 'grafana', id: 'grafana', name: 'Grafana', version: GRAFANA_VERSION },
    ...uids.map((uid): Requirement => {
      const input = IMPORT_INPUTS[uid]!;
      return {
        type: 'datasource',
        id: input.pluginId,
        name: input.pluginName,
        version: PLUGIN_VERSIONS[input.pluginId] ?? '',
      };
    }),
    ...panelTypes.map((t): Requirement => ({ type: 'panel', id: t, name: PANEL_NAMES[t] ?? t, version: '' })),
  ];
  return { __inputs: uids.map((uid) => IMPORT_INPUTS[uid]!), __elements: {}, __requires: requires, ...body };
}
