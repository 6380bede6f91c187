// Vega-lite spec -> SVG with vega's headless renderer (no canvas: text widths are estimated from the font size),
// and SVG -> PNG with resvg (a prebuilt native binary, fonts from the system).
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { Chart } from './types.js';

export async function renderSvg(chart: Chart): Promise<string> {
  const view = new vega.View(vega.parse(compile(chart.spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
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
