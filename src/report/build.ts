// Builds a report from the sources: each section asks for its data, turns it into key figures, tables and charts,
// and says plainly when it could not be built. The analyses' sections read the typed answers (src/analysis/types.ts)
// and declare each table's columns once, so a field renamed in an analysis is a type error here.

import type { AggregatesJson, BucketJson } from '../aggregates/index.js';
import type { AnomalyItem } from '../analysis/anomalies.js';
import type { BreakerItem } from '../analysis/circuit-breakers.js';
import type { Correlation, FailurePattern } from '../analysis/failure-patterns.js';
import type { FlakyTest } from '../analysis/flaky-tests.js';
import type { RegressionItem } from '../analysis/regressions.js';
import type { TrendItem } from '../analysis/trends.js';
import type { AnalysisKind, AnalysisRequest, AnalysisResponse } from '../analysis/types.js';
import type { WorkerLoad } from '../analysis/workload.js';
import { isCancelled } from '../cancellation.js';
import { circuitBreakersChart, failurePatternsChart, trendsChart, workloadChart } from '../charts/findings.js';
import { renderSvg } from '../charts/render.js';
import { anomaliesChart, availabilityChart, forecastChart, forecastContext, latencyChart } from '../charts/series.js';
import { rangeLabel, seriesName } from '../charts/theme.js';
import type { Chart, ChartContext } from '../charts/types.js';
import { isAppError } from '../errors.js';
import type { StatsLevel, TagFilters } from '../store/types.js';
import { bucketBoundaries, HOUR_MS, type Period } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import type { ReportSources } from './sources.js';
import type { Cell, Report, ReportChart, ReportRequest, ReportType, Section, Table } from './types.js';

export type SectionId =
  | 'overview'
  | 'daily'
  | 'latency'
  | 'sla'
  | 'trends'
  | 'regressions'
  | 'anomalies'
  | 'failure-patterns'
  | 'flaky-tests'
  | 'circuit-breakers'
  | 'workload'
  | 'forecast';

export const SECTIONS_OF: Record<ReportType, SectionId[]> = {
  summary: ['overview', 'daily'],
  performance: ['overview', 'latency', 'trends', 'regressions'],
  availability: ['overview', 'sla'],
  anomaly: ['overview', 'anomalies', 'failure-patterns', 'flaky-tests', 'circuit-breakers'],
  comprehensive: [
    'overview',
    'daily',
    'latency',
    'sla',
    'trends',
    'regressions',
    'anomalies',
    'failure-patterns',
    'flaky-tests',
    'circuit-breakers',
    'workload',
    'forecast',
  ],
};

export const SECTION_TITLES: Record<SectionId, string> = {
  overview: 'Overview',
  daily: 'Day by day',
  latency: 'Latency per endpoint and region',
  sla: 'Availability against the SLA target',
  trends: 'Trends',
  regressions: 'Regressions',
  anomalies: 'Anomalies',
  'failure-patterns': 'Failure patterns',
  'flaky-tests': 'Flaky tests',
  'circuit-breakers': 'Circuit breakers',
  workload: 'Workload balance',
  forecast: 'Forecast',
};

const TYPE_TITLES: Record<ReportType, string> = {
  comprehensive: 'Test results report',
  summary: 'Test results summary',
  performance: 'Performance report',
  anomaly: 'Anomaly report',
  availability: 'Availability (SLA) report',
};

/** Rows kept per table; the rest are counted in `omitted`. */
const MAX_ROWS = 50;

export interface BuildOptions {
  /** Draw charts as SVG (Markdown and HTML); JSON and CSV leave them out. */
  charts: boolean;
  onProgress?: (done: number, total: number, section: string) => void;
  /** A section after the first failed (it is reported inside the document); for the service log. */
  onError?: (e: unknown, section: SectionId) => void;
}

const round = (x: number | null | undefined, digits = 3): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/** What a report says before its sections: known at once, so a streamed document can start. */
export type ReportHead = Omit<Report, 'sections'> & { contents: { id: SectionId; title: string }[] };

