// Charts: contract JSON in, vega-lite spec out, rendered to SVG or PNG on the server.

export { circuitBreakersChart, failurePatternsChart, trendsChart, workloadChart } from './findings.js';
export { renderChart, renderSvg, svgToPng } from './render.js';
export { anomaliesChart, availabilityChart, emptyChart, forecastChart, latencyChart } from './series.js';
export { OKABE_ITO, rangeLabel, seriesName, toWall } from './theme.js';
export * from './types.js';
