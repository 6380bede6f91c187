// Writes grafana/dashboards/*.json from src/grafana/dashboards.ts (`npm run grafana:generate`). Files of ours that
// are no longer generated are removed, so a renamed dashboard does not linger in provisioning.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards, Dashboard, renderDashboardFile } from '../src/grafana/index.js';

const dir = fileURLToPath(new URL('./dashboards/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = buildDashboards();
for (const f of files) {
  // Never write a dashboard that Grafana would reject.
  Dashboard.parse(f.dashboard);
  writeFileSync(join(dir, f.file), renderDashboardFile(f));
}
const wanted = new Set(files.map((f) => f.file));
for (const name of readdirSync(dir)) {
  if (name.endsWith('.json') && !wanted.has(name)) rmSync(join(dir, name));
}
console.log(`wrote ${files.length} dashboards to ${dir}`);