export interface ReportPlan {
  head: ReportHead;
  /**
   * The sections, each built when asked for. A section that fails after the first is reported inside the
   * document (its note says why), since a streamed answer has already begun; the first one's error is thrown.
   */
  sections(): AsyncGenerator<Section>;
}

export function planReport(base: ReportSources, req: ReportRequest, o: BuildOptions): ReportPlan {
  // One picture of one moment: every distinct read of the store runs once per report.
  const sources = base.memoized?.() ?? base;
  const now = sources.now();
  const tz = req.tz ?? 'UTC';
  // Whole hours, so the rollups serve the range.
  const stop = Math.ceil(now / HOUR_MS) * HOUR_MS;
  const start = stop - Math.round(req.days * 24) * HOUR_MS;
  const filters: TagFilters = Object.fromEntries(
    Object.entries(req.filter).map(([k, v]) => [k, [...new Set(Array.isArray(v) ? v : [v])]]),
  );
  const ctx: ChartContext = { tz, start, stop, filters };
  const period: Period = req.days <= 7 ? 'hour' : 'day';
  const ids = SECTIONS_OF[req.type];
  const head: ReportHead = {
    type: req.type,
    title: `${TYPE_TITLES[req.type]}, ${rangeLabel(ctx)}`,
    generated_at: formatMillis(now),
    tz,
    start: formatMillis(start),
    stop: formatMillis(stop),
    days: req.days,
    filter: filters,
    sla_target_pct: req.sla_target_pct,
    contents: ids.map((id) => ({ id, title: SECTION_TITLES[id] })),
  };
  return {
    head,
    async *sections() {
      const b = new SectionBuilder(sources, ctx, period, req.sla_target_pct, o.charts);
      // The forecast is built first and kept for its place: its worker threads (their heaps and the models'
      // WebAssembly memory, 16 MB or more each) end once idle (ForecastPool's idleMs) while the other sections are
      // built, instead of adding to the report's memo at its fullest. Measured on a week of the demo fleet
      // (2026-12-07, the comprehensive HTML report twice from a fresh start, two runs each): peak RSS 478 and
      // 491 MB with the forecast built last; built first, 476 and 477 MB (workers ending after 1 s idle), 444 and
      // 454 MB (after 0.2 s). A small gain within a report; after it, the workers' memory is returned.
      const early =
        ids.length > 1 && ids.includes('forecast')
          ? await b.section('forecast').then(
              (section) => ({ section }),
              (error: unknown) => ({ error }),
            )
          : null;
      // A client that left while the forecast was built: nothing more to build.
      if (early && 'error' in early && isCancelled(early.error)) throw early.error;
      for (let i = 0; i < ids.length; i++) {
        o.onProgress?.(i, ids.length, SECTION_TITLES[ids[i]!]);
        try {
          if (early && ids[i] === 'forecast') {
            if ('error' in early) throw early.error;
            yield early.section;
          } else yield await b.section(ids[i]!);
        } catch (e) {
          if (i === 0 || isCancelled(e)) throw e;
          o.onError?.(e, ids[i]!);
          yield failedSection(ids[i]!, e);
        }
      }
      o.onProgress?.(ids.length, ids.length, 'done');
    },
  };
}

/** The whole report as one object (JSON, CSV and tests; the API streams the sections instead). */
export async function buildReport(sources: ReportSources, req: ReportRequest, o: BuildOptions): Promise<Report> {
  const plan = planReport(sources, req, o);
  const sections: Section[] = [];
  for await (const s of plan.sections()) sections.push(s);
  const { contents: _contents, ...head } = plan.head;
  return { ...head, sections };
}

/** A section whose data could not be had: what the reader sees instead of it. */
function failedSection(id: SectionId, e: unknown): Section {
  const why =
    isAppError(e) && e.code !== 'internal error' ? e.message : 'an internal error (the service log has the details)';
  return {
    id,
    title: SECTION_TITLES[id],
    available: false,
    note: `This section could not be built: ${why}.`,
    figures: [],
    tables: [],
    charts: [],
  };
}

/** Order of what a query gives: an answer with more serves a caller that needs less. */
const LEVEL_RANK: Record<StatsLevel, number> = { counts: 0, moments: 1, percentiles: 2 };

