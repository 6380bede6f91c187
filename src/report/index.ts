// Reports: built section by section from the sources, rendered in the requested format, whole or streamed.
import { type BuildOptions, buildReport, planReport, type ReportHead } from './build.js';
import { csvRenderer } from './csv.js';
import { htmlRenderer } from './html.js';
import { markdownRenderer } from './markdown.js';
import { jsonRenderer, type ReportRenderer, renderWhole } from './render.js';
import type { ReportSources } from './sources.js';
import type { Report, ReportFormat, ReportRequest } from './types.js';

export { buildReport, type ReportHead, SECTION_TITLES, SECTIONS_OF } from './build.js';
export { type ReportSources, storeSources } from './sources.js';
export * from './types.js';

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

export const EXTENSIONS: Record<ReportFormat, string> = { markdown: 'md', html: 'html', json: 'json', csv: 'csv' };

export const RENDERERS: Record<ReportFormat, ReportRenderer> = {
  markdown: markdownRenderer,
  html: htmlRenderer,
  json: jsonRenderer,
  csv: csvRenderer,
};

/** The report as data, without chart drawings (JSON is this, CSV its tables). */
export function reportJson(r: Report): string {
  return renderWhole(jsonRenderer, r);
}

export function renderReport(r: Report, format: ReportFormat): string {
  return renderWhole(RENDERERS[format], r);
}

/** Charts are drawn for the formats that show them. */
const withCharts = (format: ReportFormat): boolean => format === 'html' || format === 'markdown';

export async function createReport(
  sources: ReportSources,
  req: ReportRequest,
  onProgress?: BuildOptions['onProgress'],
): Promise<{ report: Report; body: string; contentType: string }> {
  const report = await buildReport(sources, req, {
    charts: withCharts(req.format),
    ...(onProgress ? { onProgress } : {}),
  });
  return { report, body: renderReport(report, req.format), contentType: CONTENT_TYPES[req.format] };
}

/**
 * The document in pieces as its sections are built: the head, then each section, then the tail. The first
 * section is built before anything is given out, so a report that cannot start fails with its own error.
 */
export async function streamReport(
  sources: ReportSources,
  req: ReportRequest,
  o: Omit<BuildOptions, 'charts'> = {},
): Promise<{ head: ReportHead; contentType: string; pieces: AsyncGenerator<string> }> {
  const plan = planReport(sources, req, { ...o, charts: withCharts(req.format) });
  const renderer = RENDERERS[req.format];
  const sections = plan.sections();
  const first = await sections.next();
  async function* pieces(): AsyncGenerator<string> {
    yield renderer.head(plan.head);
    let i = 0;
    if (!first.done) yield renderer.section(first.value, i++);
    for await (const s of sections) yield renderer.section(s, i++);
    yield renderer.tail(plan.head);
  }
  return { head: plan.head, contentType: CONTENT_TYPES[req.format], pieces: pieces() };
}
