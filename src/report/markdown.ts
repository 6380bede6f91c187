// The report as Markdown (GitHub flavoured: pipe tables); charts inline as SVG data URIs so the file stands alone.
import { filterLabel } from '../charts/theme.js';
import { columnTitle, formatCell, formatFigure } from './format.js';
import { type ReportRenderer, renderWhole } from './render.js';
import type { Report } from './types.js';

/**
 * Text from the data (tag values, error messages, filters) as literal Markdown text on one line: no HTML (& < >
 * as entities), no links or images ([ ] escaped), no table breaks (| escaped, line breaks as spaces).
 */
const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\[\]|`*_]/g, (c) => `\\${c}`)
    .replace(/[\r\n]+/g, ' ');

/** Markdown in pieces: the head, each section as it is built, the tail (streamed by the API). */
export const markdownRenderer: ReportRenderer = {
  head(h) {
    const out: string[] = [`# ${esc(h.title)}`, ''];
    out.push(
      `Generated ${h.generated_at} · range ${h.start} to ${h.stop} · time zone ${esc(h.tz)}${esc(filterText(h))}`,
      '',
    );
    out.push(`Contents: ${h.contents.map((s) => esc(s.title)).join(' · ')}`);
    return out.join('\n');
  },
  section(s) {
    const out: string[] = ['', '', `## ${esc(s.title)}`, ''];
    if (!s.available) out.push(`> **Not available.** ${esc(s.note ?? '')}`, '');
    else if (s.note) out.push(`> ${esc(s.note)}`, '');
    if (s.figures.length) {
      for (const f of s.figures) out.push(`- **${esc(f.label)}**: ${esc(formatFigure(f))}`);
      out.push('');
    }
    for (const t of s.tables) {
      out.push(`### ${esc(t.title)}`, '');
      if (!t.rows.length) {
        out.push('_No rows._', '');
        continue;
      }
      out.push(`| ${t.columns.map((c) => esc(columnTitle(c))).join(' | ')} |`);
      out.push(`| ${t.columns.map((_, i) => (typeof t.rows[0]![i] === 'number' ? '---:' : '---')).join(' | ')} |`);
      for (const row of t.rows) out.push(`| ${row.map((c) => esc(formatCell(c))).join(' | ')} |`);
      if (t.omitted) out.push('', `_${t.omitted} more rows not shown._`);
      out.push('');
    }
    for (const c of s.charts) {
      if (c.svg) out.push(`![${esc(c.title)}](data:image/svg+xml;base64,${Buffer.from(c.svg).toString('base64')})`, '');
    }
    return out.join('\n').trimEnd();
  },
  tail: () => '\n',
};

export function reportMarkdown(r: Report): string {
  return renderWhole(markdownRenderer, r);
}

export function filterText(r: Pick<Report, 'filter'>): string {
  const label = filterLabel(r.filter);
  return label ? ` · ${label}` : '';
}
