// Raw results exported as CSV or NDJSON (GET /api/v1/results?format=csv|ndjson, `resultant export`): the whole
// selected range, read from the store page by page with the store's own cursor and rendered one page at a time,
// so memory stays bounded whatever the range. CSV columns are fixed up front (a stream cannot add columns later):
// time, success, latency_ms, error, error_type, then tags and metrics as one JSON object each (their keys vary per
// series and metric keys are in no catalogue).

import { z } from 'zod';
import type { TestResult } from '../model/result.js';
import { csvField } from '../report/csv.js';
import type { ResultQuery, Store } from '../store/types.js';
import { formatMicros } from '../time/parse.js';
import { maybeBool, parseQuery, type Query, stopAfterStart, TAGS, tags, time, usRange } from './params.js';

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

/** The query parameters that select results (GET /api/v1/results, `resultant export`). */
export const RESULT_SELECTION = {
  start: time('inclusive'),
  stop: time('exclusive'),
  success: maybeBool('only successes or failures', (v) => v),
  [TAGS]: tags(),
};

const selectionQuery = z.object(RESULT_SELECTION).superRefine(stopAfterStart);

/** The selection of validated parameters. */
export function selectionOf(q: z.output<typeof selectionQuery>): ResultSelection {
  const [start, stop] = usRange(q.start, q.stop);
  return { start, stop, filters: q[TAGS], ...(q.success === undefined ? {} : { success: q.success }) };
}

/** The selection of a query's parameters (other parameters are not looked at); every problem a 400. */
export function resultSelection(q: Query): ResultSelection {
  return selectionOf(parseQuery(selectionQuery, q, false));
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
