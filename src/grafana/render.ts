// The committed text of the dashboard files: grafana/dashboards/ (provisioning) and grafana/import/ (manual import).
import { importVariant } from './import.js';
import type { DashboardFile } from './model.js';

/** The exact text of a committed dashboard file (stable key order, two-space indent, final newline). */
export function renderDashboardFile(f: DashboardFile): string {
  return `${JSON.stringify(f.dashboard, null, 2)}\n`;
}

/** The exact text of the same dashboard for a manual import (${DS_...} placeholders, __inputs, __requires). */
export function renderImportFile(f: DashboardFile): string {
  return `${JSON.stringify(importVariant(f), null, 2)}\n`;
}
