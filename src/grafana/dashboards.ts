// Resultant's Grafana dashboards as code, in two variants:
//  - "influxdb": panels read InfluxDB's rollup buckets with Flux (datasource uid resultant-influxdb); forecasts and
//    failure patterns come from Resultant's API through Infinity (uid resultant-api).
//  - "api": everything through Resultant's API (Infinity), for the embedded store; the same questions, answered by
//    /api/v1/aggregates and the analysis and forecast endpoints.
// `npm run grafana:generate` writes them to grafana/dashboards/; a test keeps the committed files in step.
import * as flux from './flux.js';
import { API_DATASOURCE, INFLUX_DATASOURCE, type DashboardFile, type Target } from './model.js';
import { apiTarget, type Column, customVariable, dashboard, Layout, queryVariable, RANGE_PARAMS } from './panels.js';

const ALL = '.*';
const fluxTarget = (refId: string, query: string): Target => ({ refId, datasource: INFLUX_DATASOURCE, query });
const PCT_THRESHOLDS = [
  { color: 'red', value: null },
  { color: 'orange', value: 95 },
  { color: 'green', value: 99 },
];
const WINDOW_NOTE =
  'Points sit at the START of their rollup window (hour, or day in the service time zone); the current window appears once the rollup task has run.';
const P95_NOTE =
  'Percentiles do not merge: the line is the worst p95 among the series in the group (exact for a single series). The API variant shows merged percentiles.';
/** Long (time, series, value) rows from Infinity into one line per series. */
const BY_SERIES = [{ id: 'partitionByValues', options: { fields: ['series'], keepFields: false } }];

const resolutionVar = customVariable('resolution', 'Rollup', ['hourly', 'daily'], 'hourly', 'Which rollup bucket to read');
const periodVar = customVariable('period', 'Period', ['hour', 'day', 'week', 'month'], 'hour', 'Bucket size of /api/v1/aggregates');

// ---------- shared Infinity panels (both variants) ----------

const PATTERN_COLUMNS: Column[] = [
  { selector: 'category', text: 'Category', type: 'string' },
  { selector: 'fingerprint', text: 'Fingerprint', type: 'string' },
  { selector: 'example', text: 'Example', type: 'string' },
  { selector: 'count', text: 'Count', type: 'number' },
  { selector: 'first_seen', text: 'First seen', type: 'timestamp' },
  { selector: 'last_seen', text: 'Last seen', type: 'timestamp' },
];
const CORRELATION_COLUMNS: Column[] = [
  { selector: 'dimension', text: 'Dimension', type: 'string' },
  { selector: 'value', text: 'Value', type: 'string' },
  { selector: 'failure_rate', text: 'Failure rate', type: 'number' },
  { selector: 'overall_rate', text: 'Overall rate', type: 'number' },
  { selector: 'p_value', text: 'p-value', type: 'number' },
];

function failurePatternPanels(layout: Layout, tagParams: [string, string][]): void {
  const params = [...RANGE_PARAMS, ...tagParams];
  layout
    .add({
      type: 'table',
      title: 'Failure patterns',
      description: 'GET /api/v1/analysis/failure-patterns: failures grouped by error fingerprint.',
      datasource: API_DATASOURCE,
      targets: [apiTarget('A', '/api/v1/analysis/failure-patterns', params, 'patterns', PATTERN_COLUMNS)],
      w: 14,
      h: 9,
    })
    .add({
      type: 'table',
      title: 'Where failures concentrate',
      description: 'Tag values whose failure rate is significantly above the overall rate (the correlations of the failure-patterns analysis).',
      datasource: API_DATASOURCE,
      targets: [apiTarget('A', '/api/v1/analysis/failure-patterns', params, 'correlations', CORRELATION_COLUMNS)],
      w: 10,
      h: 9,
    });
}

