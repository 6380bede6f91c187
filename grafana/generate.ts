// Writes grafana/dashboards/*.json (provisioning: fixed datasource uids) and grafana/import/*.json (the same
// dashboards for a manual import: ${DS_...} placeholders, __inputs, __requires) from src/grafana/dashboards.ts
// (`npm run grafana:generate`). Files of ours that are no longer generated are removed, so a renamed dashboard does
// not linger in provisioning.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildDashboards,
  Dashboard,
  type DashboardFile,
  importVariant,
  renderDashboardFile,
  renderImportFile,
} from '../src/grafana/index.js';

const files = buildDashboards();
const outputs: [string, (f: DashboardFile) => Dashboard, (f: DashboardFile) => string][] = [
  ['./dashboards/', (f) => f.dashboard, renderDashboardFile],
  ['./import/', importVariant, renderImportFile],
];
for (const [rel, model, render] of outputs) {
  const dir = fileURLToPath(new URL(rel, import.meta.url));
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    // Never write a dashboard that Grafana would reject.
    Dashboard.parse(model(f));
    writeFileSync(join(dir, f.file), render(f));
  }
  const wanted = new Set(files.map((f) => f.file));
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json') && !wanted.has(name)) rmSync(join(dir, name));
  }
  console.log(`wrote ${files.length} dashboards to ${dir}`);
}
