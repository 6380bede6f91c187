// Rendering a report in pieces: a format's head (known before any section is built), each section, and its tail.
// The API streams them as the sections are built; a whole document is the same pieces joined.
import type { ReportHead } from './build.js';
import type { Report, Section } from './types.js';

export interface ReportRenderer {
  head(h: ReportHead): string;
  /** `index`: the section's place in the document (0 for the first). */
  section(s: Section, index: number): string;
  tail(h: ReportHead): string;
}

/** The head of a whole report (its contents are its sections). */
export function headOf(r: Report): ReportHead {
  const { sections, ...rest } = r;
  return {
    ...rest,
    contents: sections.map((s) => ({ id: s.id as ReportHead['contents'][number]['id'], title: s.title })),
  };
}

export function renderWhole(renderer: ReportRenderer, r: Report): string {
  const head = headOf(r);
  return renderer.head(head) + r.sections.map((s, i) => renderer.section(s, i)).join('') + renderer.tail(head);
}

/** The report as data, without chart drawings: JSON in pieces that join into one pretty-printed document. */
export const jsonRenderer: ReportRenderer = {
  head(h) {
    const { contents: _contents, ...rest } = h;
    const text = JSON.stringify({ ...rest, sections: [] }, null, 2);
    // Everything up to the empty sections array, which the sections and the tail complete.
    return `${text.slice(0, text.lastIndexOf('[]'))}[`;
  },
  section(s, index) {
    const body = JSON.stringify(s, (k, v: unknown) => (k === 'svg' ? undefined : v), 2).replace(/\n/g, '\n    ');
    return `${index === 0 ? '' : ','}\n    ${body}`;
  },
  tail: (h) => (h.contents.length ? '\n  ]\n}\n' : ']\n}\n'),
};