function forecastPanel(layout: Layout, metric: string, statistic: string, period: string, tagParams: [string, string][]): void {
  const params: [string, string][] = [
    ['metric', metric],
    ['statistic', statistic],
    ['period', period],
    ['horizon', period === 'hour' ? '48' : '14'],
    ['level', '95'],
    ...tagParams,
  ];
  const point = (cols: string[]): Column[] => [
    { selector: 'time', text: 'Time', type: 'timestamp' },
    ...cols.map((c) => ({ selector: c, text: c, type: 'number' as const })),
  ];
  layout.add({
    type: 'timeseries',
    title: `Forecast: ${statistic} ${metric}`,
    description:
      'GET /api/v1/forecast: history, the forecast and its 95 % interval; the model is chosen by backtesting (see the API response for MASE against the seasonal naive baseline).',
    datasource: API_DATASOURCE,
    targets: [
      apiTarget('A', '/api/v1/forecast', params, 'history', point(['value']), 'timeseries'),
      apiTarget('B', '/api/v1/forecast', params, 'forecast', point(['value', 'lower', 'upper']), 'timeseries'),
    ],
    w: 24,
    h: 9,
  });
}

// ---------- InfluxDB variant ----------

function influxOverview(): DashboardFile {
  const vars = ['endpoint', 'region'];
  const layout = new Layout()
    .add({
      type: 'stat',
      title: 'Availability',
      description: 'Successful / all tests over the range, from the rollup counts.',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityTotal(vars))],
      w: 6,
      h: 7,
      unit: 'percent',
      decimals: 3,
      thresholds: PCT_THRESHOLDS,
    })
    .add({
      type: 'table',
      title: 'Availability per endpoint and region',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityTable(['endpoint', 'region'], vars))],
      w: 18,
      h: 7,
    })
    .add({
      type: 'timeseries',
      title: 'Availability per endpoint',
      description: WINDOW_NOTE,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityOverTime(['endpoint'], vars))],
      w: 12,
      h: 8,
      unit: 'percent',
      max: 100,
      displayName: '${__field.labels.endpoint}',
    })
    .add({
      type: 'timeseries',
      title: 'Failed tests per endpoint',
      description: WINDOW_NOTE,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.failuresOverTime(['endpoint'], vars))],
      w: 12,
      h: 8,
      bars: true,
      displayName: '${__field.labels.endpoint}',
    })
    .add({
      type: 'timeseries',
      title: 'Mean latency per endpoint',
      description: `Exact mean (Σsum / Σn of the rollups). ${WINDOW_NOTE}`,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.meanOverTime('latency_ms', ['endpoint'], vars))],
      w: 12,
      h: 8,
      unit: 'ms',
      displayName: '${__field.labels.endpoint}',
    })
    .add({
      type: 'timeseries',
      title: 'p95 latency per endpoint (worst series)',
      description: `${P95_NOTE} ${WINDOW_NOTE}`,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.worstPercentileOverTime('latency_ms', 'p95', ['endpoint'], vars))],
      w: 12,
      h: 8,
      unit: 'ms',
      displayName: '${__field.labels.endpoint}',
    })
    .add({
      type: 'table',
      title: 'Failures by error type',
      description: 'From the raw bucket: results that carry an error_type.',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.failuresByErrorType(['endpoint'], vars))],
      w: 10,
      h: 9,
    })
    .add({
      type: 'timeseries',
      title: 'Circuit breakers opened',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.breakerOpens([]))],
      w: 14,
      h: 9,
      bars: true,
    });
  failurePatternPanels(layout, []);
  return {
    file: 'influxdb-overview.json',
    variant: 'influxdb',
    dashboard: dashboard({
      uid: 'resultant-influx-overview',
      title: 'Resultant: overview (InfluxDB)',
      description: 'Availability, latency and failures across endpoints and regions, from the InfluxDB rollup buckets.',
      tags: ['resultant', 'influxdb'],
      from: 'now-7d',
      variables: [
        resolutionVar,
        queryVariable('endpoint', 'Endpoint', INFLUX_DATASOURCE, flux.tagValues('endpoint', 'test_result_counts'), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
        queryVariable('region', 'Region', INFLUX_DATASOURCE, flux.tagValues('region', 'test_result_counts'), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
      ],
      layout,
    }),
  };
}

function influxEndpoint(): DashboardFile {
  const vars = ['endpoint', 'region', 'worker'];
  const layout = new Layout()
    .add({
      type: 'stat',
      title: 'Availability',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityTotal(vars))],
      w: 6,
      h: 7,
      unit: 'percent',
      decimals: 3,
      thresholds: PCT_THRESHOLDS,
    })
    .add({
      type: 'table',
      title: 'Availability per region and worker',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityTable(['region', 'worker'], vars))],
      w: 18,
      h: 7,
    })
    .add({
      type: 'timeseries',
      title: 'Availability per region',
      description: WINDOW_NOTE,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityOverTime(['region'], vars))],
      w: 12,
      h: 8,
      unit: 'percent',
      max: 100,
      displayName: '${__field.labels.region}',
    })
    .add({
      type: 'timeseries',
      title: 'Tests and failures',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.testsOverTime([], vars)), fluxTarget('B', flux.failuresOverTime([], vars))],
      w: 12,
      h: 8,
      bars: true,
    })
    .add({
      type: 'timeseries',
      title: 'Mean ${metric} per region',
      description: `Exact mean (Σsum / Σn of the rollups). ${WINDOW_NOTE}`,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.meanOverTime('${metric}', ['region'], vars))],
      w: 12,
      h: 8,
      displayName: '${__field.labels.region}',
    })
    .add({
      type: 'timeseries',
      title: 'p95 ${metric} per worker (worst series)',
      description: `${P95_NOTE} ${WINDOW_NOTE}`,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.worstPercentileOverTime('${metric}', 'p95', ['worker'], vars))],
      w: 12,
      h: 8,
      displayName: '${__field.labels.worker}',
    })
    .add({
      type: 'table',
      title: '${metric} per test',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.statsTable('${metric}', ['test'], vars))],
      w: 12,
      h: 8,
    })
    .add({
      type: 'table',
      title: 'Recent errors',
      description: 'The newest 200 results with an error, from the raw bucket.',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.recentErrors(vars))],
      w: 12,
      h: 8,
    });
  forecastPanel(layout, '${metric}', 'mean', 'hour', [['tag.endpoint', '${endpoint}']]);
  failurePatternPanels(layout, [['tag.endpoint', '${endpoint}']]);
  return {
    file: 'influxdb-endpoint.json',
    variant: 'influxdb',
    dashboard: dashboard({
      uid: 'resultant-influx-endpoint',
      title: 'Resultant: endpoint (InfluxDB)',
      description: 'One endpoint in depth: regions, workers, tests, errors, forecast and failure patterns.',
      tags: ['resultant', 'influxdb'],
      from: 'now-2d',
      variables: [
        resolutionVar,
        queryVariable('endpoint', 'Endpoint', INFLUX_DATASOURCE, flux.tagValues('endpoint', 'test_result_counts')),
        queryVariable('region', 'Region', INFLUX_DATASOURCE, flux.tagValues('region', 'test_result_counts', ['endpoint']), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
        queryVariable('worker', 'Worker', INFLUX_DATASOURCE, flux.tagValues('worker', 'test_result_counts', ['endpoint', 'region']), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
        queryVariable('metric', 'Metric', INFLUX_DATASOURCE, flux.tagValues('metric', 'test_result_stats', ['endpoint'])),
      ],
      layout,
    }),
  };
}

function influxBenchmarks(): DashboardFile {
  const vars = ['hardware', 'model'];
  const layout = new Layout()
    .add({
      type: 'table',
      title: '${metric} by hardware and model',
      description: 'Count, exact mean, min, max and worst series p95 over the range.',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.statsTable('${metric}', ['hardware', 'model'], vars))],
      w: 24,
      h: 9,
    })
    .add({
      type: 'timeseries',
      title: 'Mean ${metric} per model',
      description: WINDOW_NOTE,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.meanOverTime('${metric}', ['model'], vars))],
      w: 12,
      h: 9,
      displayName: '${__field.labels.model}',
    })
    .add({
      type: 'timeseries',
      title: 'Mean ${metric} per hardware',
      description: WINDOW_NOTE,
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.meanOverTime('${metric}', ['hardware'], vars))],
      w: 12,
      h: 9,
      displayName: '${__field.labels.hardware}',
    })
    .add({
      type: 'timeseries',
      title: 'Benchmark runs per hardware',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.testsOverTime(['hardware'], vars))],
      w: 12,
      h: 8,
      bars: true,
      displayName: '${__field.labels.hardware}',
    })
    .add({
      type: 'timeseries',
      title: 'Availability per model',
      datasource: INFLUX_DATASOURCE,
      targets: [fluxTarget('A', flux.availabilityOverTime(['model'], vars))],
      w: 12,
      h: 8,
      unit: 'percent',
      max: 100,
      displayName: '${__field.labels.model}',
    });
  return {
    file: 'influxdb-benchmarks.json',
    variant: 'influxdb',
    dashboard: dashboard({
      uid: 'resultant-influx-benchmarks',
      title: 'Resultant: benchmarks (InfluxDB)',
      description: 'Benchmark metrics compared across hardware and models (series that carry hardware and model tags).',
      tags: ['resultant', 'influxdb'],
      from: 'now-30d',
      variables: [
        { ...resolutionVar, current: { text: 'daily', value: 'daily', selected: true }, options: resolutionVar.options!.map((o) => ({ ...o, selected: o.value === 'daily' })) },
        queryVariable('metric', 'Metric', INFLUX_DATASOURCE, flux.tagValues('metric', 'test_result_stats')),
        queryVariable('hardware', 'Hardware', INFLUX_DATASOURCE, flux.tagValues('hardware', 'test_result_counts'), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
        queryVariable('model', 'Model', INFLUX_DATASOURCE, flux.tagValues('model', 'test_result_counts', ['hardware']), {
          multi: true,
          includeAll: true,
          allValue: ALL,
        }),
      ],
      layout,
    }),
  };
}