class SectionBuilder {
  private readonly queries = new Map<string, { level: StatsLevel; answer: Promise<AggregatesJson> }>();

  constructor(
    private readonly sources: ReportSources,
    private readonly ctx: ChartContext,
    private readonly period: Period,
    private readonly target: number,
    private readonly drawCharts: boolean,
  ) {}

  async section(id: SectionId): Promise<Section> {
    const s: Section = { id, title: SECTION_TITLES[id], available: true, figures: [], tables: [], charts: [] };
    // The sections with their own method; the rest are analyses.
    if (id === 'overview' || id === 'daily' || id === 'latency' || id === 'sla' || id === 'forecast') await this[id](s);
    else await this.analysisSection(s, id);
    return s;
  }

  /**
   * Sections ask for the same groups (the overview's and the SLA's totals, the latency and anomaly charts'
   * buckets): each query runs once, at the most any section needs of it, so a figure shown in two sections is one
   * value. Only what a section shows is asked for: percentiles of merged groups are the costly part.
   */
  private once(
    key: string,
    level: StatsLevel,
    query: (level: StatsLevel) => Promise<AggregatesJson>,
  ): Promise<AggregatesJson> {
    const held = this.queries.get(key);
    if (held && LEVEL_RANK[held.level] >= LEVEL_RANK[level]) return held.answer;
    // One query at a time: on two cores, parallel queries finish no sooner, and each holds its working memory.
    const answer = this.last.then(() => query(level));
    this.last = answer.catch(() => undefined);
    this.queries.set(key, { level, answer });
    return answer;
  }

  private last: Promise<unknown> = Promise.resolve();

  /** One bucket per group over the whole range; groups lacking a group_by tag are left out (no table shows them). */
  private totals(groupBy: string[], level: StatsLevel): Promise<AggregatesJson> {
    return this.once(`totals ${groupBy.join(',')}`, level, (stats) =>
      this.sources.totals({
        start: this.ctx.start,
        stop: this.ctx.stop,
        tz: this.ctx.tz,
        groupBy,
        filters: this.ctx.filters ?? {},
        metric: 'latency_ms',
        stats,
        skipUntagged: groupBy.length > 0,
      }),
    );
  }

  private aggregates(groupBy: string[], level: StatsLevel, period: Period = this.period): Promise<AggregatesJson> {
    return this.once(`aggregates ${period} ${groupBy.join(',')}`, level, (stats) =>
      this.sources.aggregates({
        period,
        tz: this.ctx.tz,
        start: this.ctx.start,
        stop: this.ctx.stop,
        groupBy,
        filters: this.ctx.filters ?? {},
        metric: 'latency_ms',
        fill: false,
        stats,
      }),
    );
  }

  private async chart(c: Chart): Promise<ReportChart> {
    return { type: c.type, title: c.title, empty: c.empty, ...(this.drawCharts ? { svg: await renderSvg(c) } : {}) };
  }

