// Grafana: the dashboards as code, their JSON model and its schema, and provisioning through Grafana's HTTP API.
export { buildDashboards } from './dashboards.js';
export { API_DATASOURCE, Dashboard, DATASOURCE_UIDS, INFLUX_DATASOURCE, type DashboardFile, type Variant } from './model.js';
export { IMPORT_INPUTS, importVariant } from './import.js';
export { renderDashboardFile, renderImportFile } from './render.js';
export { FOLDER, provisionDashboards, type GrafanaTarget, type ProvisionedDashboard } from './provision.js';