// ---------- API variant (Infinity against /api/v1/aggregates) ----------

const AGG = '/api/v1/aggregates';
const TIME_COL: Column = { selector: 'time', text: 'Time', type: 'timestamp' };
const SERIES_COL: Column = { selector: 'series', text: 'series', type: 'string' };
const VALUE_COL = (text: string): Column => ({ selector: 'value', text, type: 'number' });

/**
 * JSONata over the aggregates response: one row per (bucket, group) with the bucket START as time and the group's
 * tag values joined as the series name. `filter` (a JSONata predicate on a series) applies dashboard variables.
 */
function bucketRows(group: readonly string[], value: string, filter?: string): string {
  const name = group.length === 0 ? '"all"' : group.map((k) => `$g.${k}`).join(' & " / " & ');
  return `[${filter ? `series[${filter}]` : 'series'}.( $g := group; buckets[${value} != null].{ "time": start, "series": ${name}, "value": ${value} } )]`;
}

/** Over the whole range per group: tests, failures, availability. */
function groupTotals(group: readonly string[], filter?: string): string {
  const keys = group.map((k) => `"${k}": group.${k}`).join(', ');
  return `[${filter ? `series[${filter}]` : 'series'}.{ ${keys}${keys ? ', ' : ''}"tests": $sum(buckets.test_count), "failures": $sum(buckets.failure_count), "availability_pct": $sum(buckets.test_count) > 0 ? 100 * $sum(buckets.success_count) / $sum(buckets.test_count) : null }]`;
}

