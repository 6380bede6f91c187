// Vega-lite spec -> SVG with vega's headless renderer, and SVG -> PNG with resvg (a prebuilt native binary, fonts
// from the system). There is no canvas to measure text with: widths come from the advance widths of Liberation Sans
// (the charts' first font, metric-compatible with Arial and Helvetica) instead of vega's 0.8 em per character, which
// took half again the room a label needs (a chart fitted to a panel gave a third of its width to an imagined title).
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { textWidth } from './text.js';
import type { Chart } from './types.js';

interface TextItem {
  fontSize?: number | string;
  fontWeight?: number | string;
  limit?: number;
}

// vega's hook for a text measure of one's own (vega-scenegraph's textMetrics.width, used for layout and truncation).
(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width = (
  item,
  text,
) => {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  const w = textWidth(String(text ?? '').trim(), size, bold);
  return item.limit && item.limit > 0 ? Math.min(w, item.limit) : w;
};

export async function renderSvg(chart: Chart): Promise<string> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    return withHoverTitles(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/**
 * Vega writes each data mark's description (its fields and values, e.g. "time (UTC): 21 Nov 00:00; latency_ms
 * (ms): 40; endpoint: search") as an aria-label. It becomes a <title> child instead, which browsers show on hover
 * when the SVG is inline (the dashboard, HTML reports) and which names the mark for screen readers as the label
 * did (written once, not twice: a week of hourly points is thousands of them); PNG rendering ignores it.
 */
export function withHoverTitles(svg: string): string {
  return svg.replace(
    /<(path|rect|circle|line|polygon)(\s[^>]*?)?\saria-label="([^"]*)"([^>]*?)\/>/g,
    (_m, tag: string, before: string | undefined, label: string, after: string) =>
      `<${tag}${before ?? ''}${after}><title>${label}</title></${tag}>`,
  );
}

/** PNG of an SVG at `scale` times its size (2 by default: sharp on high-density screens and in documents). */
export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans', sansSerifFamily: 'Liberation Sans' },
  });
  return r.render().asPng();
}

export async function renderChart(chart: Chart, format: 'svg' | 'png'): Promise<Buffer> {
  const svg = await renderSvg(chart);
  return format === 'svg' ? Buffer.from(svg) : svgToPng(svg);
}