  private async overview(s: Section): Promise<void> {
    const [all, byEndpoint, byRegion, byWorker] = await Promise.all([
      this.totals([], 'percentiles'),
      this.totals(['endpoint'], 'percentiles'),
      this.totals(['region'], 'counts'),
      this.totals(['worker'], 'counts'),
    ]);
    const b = all.series[0]?.buckets[0];
    if (!b) s.note = `No results for ${rangeLabel(this.ctx)}.`;
    const named = (a: AggregatesJson) => a.series.filter((x) => Object.values(x.group).some((v) => v !== null)).length;
    s.figures.push(
      { label: 'Tests run', value: b?.test_count ?? 0 },
      { label: 'Failures', value: b?.failure_count ?? 0 },
      { label: 'Availability', value: round(b?.availability_pct), unit: '%' },
      { label: 'Mean latency', value: round(b?.stats?.mean, 2), unit: 'ms' },
      { label: 'p95 latency', value: round(b?.stats?.p95, 2), unit: 'ms' },
      { label: 'p99 latency', value: round(b?.stats?.p99, 2), unit: 'ms' },
      { label: 'Endpoints', value: named(byEndpoint) },
      { label: 'Regions', value: named(byRegion) },
      { label: 'Workers', value: named(byWorker) },
    );
    // Results without an endpoint tag (functional tests, benchmarks) count above but are not an endpoint.
    const rows = byEndpoint.series
      .filter((x) => x.group.endpoint != null)
      .map((x) => ({ name: seriesName(x.group), b: x.buckets[0]! }));
    s.tables.push(
      table(
        'least-available-endpoints',
        'Least available endpoints',
        ['endpoint', 'tests', 'failures', 'availability_pct'],
        [...rows]
          .sort((a, c) => (a.b.availability_pct ?? 100) - (c.b.availability_pct ?? 100) || a.name.localeCompare(c.name))
          .map((r) => [r.name, r.b.test_count, r.b.failure_count, round(r.b.availability_pct)]),
        5,
      ),
      table(
        'slowest-endpoints',
        'Slowest endpoints by p95 latency',
        ['endpoint', 'tests', 'mean_ms', 'p95_ms'],
        rows
          .filter((r) => r.b.stats?.p95 != null)
          .sort((a, c) => c.b.stats!.p95! - a.b.stats!.p95! || a.name.localeCompare(c.name))
          .map((r) => [r.name, r.b.test_count, round(r.b.stats!.mean, 2), round(r.b.stats!.p95, 2)]),
        5,
      ),
    );
  }

  private async daily(s: Section): Promise<void> {
    // Days in the zone, cut at the range's ends: the first and last rows may be part days, never data outside.
    const cuts = bucketBoundaries('day', this.ctx.tz, this.ctx.start, this.ctx.stop).filter(
      (c) => c > this.ctx.start && c < this.ctx.stop,
    );
    const agg = await this.sources.totals({
      start: this.ctx.start,
      stop: this.ctx.stop,
      tz: this.ctx.tz,
      groupBy: [],
      filters: this.ctx.filters ?? {},
      metric: 'latency_ms',
      cuts,
      stats: 'percentiles',
    });
    const got = new Map((agg.series[0]?.buckets ?? []).map((b) => [Date.parse(b.start), b]));
    // Days without results are listed too: a day with no tests is worth seeing.
    const rows = [this.ctx.start, ...cuts].map((from): Cell[] => {
      const b = got.get(from);
      return [
        formatMillis(from),
        b?.test_count ?? 0,
        b?.failure_count ?? 0,
        round(b?.availability_pct),
        round(b?.stats?.mean, 2),
        round(b?.stats?.p95, 2),
      ];
    });
    s.tables.push(
      table(
        'daily',
        `Each day (${this.ctx.tz})`,
        ['from', 'tests', 'failures', 'availability_pct', 'mean_ms', 'p95_ms'],
        rows,
        MAX_ROWS,
      ),
    );
    const hourly = await this.aggregates([], 'counts');
    s.charts.push(await this.chart(availabilityChart(hourly, this.ctx)));
  }

