// Shared formatting of cells for the human-readable formats (Markdown, HTML).
import type { Cell, Figure } from './types.js';

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** 12,345 for whole numbers, up to three decimals otherwise; yes/no; an en dash for no value. */
export function formatCell(v: Cell): string {
  if (v === null) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return Number.isInteger(v) ? intFormat.format(v) : decFormat.format(v);
  return v;
}

export function formatFigure(f: Figure): string {
  const v = formatCell(f.value);
  return f.unit && f.value !== null ? `${v}${f.unit === '%' ? ' %' : ` ${f.unit}`}` : v;
}

/** Column names as headings: p95_ms -> "p95 (ms)", availability_pct -> "availability (%)". */
export function columnTitle(c: string): string {
  const m = /^(.*)_(ms|pct)$/.exec(c);
  const base = (m ? m[1]! : c).replace(/_/g, ' ');
  return m ? `${base} (${m[2] === 'pct' ? '%' : 'ms'})` : base;
}
