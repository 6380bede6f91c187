// Raw results exported as CSV or NDJSON (GET /api/v1/results?format=csv|ndjson, `resultant export`): the whole
// selected range, read from the store page by page with the store's own cursor and rendered one page at a time,
// so memory stays bounded whatever the range. CSV columns are fixed up front (a stream cannot add columns later):
// time, success, latency_ms, error, error_type, then tags and metrics as one JSON object each (their keys vary per
// series and metric keys are in no catalogue).

import { invalid } from '../errors.js';
import type { TestResult } from '../model/result.js';
import { csvField } from '../report/csv.js';
import type { ResultQuery, Store } from '../store/types.js';
import { formatMicros } from '../time/parse.js';
import { one, type Query, rangeUs, tagFilters } from './params.js';

export const RESULT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type ExportFormat = 'csv' | 'ndjson';

/** Results read from the store per page of an export. */
export const EXPORT_PAGE_SIZE = 1000;

export const CSV_COLUMNS = ['time', 'success', 'latency_ms', 'error', 'error_type', 'tags', 'metrics'] as const;

export const EXPORT_MEDIA: Record<ExportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  ndjson: { contentType: 'application/x-ndjson', extension: 'ndjson' },
};

/** Which results: range, tag filters and outcome, as GET /api/v1/results takes them (every failure a 400). */
export type ResultSelection = Omit<ResultQuery, 'limit' | 'cursor'>;

export function resultSelection(q: Query): ResultSelection {
  const [start, stop] = rangeUs(q);
  const success = one(q, 'success');
  if (success !== undefined && success !== 'true' && success !== 'false') {
    throw invalid(`parameter "success" must be true or false (got "${success}")`, { parameter: 'success' });
  }
  return { start, stop, filters: tagFilters(q), ...(success === undefined ? {} : { success: success === 'true' }) };
}

/** A result as the JSON API shows it (and an NDJSON line holds it). */
export function resultJson(r: TestResult): Omit<TestResult, 'time'> & { time: string } {
  return { ...r, time: formatMicros(r.time) };
}

export function csvRow(r: TestResult): string {
  const cells = [
    formatMicros(r.time),
    r.success,
    r.latency_ms,
    r.error,
    r.error_type,
    JSON.stringify(r.tags),
    r.metrics ? JSON.stringify(r.metrics) : null,
  ];
  return cells.map(csvField).join(',');
}

function renderPage(results: readonly TestResult[], format: ExportFormat): string {
  if (format === 'ndjson') return results.map((r) => `${JSON.stringify(resultJson(r))}\n`).join('');
  return results.map((r) => `${csvRow(r)}\r\n`).join('');
}

/**
 * The export in pieces: the CSV header, then one piece per page of the store, newest first. A read of a request
 * whose client has gone throws Cancelled (cancellation.ts), which ends it.
 */
export async function* exportPieces(
  store: Store,
  sel: ResultSelection,
  format: ExportFormat,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  let cursor: string | null = null;
  do {
    const page = await store.results({ ...sel, limit: pageSize, ...(cursor ? { cursor } : {}) });
    if (page.results.length > 0) yield renderPage(page.results, format);
    cursor = page.nextCursor;
  } while (cursor);
}
