import type { DashboardFile } from './model.js';

/** The exact text of a committed dashboard file (stable key order, two-space indent, final newline). */
export function renderDashboardFile(f: DashboardFile): string {
  return `${JSON.stringify(f.dashboard, null, 2)}\n`;
}