const aggParams = (groupBy: readonly string[], extra: [string, string][] = []): [string, string][] => [
  ['period', '${period}'],
  ...RANGE_PARAMS,
  ...(groupBy.length > 0 ? ([['group_by', groupBy.join(',')]] as [string, string][]) : []),
  ...extra,
];

function apiTimeseries(
  title: string,
  group: readonly string[],
  value: string,
  opts: { description?: string; unit?: string; max?: number; bars?: boolean; extra?: [string, string][]; filter?: string; w?: number },
) {
  return {
    type: 'timeseries' as const,
    title,
    ...(opts.description ? { description: opts.description } : {}),
    datasource: API_DATASOURCE,
    targets: [apiTarget('A', AGG, aggParams(group, opts.extra), bucketRows(group, value, opts.filter), [TIME_COL, SERIES_COL, VALUE_COL(title)])],
    transformations: BY_SERIES,
    w: opts.w ?? 12,
    h: 8,
    ...(opts.unit ? { unit: opts.unit } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
    ...(opts.bars ? { bars: true } : {}),
  };
}

const API_WINDOW_NOTE = 'Points sit at the start of their bucket (period and time zone as the service is configured).';

/** Series tag values for a variable, from GET /api/v1/series. */
function seriesVariable(name: string, label: string, multi: boolean, filter: [string, string][] = []) {
  return queryVariable(
    name,
    label,
    API_DATASOURCE,
    {
      queryType: 'infinity',
      query: '',
      infinityQuery: apiTarget('A', '/api/v1/series', [['measurement', 'test_result'], ...RANGE_PARAMS, ...filter], `[series.tags[${name} != null]]`, [
        { selector: name, text: name, type: 'string' },
      ]),
    },
    multi ? { multi: true, includeAll: true } : {},
  );
}

function apiOverview(): DashboardFile {
  const layout = new Layout()
    .add({
      type: 'stat',
      title: 'Availability',
      datasource: API_DATASOURCE,
      targets: [apiTarget('A', AGG, aggParams([]), groupTotals([]), [{ selector: 'availability_pct', text: 'Availability', type: 'number' }])],
      w: 6,
      h: 7,
      unit: 'percent',
      decimals: 3,
      thresholds: PCT_THRESHOLDS,
    })
    .add({
      type: 'table',
      title: 'Availability per endpoint and region',
      datasource: API_DATASOURCE,
      targets: [
        apiTarget('A', AGG, aggParams(['endpoint', 'region']), groupTotals(['endpoint', 'region']), [
          { selector: 'endpoint', text: 'endpoint', type: 'string' },
          { selector: 'region', text: 'region', type: 'string' },
          { selector: 'tests', text: 'tests', type: 'number' },
          { selector: 'failures', text: 'failures', type: 'number' },
          { selector: 'availability_pct', text: 'availability_pct', type: 'number' },
        ]),
      ],
      w: 18,
      h: 7,
    })
    .add(apiTimeseries('Availability per endpoint', ['endpoint'], 'availability_pct', { unit: 'percent', max: 100, description: API_WINDOW_NOTE }))
    .add(apiTimeseries('Failed tests per endpoint', ['endpoint'], 'failure_count', { bars: true, description: API_WINDOW_NOTE }))
    .add(apiTimeseries('Mean latency per endpoint', ['endpoint'], 'stats.mean', { unit: 'ms', description: API_WINDOW_NOTE }))
    .add(
      apiTimeseries('p95 latency per endpoint', ['endpoint'], 'stats.p95', {
        unit: 'ms',
        description: `Percentiles merged over the endpoint's series by the service (exact, or a sketch within 1 %). ${API_WINDOW_NOTE}`,
      }),
    );
  failurePatternPanels(layout, []);
  return {
    file: 'api-overview.json',
    variant: 'api',
    dashboard: dashboard({
      uid: 'resultant-api-overview',
      title: 'Resultant: overview (API)',
      description: "Availability, latency and failures across endpoints and regions, read through Resultant's API.",
      tags: ['resultant', 'api'],
      from: 'now-7d',
      variables: [periodVar],
      layout,
    }),
  };
}

function apiEndpoint(): DashboardFile {
  const tag: [string, string][] = [['tag.endpoint', '${endpoint}']];
  // Grafana's :json format gives the selected values (all of them for "All") as a JSON array.
  const filter = 'group.region in ${region:json} and group.worker in ${worker:json}';
  const layout = new Layout()
    .add({
      type: 'table',
      title: 'Availability per region and worker',
      datasource: API_DATASOURCE,
      targets: [
        apiTarget('A', AGG, aggParams(['region', 'worker'], tag), groupTotals(['region', 'worker'], filter), [
          { selector: 'region', text: 'region', type: 'string' },
          { selector: 'worker', text: 'worker', type: 'string' },
          { selector: 'tests', text: 'tests', type: 'number' },
          { selector: 'failures', text: 'failures', type: 'number' },
          { selector: 'availability_pct', text: 'availability_pct', type: 'number' },
        ]),
      ],
      w: 24,
      h: 7,
    })
    .add(apiTimeseries('Availability per region / worker', ['region', 'worker'], 'availability_pct', { unit: 'percent', max: 100, extra: tag, filter }))
    .add(apiTimeseries('Failed tests per region / worker', ['region', 'worker'], 'failure_count', { bars: true, extra: tag, filter }))
    .add(apiTimeseries('Mean ${metric} per region / worker', ['region', 'worker'], 'stats.mean', { extra: [...tag, ['metric', '${metric}']], filter }))
    .add(apiTimeseries('p95 ${metric} per region / worker', ['region', 'worker'], 'stats.p95', { extra: [...tag, ['metric', '${metric}']], filter }));
  forecastPanel(layout, '${metric}', 'mean', '${period}', tag);
  failurePatternPanels(layout, tag);
  return {
    file: 'api-endpoint.json',
    variant: 'api',
    dashboard: dashboard({
      uid: 'resultant-api-endpoint',
      title: 'Resultant: endpoint (API)',
      description: "One endpoint in depth through Resultant's API: regions, workers, forecast and failure patterns.",
      tags: ['resultant', 'api'],
      from: 'now-2d',
      variables: [
        customVariable('period', 'Period', ['hour', 'day'], 'hour', 'Bucket size of /api/v1/aggregates and the forecast'),
        seriesVariable('endpoint', 'Endpoint', false),
        seriesVariable('region', 'Region', true, tag),
        seriesVariable('worker', 'Worker', true, tag),
        { type: 'textbox', name: 'metric', label: 'Metric', query: 'latency_ms', current: { text: 'latency_ms', value: 'latency_ms' } },
      ],
      layout,
    }),
  };
}

function apiBenchmarks(): DashboardFile {
  const filter = 'group.hardware in ${hardware:json} and group.model in ${model:json}';
  const metric: [string, string][] = [['metric', '${metric}']];
  // Exact merge over the range: counts add, the mean is count-weighted, min of mins, max of maxes.
  const table = `[series[${filter}].{ "hardware": group.hardware, "model": group.model, "count": $sum(buckets.stats.count), "mean": $sum(buckets.stats.count) > 0 ? $sum(buckets.(stats.mean * stats.count)) / $sum(buckets.stats.count) : null, "min": $min(buckets.stats.min), "max": $max(buckets.stats.max) }]`;
  const layout = new Layout()
    .add({
      type: 'table',
      title: '${metric} by hardware and model',
      description: 'Count, exact mean (count-weighted over buckets), min and max over the range.',
      datasource: API_DATASOURCE,
      targets: [
        apiTarget('A', AGG, aggParams(['hardware', 'model'], metric), table, [
          { selector: 'hardware', text: 'hardware', type: 'string' },
          { selector: 'model', text: 'model', type: 'string' },
          { selector: 'count', text: 'count', type: 'number' },
          { selector: 'mean', text: 'mean', type: 'number' },
          { selector: 'min', text: 'min', type: 'number' },
          { selector: 'max', text: 'max', type: 'number' },
        ]),
      ],
      w: 24,
      h: 9,
    })
    .add(apiTimeseries('Mean ${metric} per model', ['model'], 'stats.mean', { extra: metric, filter: 'group.model in ${model:json}' }))
    .add(apiTimeseries('Mean ${metric} per hardware', ['hardware'], 'stats.mean', { extra: metric, filter: 'group.hardware in ${hardware:json}' }))
    .add(apiTimeseries('p95 ${metric} per hardware and model', ['hardware', 'model'], 'stats.p95', { extra: metric, filter, w: 24 }));
  return {
    file: 'api-benchmarks.json',
    variant: 'api',
    dashboard: dashboard({
      uid: 'resultant-api-benchmarks',
      title: 'Resultant: benchmarks (API)',
      description: "Benchmark metrics compared across hardware and models, read through Resultant's API.",
      tags: ['resultant', 'api'],
      from: 'now-30d',
      variables: [
        customVariable('period', 'Period', ['hour', 'day', 'week'], 'day'),
        { type: 'textbox', name: 'metric', label: 'Metric', query: 'latency_ms', current: { text: 'latency_ms', value: 'latency_ms' } },
        seriesVariable('hardware', 'Hardware', true),
        seriesVariable('model', 'Model', true),
      ],
      layout,
    }),
  };
}

/** Every dashboard, in a fixed order. */
export function buildDashboards(): DashboardFile[] {
  return [influxOverview(), influxEndpoint(), influxBenchmarks(), apiOverview(), apiEndpoint(), apiBenchmarks()];
}
