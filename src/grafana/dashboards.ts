// Resultant's Grafana dashboards as code, in two variants:
//  - "influxdb": panels read InfluxDB's rollup buckets with Flux (datasource uid resultant-influxdb); forecasts and
//    failure patterns come from Resultant's API through Infinity (uid resultant-api).
//  - "api": everything through Resultant's API (Infinity), for the embedded store; the same questions, answered by
//    /api/v1/aggregates and the analysis and forecast endpoints.
// `npm run grafana:generate` writes them to grafana/dashboards/; a test keeps the committed files in step.
import * as flux from './flux.js';
import {
  API_DATASOURCE,
  type DashboardFile,
  type DashboardLink,
  type DataSourceRef,
  INFLUX_DATASOURCE,
  type Link,
  type Target,
  type Variable,
} from './model.js';
import {
  apiTarget,
  type Column,
  customVariable,
  dashboard,
  Layout,
  type PanelSpec,
  panelLink,
  queryVariable,
  RANGE_PARAMS,
} from './panels.js';

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

// ---------- links from the overviews to the endpoint dashboards ----------

/** The endpoint dashboard of each variant (the overview's links lead there). */
const ENDPOINT_UID: Record<'influxdb' | 'api', string> = {
  influxdb: 'resultant-influx-endpoint',
  api: 'resultant-api-endpoint',
};

/**
 * A data link on a table of endpoint and region rows: the row's endpoint and region become the endpoint dashboard's
 * variables, and the time range goes along (${__url_time_range} is "from=...&to=..."). `carry` names variables both
 * dashboards have, passed on as they are.
 */
function endpointRowLink(variant: 'influxdb' | 'api', carry: string[] = []): Link {
  const params = [
    'var-endpoint=${__data.fields.endpoint}',
    'var-region=${__data.fields.region}',
    ...carry.map((v) => `var-${v}=\${${v}}`),
    '${__url_time_range}',
  ];
  return {
    title: 'Endpoint ${__data.fields.endpoint} in ${__data.fields.region}',
    url: `/d/${ENDPOINT_UID[variant]}?${params.join('&')}`,
  };
}

/** A panel link to the endpoint dashboard with the same time range (keepTime; its endpoint chosen there). */
const endpointPanelLink = (variant: 'influxdb' | 'api'): DashboardLink =>
  panelLink('Endpoint drill-down', `/d/${ENDPOINT_UID[variant]}`, 'One endpoint in depth, for the same time range');

const resolutionVar = customVariable(
  'resolution',
  'Rollup',
  ['hourly', 'daily'],
  'hourly',
  'Which rollup bucket to read',
);
const periodVar = customVariable(
  'period',
  'Period',
  ['hour', 'day', 'week', 'month'],
  'hour',
  'Bucket size of /api/v1/aggregates',
);

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

/** The headline availability figure, alike on every overview and endpoint dashboard whatever the datasource. */
function availabilityStat(datasource: DataSourceRef, target: Target, description?: string): PanelSpec {
  return {
    type: 'stat',
    title: 'Availability',
    description,
    datasource,
    targets: [target],
    w: 6,
    h: 7,
    unit: 'percent',
    decimals: 3,
    thresholds: PCT_THRESHOLDS,
  };
}

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
      description:
        'Tag values whose failure rate is significantly above the overall rate (the correlations of the failure-patterns analysis).',
      datasource: API_DATASOURCE,
      targets: [apiTarget('A', '/api/v1/analysis/failure-patterns', params, 'correlations', CORRELATION_COLUMNS)],
      w: 10,
      h: 9,
    });
}

