// Reports: build once from the sources, render in the requested format.
import { buildReport, type BuildOptions } from './build.js';
import { reportCsv } from './csv.js';
import { reportHtml } from './html.js';
import { reportMarkdown } from './markdown.js';
import type { ReportSources } from './sources.js';
import type { Report, ReportFormat, ReportRequest } from './types.js';

export { buildReport, SECTIONS_OF, SECTION_TITLES } from './build.js';
export { storeSources, type ReportSources } from './sources.js';
export * from './types.js';

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

export const EXTENSIONS: Record<ReportFormat, string> = { markdown: 'md', html: 'html', json: 'json', csv: 'csv' };

/** The report as data, without chart drawings (JSON is this, CSV its tables). */
export function reportJson(r: Report): string {
  return `${JSON.stringify(r, (k, v: unknown) => (k === 'svg' ? undefined : v), 2)}\n`;
}

export function renderReport(r: Report, format: ReportFormat): string {
  switch (format) {
    case 'markdown':
      return reportMarkdown(r);
    case 'html':
      return reportHtml(r);
    case 'json':
      return reportJson(r);
    case 'csv':
      return reportCsv(r);
  }
}

export async function createReport(
  sources: ReportSources,
  req: ReportRequest,
  onProgress?: BuildOptions['onProgress'],
): Promise<{ report: Report; body: string; contentType: string }> {
  const report = await buildReport(sources, req, {
    charts: req.format === 'html' || req.format === 'markdown',
    ...(onProgress ? { onProgress } : {}),
  });
  return { report, body: renderReport(report, req.format), contentType: CONTENT_TYPES[req.format] };
}
