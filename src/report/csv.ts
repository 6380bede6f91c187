// The report's tables (and key figures) as one CSV (RFC 4180: CRLF line ends, fields quoted when they hold a
// comma, quote or line break, quotes doubled). Tables differ in their columns, so every value is one row:
// section, table, row, column, value; a spreadsheet pivot or a CSV reader rebuilds any table from it.
import { type ReportRenderer, renderWhole } from './render.js';
import type { Cell, Report } from './types.js';

const HEADER = ['section', 'table', 'row', 'column', 'value'];
const PLAIN_NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** One CSV field (RFC 4180 quoting), with text that a spreadsheet would run as a formula kept as text. */
export function csvField(v: Cell | number): string {
  let s = v === null ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
  // A text starting with = + @ tab or CR, or with - unless it is a plain number, is a formula to a spreadsheet
  // (-2+3 is one): keep it text.
  if (typeof v === 'string' && (/^[=+@\t\r]/.test(s) || (s.startsWith('-') && !PLAIN_NUMBER.test(s)))) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV in pieces: the header line, each section's rows as it is built (streamed by the API). */
export const csvRenderer: ReportRenderer = {
  head: () => `${HEADER.join(',')}\r\n`,
  section(s) {
    const lines: string[] = [];
    const push = (...f: (Cell | number)[]) => lines.push(f.map(csvField).join(','));
    push(s.id, 'section', 0, 'title', s.title);
    push(s.id, 'section', 0, 'available', s.available);
    if (s.note) push(s.id, 'section', 0, 'note', s.note);
    for (const [i, f] of s.figures.entries())
      push(s.id, 'figures', i + 1, f.unit ? `${f.label} (${f.unit})` : f.label, f.value);
    for (const t of s.tables) {
      for (const [i, row] of t.rows.entries())
        for (const [j, v] of row.entries()) push(s.id, t.id, i + 1, t.columns[j] ?? `column_${j + 1}`, v);
    }
    return `${lines.join('\r\n')}\r\n`;
  },
  tail: () => '',
};

export function reportCsv(r: Report): string {
  return renderWhole(csvRenderer, r);
}