function forecastPanel(
  layout: Layout,
  metric: string,
  statistic: string,
  period: string,
  tagParams: [string, string][],
): void {
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

type PanelOpts = Partial<Omit<PanelSpec, 'type' | 'title' | 'datasource' | 'targets'>>;
const EXACT_MEAN_NOTE = `Exact mean (Σsum / Σn of the rollups). ${WINDOW_NOTE}`;
/** Multi-select tag variables offer "All" as a regex that matches every value. */
const MULTI_ALL = { multi: true, includeAll: true, allValue: ALL };

/** Most InfluxDB panels are one Flux query per target at 12x8; `by` labels each line with that tag's value. */
function fluxPanel(
  type: 'timeseries' | 'table',
  title: string,
  queries: string[],
  opts: PanelOpts & { by?: string } = {},
): PanelSpec {
  const { by, ...rest } = opts;
  return {
    type,
    title,
    datasource: INFLUX_DATASOURCE,
    targets: queries.map((q, i) => fluxTarget(String.fromCharCode(65 + i), q)),
    w: 12,
    h: 8,
    ...(by !== undefined ? { displayName: `\${__field.labels.${by}}` } : {}),
    ...rest,
  };
}

/** Availability per tag value over time: the same line on every InfluxDB dashboard. */
const fluxAvailabilityOverTime = (by: string, vars: string[], opts: PanelOpts = {}): PanelSpec =>
  fluxPanel('timeseries', `Availability per ${by}`, [flux.availabilityOverTime([by], vars)], {
    unit: 'percent',
    max: 100,
    by,
    ...opts,
  });

/** Exact mean of a metric per tag value over time; `label` is how the title names the metric. */
const fluxMeanOverTime = (label: string, metric: string, by: string, vars: string[], opts: PanelOpts = {}): PanelSpec =>
  fluxPanel('timeseries', `Mean ${label} per ${by}`, [flux.meanOverTime(metric, [by], vars)], {
    description: EXACT_MEAN_NOTE,
    by,
    ...opts,
  });

/** Worst-series p95 per tag value over time (percentiles do not merge across series). */
const fluxWorstP95OverTime = (
  label: string,
  metric: string,
  by: string,
  vars: string[],
  opts: PanelOpts = {},
): PanelSpec =>
  fluxPanel(
    'timeseries',
    `p95 ${label} per ${by} (worst series)`,
    [flux.worstPercentileOverTime(metric, 'p95', [by], vars)],
    {
      description: `${P95_NOTE} ${WINDOW_NOTE}`,
      by,
      ...opts,
    },
  );

/** A variable listing a tag's values from the rollup counts, narrowed by the variables before it. */
const fluxTagVariable = (name: string, label: string, filterBy: string[], multi: boolean): Variable =>
  queryVariable(
    name,
    label,
    INFLUX_DATASOURCE,
    flux.tagValues(name, 'test_result_counts', filterBy),
    multi ? MULTI_ALL : {},
  );

function influxOverview(): DashboardFile {
  const vars = ['endpoint', 'region'];
  const layout = new Layout()
    .add(
      availabilityStat(
        INFLUX_DATASOURCE,
        fluxTarget('A', flux.availabilityTotal(vars)),
        'Successful / all tests over the range, from the rollup counts.',
      ),
    )
    .add(
      fluxPanel(
        'table',
        'Availability per endpoint and region',
        [flux.availabilityTable(['endpoint', 'region'], vars)],
        {
          description: 'Choose a row for that endpoint and region on the endpoint dashboard, with the same time range.',
          w: 18,
          h: 7,
          dataLinks: [endpointRowLink('influxdb', ['resolution'])],
          links: [endpointPanelLink('influxdb')],
        },
      ),
    )
    .add(fluxAvailabilityOverTime('endpoint', vars, { description: WINDOW_NOTE }))
    .add(
      fluxPanel('timeseries', 'Failed tests per endpoint', [flux.failuresOverTime(['endpoint'], vars)], {
        description: WINDOW_NOTE,
        bars: true,
        by: 'endpoint',
      }),
    )
    .add(fluxMeanOverTime('latency', 'latency_ms', 'endpoint', vars, { unit: 'ms' }))
    .add(fluxWorstP95OverTime('latency', 'latency_ms', 'endpoint', vars, { unit: 'ms' }))
    .add(
      fluxPanel('table', 'Failures by error type', [flux.failuresByErrorType(['endpoint'], vars)], {
        description: 'From the raw bucket: results that carry an error_type.',
        w: 10,
        h: 9,
      }),
    )
    .add(fluxPanel('timeseries', 'Circuit breakers opened', [flux.breakerOpens([])], { w: 14, h: 9, bars: true }));
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
        fluxTagVariable('endpoint', 'Endpoint', [], true),
        fluxTagVariable('region', 'Region', [], true),
      ],
      layout,
    }),
  };
}

