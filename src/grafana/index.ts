// Grafana: the dashboards as code, their JSON model and its schema, and provisioning through Grafana's HTTP API.
export { buildDashboards } from './dashboards.js';
export { IMPORT_INPUTS, importVariant } from './import.js';
export {
  API_DATASOURCE,
  DATASOURCE_UIDS,
  Dashboard,
  type DashboardFile,
  INFLUX_DATASOURCE,
  type Variant,
} from './model.js';
export { FOLDER, type GrafanaTarget, type ProvisionedDashboard, provisionDashboards } from './provision.js';
export { renderDashboardFile, renderImportFile } from './render.js';