  private async latency(s: Section): Promise<void> {
    const [byEndpoint, byRegion] = await Promise.all([
      this.totals(['endpoint'], 'percentiles'),
      this.totals(['region'], 'percentiles'),
    ]);
    const latencyTable = (id: string, title: string, key: string, a: AggregatesJson): Table =>
      table(
        id,
        title,
        [key, 'tests', 'mean_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'max_ms', 'stddev_ms'],
        a.series
          .filter((x) => x.group[key] != null && x.buckets[0]?.stats?.p95 != null)
          .sort((x, y) => y.buckets[0]!.stats!.p95! - x.buckets[0]!.stats!.p95!)
          .map((x) => {
            const st = x.buckets[0]!.stats!;
            return [
              seriesName(x.group),
              st.count,
              round(st.mean, 2),
              round(st.p50, 2),
              round(st.p95, 2),
              round(st.p99, 2),
              round(st.max, 2),
              round(st.stddev, 2),
            ];
          }),
        MAX_ROWS,
      );
    s.tables.push(
      latencyTable('latency-by-endpoint', 'Latency per endpoint, slowest p95 first', 'endpoint', byEndpoint),
      latencyTable('latency-by-region', 'Latency per region, slowest p95 first', 'region', byRegion),
    );
    s.charts.push(await this.chart(latencyChart(await this.aggregates(['endpoint'], 'percentiles'), this.ctx)));
  }

  private async sla(s: Section): Promise<void> {
    const [all, groups] = await Promise.all([this.totals([], 'counts'), this.totals(['endpoint', 'region'], 'counts')]);
    const target = this.target;
    const budget = (b: BucketJson | undefined) => {
      if (!b || b.test_count === 0) return { allowed: null, left: null };
      // Error budget: the failures the target allows over the period; "left" is the share not yet spent.
      const allowed = b.test_count * (1 - target / 100);
      return { allowed, left: allowed > 0 ? 100 * (1 - b.failure_count / allowed) : null };
    };
    const rows = groups.series
      .filter((x) => x.group.endpoint != null)
      .map((x) => {
        const b = x.buckets[0]!;
        const { allowed, left } = budget(b);
        return {
          endpoint: x.group.endpoint ?? '(none)',
          region: x.group.region ?? '(none)',
          b,
          met: (b.availability_pct ?? 100) >= target,
          allowed,
          left,
        };
      });
    rows.sort(
      (a, b) =>
        (a.left ?? Infinity) - (b.left ?? Infinity) ||
        a.endpoint.localeCompare(b.endpoint) ||
        a.region.localeCompare(b.region),
    );
    const overall = all.series[0]?.buckets[0];
    const met = rows.filter((r) => r.met).length;
    s.note =
      `Target ${target} % availability per endpoint and region over the period. Error budget: the failures the ` +
      `target allows (tests × ${round(1 - target / 100, 6)}); "budget left" is the share not yet spent, negative when overspent. ` +
      'Results without an endpoint tag are in the overall figures only.';
    s.figures.push(
      { label: 'SLA target', value: target, unit: '%' },
      { label: 'Endpoint-region pairs meeting the target', value: `${met} of ${rows.length}` },
      { label: 'Overall availability', value: round(overall?.availability_pct), unit: '%' },
      { label: 'Overall error budget left', value: round(budget(overall).left, 1), unit: '%' },
    );
    s.tables.push(
      table(
        'sla',
        'Availability per endpoint and region, least budget left first',
        [
          'endpoint',
          'region',
          'tests',
          'failures',
          'availability_pct',
          'target_pct',
          'met',
          'allowed_failures',
          'budget_left_pct',
        ],
        rows.map((r) => [
          r.endpoint,
          r.region,
          r.b.test_count,
          r.b.failure_count,
          round(r.b.availability_pct),
          target,
          r.met,
          round(r.allowed, 1),
          round(r.left, 1),
        ]),
        MAX_ROWS,
      ),
    );
    s.charts.push(
      await this.chart(availabilityChart(await this.aggregates(['endpoint', 'region'], 'counts'), this.ctx)),
    );
  }

  private async forecast(s: Section): Promise<void> {
    const period = this.period === 'hour' ? 'hour' : 'day';
    try {
      const fc = await this.sources.forecast({
        metric: 'latency_ms',
        statistic: 'mean',
        period,
        horizon: period === 'hour' ? 24 : 7,
        level: 80,
        model: 'auto',
        filters: this.ctx.filters ?? {},
        tz: this.ctx.tz,
      });
      const bt = fc.backtest;
      s.figures.push(
        { label: 'Model', value: fc.model.name },
        { label: 'Backtest MASE', value: round(bt.mase) },
        { label: `${bt.baseline} MASE`, value: round(bt.baseline_mase) },
        { label: 'Backtest sMAPE', value: round(bt.smape, 2), unit: '%' },
        { label: `Coverage of the ${fc.level} % interval`, value: round(bt.coverage) },
      );
      s.tables.push(
        table(
          'forecast',
          `Mean latency forecast per ${fc.period}`,
          ['time', 'value_ms', 'lower_ms', 'upper_ms'],
          fc.forecast.map((f) => [f.time, round(f.value, 2), round(f.lower, 2), round(f.upper, 2)]),
          MAX_ROWS,
        ),
      );
      s.charts.push(await this.chart(forecastChart(fc, forecastContext(fc, this.ctx))));
    } catch (e) {
      // Too little history, or the forecaster is busy: the rest of the report is still worth having.
      if (!isAppError(e) || (e.code !== 'invalid' && e.code !== 'unavailable')) throw e;
      s.note = `No forecast: ${e.message}`;
    }
  }

  private async analysisSection(s: Section, kind: AnalysisKind & SectionId): Promise<void> {
    const req: AnalysisRequest = {
      start: this.ctx.start,
      stop: this.ctx.stop,
      filters: this.ctx.filters ?? {},
      groupBy: [],
      metric: 'latency_ms',
      tz: this.ctx.tz,
      options: {},
    };
    const res = await this.sources.analysis(kind, req);
    if (kind === 'circuit-breakers') {
      // The timeline is drawn from the transitions themselves, which the analysis summarises per breaker.
      const events = await this.sources.breakerEvents({
        start: this.ctx.start,
        stop: this.ctx.stop,
        filters: this.ctx.filters ?? {},
      });
      s.figures.push({ label: 'State transitions', value: events.length });
      s.charts.push(await this.chart(circuitBreakersChart(events, this.ctx)));
    }
    await this.fillAnalysis(s, res);
  }

  private async fillAnalysis(s: Section, res: AnalysisResponse): Promise<void> {
    const byAbs =
      <R>(value: (r: R) => unknown) =>
      (a: R, b: R) =>
        Math.abs(num(value(b))) - Math.abs(num(value(a)));
    switch (res.kind) {
      case 'trends': {
        const t = [...res.trends].sort(byAbs((x) => x.change_pct));
        s.figures.push(
          { label: 'Series with a trend', value: t.filter((x) => x.direction !== 'stable').length },
          { label: 'Series analysed', value: t.length },
        );
        s.tables.push(tableOf('trends', 'Trends, largest change first', TREND_COLUMNS, t));
        s.charts.push(await this.chart(trendsChart(res, this.ctx)));
        break;
      }
      case 'regressions': {
        const r = [...res.regressions].sort(byAbs((x) => x.change_pct));
        s.figures.push(
          { label: 'Regressions (worse)', value: r.filter((x) => x.direction === 'worse').length },
          { label: 'Improvements (better)', value: r.filter((x) => x.direction === 'better').length },
        );
        s.tables.push(tableOf('regressions', 'Significant changes, largest first', REGRESSION_COLUMNS, r));
        break;
      }
      case 'anomalies': {
        const a = [...res.anomalies].sort((x, y) => num(y.score) - num(x.score));
        s.figures.push({ label: 'Anomalies', value: a.length });
        s.tables.push(tableOf('anomalies', 'Anomalies, highest score first', ANOMALY_COLUMNS, a));
        s.charts.push(
          await this.chart(anomaliesChart(await this.aggregates(res.group_by, 'percentiles'), res, this.ctx)),
        );
        break;
      }
      case 'failure-patterns': {
        const p = [...res.patterns].sort((x, y) => num(y.count) - num(x.count));
        s.figures.push(
          { label: 'Failure patterns', value: p.length },
          { label: 'Failures in the top pattern', value: p.length ? cell(p[0]!.count) : 0 },
        );
        s.tables.push(
          tableOf('failure-patterns', 'Failure patterns, most frequent first', PATTERN_COLUMNS, p),
          tableOf('failure-correlations', 'Where failures concentrate', CORRELATION_COLUMNS, res.correlations),
        );
        s.charts.push(await this.chart(failurePatternsChart(res, this.ctx)));
        break;
      }
      case 'flaky-tests': {
        const t = [...res.tests].sort((x, y) => num(y.flip_rate) - num(x.flip_rate));
        s.figures.push(
          { label: 'Flaky tests', value: t.filter((x) => x.status === 'flaky').length },
          { label: 'Broken tests', value: t.filter((x) => x.status === 'broken').length },
        );
        s.tables.push(tableOf('flaky-tests', 'Unstable tests, highest flip rate first', FLAKY_COLUMNS, t));
        break;
      }
      case 'circuit-breakers': {
        const b = [...res.breakers].sort((x, y) => num(y.open_seconds) - num(x.open_seconds));
        // `flapping` counts a breaker's trips soon after it closed: a breaker flaps when it has any.
        s.figures.push(
          { label: 'Breakers that tripped', value: b.filter((x) => num(x.trips) > 0).length },
          { label: 'Flapping breakers', value: b.filter((x) => num(x.flapping) > 0).length },
        );
        s.tables.push(tableOf('circuit-breakers', 'Breakers, longest open first', BREAKER_COLUMNS, b));
        break;
      }
      case 'workload': {
        const w = [...res.workers].sort((x, y) => num(y.tasks) - num(x.tasks));
        s.figures.push(
          { label: 'Gini coefficient of tasks per worker', value: cell(res.gini) },
          { label: 'Coefficient of variation', value: cell(res.cv) },
          { label: 'Workers', value: w.length },
        );
        s.tables.push(tableOf('workload', 'Tasks per worker, busiest first', WORKLOAD_COLUMNS, w));
        s.charts.push(await this.chart(workloadChart(res, this.ctx)));
        break;
      }
      default:
        break;
    }
  }
}

/** One column of a table: its header, and the cell a row gives. */
export interface Column<R> {
  name: string;
  value: (row: R) => Cell;
}

/** Columns that show a field of the row as it is, each named after its field. */
function fields<R>(...names: (keyof R & string)[]): Column<R>[] {
  return names.map((name) => ({ name, value: (r: R) => cell(r[name]) }));
}

/** The row's series (its tags) as "key=value, ...". */
function seriesColumn<R extends { series: Record<string, string> }>(): Column<R> {
  return { name: 'series', value: (r) => seriesLabel(r.series) };
}

const TREND_COLUMNS: Column<TrendItem>[] = [
  seriesColumn(),
  ...fields<TrendItem>('metric', 'direction', 'change_pct', 'slope_per_day', 'p_value'),
];
const REGRESSION_COLUMNS: Column<RegressionItem>[] = [
  seriesColumn(),
  ...fields<RegressionItem>('metric', 'direction', 'change_pct', 'severity', 'change_time', 'p_value'),
];
const ANOMALY_COLUMNS: Column<AnomalyItem>[] = [
  ...fields<AnomalyItem>('time'),
  seriesColumn(),
  ...fields<AnomalyItem>('metric', 'value', 'expected', 'score', 'method'),
];
const PATTERN_COLUMNS: Column<FailurePattern>[] = fields<FailurePattern>(
  'category',
  'example',
  'count',
  'first_seen',
  'last_seen',
  'fingerprint',
);
const CORRELATION_COLUMNS: Column<Correlation>[] = fields<Correlation>(
  'dimension',
  'value',
  'failure_rate',
  'overall_rate',
  'p_value',
);
const FLAKY_COLUMNS: Column<FlakyTest>[] = [
  seriesColumn(),
  ...fields<FlakyTest>('runs', 'failures', 'flip_rate', 'status'),
];
const BREAKER_COLUMNS: Column<BreakerItem>[] = [
  seriesColumn(),
  ...fields<BreakerItem>('trips', 'open_seconds', 'mean_recovery_seconds', 'half_open_success_rate', 'flapping'),
];
const WORKLOAD_COLUMNS: Column<WorkerLoad>[] = fields<WorkerLoad>(
  'worker',
  'tasks',
  'success_rate',
  'mean_duration_ms',
  'share',
);

/** A table of `rows` (MAX_ROWS at most) whose header and cells both come from `columns`. */
function tableOf<R>(id: string, title: string, columns: readonly Column<R>[], rows: readonly R[]): Table {
  return table(
    id,
    title,
    columns.map((c) => c.name),
    rows.map((r) => columns.map((c) => c.value(r))),
    MAX_ROWS,
  );
}

function table(id: string, title: string, columns: string[], rows: Cell[][], max: number): Table {
  const t: Table = { id, title, columns, rows: rows.slice(0, max) };
  if (rows.length > max) t.omitted = rows.length - max;
  return t;
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);

function cell(x: unknown): Cell {
  if (x === null || x === undefined) return null;
  if (typeof x === 'number') return Number.isFinite(x) ? round(x, 6) : null;
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  return JSON.stringify(x);
}

function seriesLabel(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}