function influxEndpoint(): DashboardFile {
  const vars = ['endpoint', 'region', 'worker'];
  const layout = new Layout()
    .add(availabilityStat(INFLUX_DATASOURCE, fluxTarget('A', flux.availabilityTotal(vars))))
    .add(
      fluxPanel('table', 'Availability per region and worker', [flux.availabilityTable(['region', 'worker'], vars)], {
        w: 18,
        h: 7,
      }),
    )
    .add(fluxAvailabilityOverTime('region', vars, { description: WINDOW_NOTE }))
    .add(
      fluxPanel('timeseries', 'Tests and failures', [flux.testsOverTime([], vars), flux.failuresOverTime([], vars)], {
        bars: true,
      }),
    )
    .add(fluxMeanOverTime('${metric}', '${metric}', 'region', vars))
    .add(fluxWorstP95OverTime('${metric}', '${metric}', 'worker', vars))
    .add(fluxPanel('table', '${metric} per test', [flux.statsTable('${metric}', ['test'], vars)]))
    .add(
      fluxPanel('table', 'Recent errors', [flux.recentErrors(vars)], {
        description: 'The newest 200 results with an error, from the raw bucket.',
      }),
    );
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
        fluxTagVariable('endpoint', 'Endpoint', [], false),
        fluxTagVariable('region', 'Region', ['endpoint'], true),
        fluxTagVariable('worker', 'Worker', ['endpoint', 'region'], true),
        queryVariable(
          'metric',
          'Metric',
          INFLUX_DATASOURCE,
          flux.tagValues('metric', 'test_result_stats', ['endpoint']),
        ),
      ],
      layout,
    }),
  };
}

function influxBenchmarks(): DashboardFile {
  const vars = ['hardware', 'model'];
  const layout = new Layout()
    .add(
      fluxPanel(
        'table',
        '${metric} by hardware and model',
        [flux.statsTable('${metric}', ['hardware', 'model'], vars)],
        {
          description: 'Count, exact mean, min, max and worst series p95 over the range.',
          w: 24,
          h: 9,
        },
      ),
    )
    .add(fluxMeanOverTime('${metric}', '${metric}', 'model', vars, { description: WINDOW_NOTE, h: 9 }))
    .add(fluxMeanOverTime('${metric}', '${metric}', 'hardware', vars, { description: WINDOW_NOTE, h: 9 }))
    .add(
      fluxPanel('timeseries', 'Benchmark runs per hardware', [flux.testsOverTime(['hardware'], vars)], {
        bars: true,
        by: 'hardware',
      }),
    )
    .add(fluxAvailabilityOverTime('model', vars));
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
        {
          ...resolutionVar,
          current: { text: 'daily', value: 'daily', selected: true },
          options: resolutionVar.options!.map((o) => ({ ...o, selected: o.value === 'daily' })),
        },
        queryVariable('metric', 'Metric', INFLUX_DATASOURCE, flux.tagValues('metric', 'test_result_stats')),
        fluxTagVariable('hardware', 'Hardware', [], true),
        fluxTagVariable('model', 'Model', ['hardware'], true),
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
/** API tables show the response's field names as their headers. */
const fieldCol = (selector: string, type: Column['type']): Column => ({ selector, text: selector, type });
/** Grafana has no metric list for the API variant; a textbox with the usual metric stands in. */
const METRIC_TEXTBOX: Variable = {
  type: 'textbox',
  name: 'metric',
  label: 'Metric',
  query: 'latency_ms',
  current: { text: 'latency_ms', value: 'latency_ms' },
};

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
  opts: {
    description?: string;
    unit?: string;
    max?: number;
    bars?: boolean;
    extra?: [string, string][];
    filter?: string;
    w?: number;
  },
) {
  return {
    type: 'timeseries' as const,
    title,
    ...(opts.description ? { description: opts.description } : {}),
    datasource: API_DATASOURCE,
    targets: [
      apiTarget('A', AGG, aggParams(group, opts.extra), bucketRows(group, value, opts.filter), [
        TIME_COL,
        SERIES_COL,
        VALUE_COL(title),
      ]),
    ],
    transformations: BY_SERIES,
    w: opts.w ?? 12,
    h: 8,
    ...(opts.unit ? { unit: opts.unit } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
    ...(opts.bars ? { bars: true } : {}),
  };
}

/** Tests, failures and availability per group over the range, as the overview and endpoint dashboards show them. */
function apiAvailabilityTable(group: string[], w: number, extra?: [string, string][], filter?: string): PanelSpec {
  return {
    type: 'table',
    title: `Availability per ${group.join(' and ')}`,
    datasource: API_DATASOURCE,
    targets: [
      apiTarget('A', AGG, aggParams(group, extra), groupTotals(group, filter), [
        ...group.map((k) => fieldCol(k, 'string')),
        fieldCol('tests', 'number'),
        fieldCol('failures', 'number'),
        fieldCol('availability_pct', 'number'),
      ]),
    ],
    w,
    h: 7,
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
      infinityQuery: apiTarget(
        'A',
        '/api/v1/series',
        [['measurement', 'test_result'], ...RANGE_PARAMS, ...filter],
        `[series.tags[${name} != null]]`,
        [{ selector: name, text: name, type: 'string' }],
      ),
    },
    multi ? { multi: true, includeAll: true } : {},
  );
}

function apiOverview(): DashboardFile {
  const layout = new Layout()
    .add(
      availabilityStat(
        API_DATASOURCE,
        apiTarget('A', AGG, aggParams([]), groupTotals([]), [
          { selector: 'availability_pct', text: 'Availability', type: 'number' },
        ]),
      ),
    )
    .add({
      ...apiAvailabilityTable(['endpoint', 'region'], 18),
      description: 'Choose a row for that endpoint and region on the endpoint dashboard, with the same time range.',
      dataLinks: [endpointRowLink('api')],
      links: [endpointPanelLink('api')],
    })
    .add(
      apiTimeseries('Availability per endpoint', ['endpoint'], 'availability_pct', {
        unit: 'percent',
        max: 100,
        description: API_WINDOW_NOTE,
      }),
    )
    .add(
      apiTimeseries('Failed tests per endpoint', ['endpoint'], 'failure_count', {
        bars: true,
        description: API_WINDOW_NOTE,
      }),
    )
    .add(
      apiTimeseries('Mean latency per endpoint', ['endpoint'], 'stats.mean', {
        unit: 'ms',
        description: API_WINDOW_NOTE,
      }),
    )
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
  const tagAndMetric: [string, string][] = [...tag, ['metric', '${metric}']];
  // Grafana's :json format gives the selected values (all of them for "All") as a JSON array.
  const filter = 'group.region in ${region:json} and group.worker in ${worker:json}';
  const layout = new Layout()
    .add(apiAvailabilityTable(['region', 'worker'], 24, tag, filter))
    .add(
      apiTimeseries('Availability per region / worker', ['region', 'worker'], 'availability_pct', {
        unit: 'percent',
        max: 100,
        extra: tag,
        filter,
      }),
    )
    .add(
      apiTimeseries('Failed tests per region / worker', ['region', 'worker'], 'failure_count', {
        bars: true,
        extra: tag,
        filter,
      }),
    )
    .add(
      apiTimeseries('Mean ${metric} per region / worker', ['region', 'worker'], 'stats.mean', {
        extra: tagAndMetric,
        filter,
      }),
    )
    .add(
      apiTimeseries('p95 ${metric} per region / worker', ['region', 'worker'], 'stats.p95', {
        extra: tagAndMetric,
        filter,
      }),
    );
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
        customVariable(
          'period',
          'Period',
          ['hour', 'day'],
          'hour',
          'Bucket size of /api/v1/aggregates and the forecast',
        ),
        seriesVariable('endpoint', 'Endpoint', false),
        seriesVariable('region', 'Region', true, tag),
        seriesVariable('worker', 'Worker', true, tag),
        METRIC_TEXTBOX,
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
          fieldCol('hardware', 'string'),
          fieldCol('model', 'string'),
          ...['count', 'mean', 'min', 'max'].map((k) => fieldCol(k, 'number')),
        ]),
      ],
      w: 24,
      h: 9,
    })
    .add(
      apiTimeseries('Mean ${metric} per model', ['model'], 'stats.mean', {
        extra: metric,
        filter: 'group.model in ${model:json}',
      }),
    )
    .add(
      apiTimeseries('Mean ${metric} per hardware', ['hardware'], 'stats.mean', {
        extra: metric,
        filter: 'group.hardware in ${hardware:json}',
      }),
    )
    .add(
      apiTimeseries('p95 ${metric} per hardware and model', ['hardware', 'model'], 'stats.p95', {
        extra: metric,
        filter,
        w: 24,
      }),
    );
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
        METRIC_TEXTBOX,
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
