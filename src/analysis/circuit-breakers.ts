// circuit-breakers (docs/http-api.md; /openapi.json): per breaker series (its tag set) from `circuit_breaker` transitions
// (closed / open / half_open), over the window [start, min(stop, now)) (docs/analysis-results.md):
//   trips: transitions into open from closed (or from no known state); re-opens after a failed half-open probe
//          are counted apart as `reopens`;
//   open_seconds: time in the open state, clipped to the window (the state at the window start comes from the
//          events of the `lookback_hours` before it);
//   mean_recovery_seconds: trip → next closed, over recoveries that closed inside the window;
//   half_open_success_rate: half-open probes followed by closed / those followed by closed or open;
//   flapping: trips within `flap_seconds` (1800) of the previous close;
//   failures prevented (an estimate): test results with the breaker's `endpoint` tag (and its `region` tag when
//          it has one: a regional breaker guards calls from that region) inside its open intervals.
//          They come from callers this breaker did not gate; the failed ones are failures a caller behind the
//          breaker was spared, the passed ones calls it gave up. Read from store aggregates, so exact counts.
// Repeated events of the state the breaker is already in change nothing.
import { tagsIdentity } from '../model/configuration.js';
import type { BreakerEvent, BreakerState } from '../model/result.js';
import type { Store, TagFilters } from '../store/types.js';
import { HOUR_MS } from '../time/buckets.js';
import { formatMicros } from '../time/parse.js';
import { checkRequest, countInIntervals, head, numberOption, unusedGroupBy } from './inputs.js';
import type { AnalysisHead, AnalysisRunner } from './types.js';

export interface BreakerWindow {
  /** µs: [start, end), end ≤ now. */
  start: number;
  end: number;
}

export interface BreakerStats {
  series: Record<string, string>;
  breaker: string | null;
  trips: number;
  /** trips per hour of the window. */
  trips_per_hour: number;
  reopens: number;
  open_seconds: number;
  /** open_seconds / window length. */
  open_share: number;
  half_open_seconds: number;
  mean_recovery_seconds: number | null;
  max_recovery_seconds: number | null;
  recoveries: number;
  half_open_probes: { succeeded: number; failed: number };
  half_open_success_rate: number | null;
  flapping: number;
  state_at_start: BreakerState | null;
  state_at_end: BreakerState | null;
  /** Transitions inside the window. */
  events: number;
  /** Open intervals clipped to the window, µs, oldest first. */
  openIntervals: [number, number][];
}

export interface BreakerOptions {
  flapUs: number;
}

/** Pure: events (any order, may start before the window) in, one entry per breaker series out. */
export function analyseBreakers(events: readonly BreakerEvent[], w: BreakerWindow, o: BreakerOptions): BreakerStats[] {
  const bySeries = new Map<string, BreakerEvent[]>();
  for (const e of events) {
    if (e.time >= w.end) continue;
    const k = tagsIdentity(e.tags);
    let list = bySeries.get(k);
    if (!list) bySeries.set(k, (list = []));
    list.push(e);
  }
  const out: BreakerStats[] = [];
  const clip = (a: number, b: number): [number, number] | null => {
    const s = Math.max(a, w.start);
    const t = Math.min(b, w.end);
    return t > s ? [s, t] : null;
  };
  for (const list of bySeries.values()) {
    list.sort((a, b) => a.time - b.time);
    const tags: Record<string, string> = {};
    for (const k of Object.keys(list[0]!.tags).sort()) tags[k] = list[0]!.tags[k]!;
    let state: BreakerState | null = null;
    let since = 0; // when `state` began
    let tripAt: number | null = null; // start of the current open episode
    let lastClosed: number | null = null;
    let stateAtStart: BreakerState | null = null;
    let startSeen = false;
    const s: BreakerStats = {
      series: tags,
      breaker: tags.breaker ?? null,
      trips: 0,
      trips_per_hour: 0,
      reopens: 0,
      open_seconds: 0,
      open_share: 0,
      half_open_seconds: 0,
      mean_recovery_seconds: null,
      max_recovery_seconds: null,
      recoveries: 0,
      half_open_probes: { succeeded: 0, failed: 0 },
      half_open_success_rate: null,
      flapping: 0,
      state_at_start: null,
      state_at_end: null,
      events: 0,
      openIntervals: [],
    };
    const recoveries: number[] = [];
    const leave = (until: number) => {
      const iv = clip(since, until);
      if (!iv) return;
      if (state === 'open') {
        s.open_seconds += (iv[1] - iv[0]) / 1e6;
        const last = s.openIntervals[s.openIntervals.length - 1];
        if (last && last[1] === iv[0]) last[1] = iv[1];
        else s.openIntervals.push(iv);
      } else if (state === 'half_open') {
        s.half_open_seconds += (iv[1] - iv[0]) / 1e6;
      }
    };
    for (const e of list) {
      if (e.time >= w.start && !startSeen) {
        startSeen = true;
        stateAtStart = state;
      }
      if (e.state === state) continue;
      const inWindow = e.time >= w.start;
      if (inWindow) s.events++;
      leave(e.time);
      if (e.state === 'open') {
        if (state === 'half_open') {
          if (inWindow) {
            s.reopens++;
            s.half_open_probes.failed++;
          }
        } else {
          tripAt = e.time;
          if (inWindow) {
            s.trips++;
            if (lastClosed !== null && e.time - lastClosed <= o.flapUs) s.flapping++;
          }
        }
      } else if (e.state === 'closed') {
        if (state === 'half_open' && inWindow) s.half_open_probes.succeeded++;
        if (tripAt !== null && inWindow) recoveries.push((e.time - tripAt) / 1e6);
        tripAt = null;
        lastClosed = e.time;
      }
      state = e.state;
      since = e.time;
    }
    if (!startSeen) stateAtStart = state; // no event inside the window
    leave(w.end);
    s.state_at_start = stateAtStart;
    s.state_at_end = state;
    s.recoveries = recoveries.length;
    if (recoveries.length) {
      s.mean_recovery_seconds = recoveries.reduce((a, b) => a + b, 0) / recoveries.length;
      s.max_recovery_seconds = Math.max(...recoveries);
    }
    const probes = s.half_open_probes.succeeded + s.half_open_probes.failed;
    s.half_open_success_rate = probes ? s.half_open_probes.succeeded / probes : null;
    s.open_share = w.end > w.start ? s.open_seconds / ((w.end - w.start) / 1e6) : 0;
    s.trips_per_hour = w.end > w.start ? s.trips / ((w.end - w.start) / 3.6e9) : 0;
    out.push(s);
  }
  return out.sort(
    (a, b) =>
      b.trips - a.trips ||
      b.open_seconds - a.open_seconds ||
      (tagsIdentity(a.series) < tagsIdentity(b.series) ? -1 : 1),
  );
}

export interface DuringOpen {
  results: number;
  failed: number;
}

/** Results matching `filters` inside the given disjoint, ascending intervals (µs), counted from store aggregates. */
export async function countDuringOpen(
  store: Store,
  filters: TagFilters,
  intervals: readonly [number, number][],
  tz: string,
): Promise<DuringOpen> {
  // Whole milliseconds for the store; intervals that touch after rounding are merged.
  const ms: [number, number][] = [];
  for (const [a, b] of intervals) {
    const s = Math.floor(a / 1000);
    const t = Math.ceil(b / 1000);
    const last = ms[ms.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], t);
    else ms.push([s, t]);
  }
  let results = 0;
  let failed = 0;
  for (const c of await countInIntervals(store, ms, tz, filters)) {
    results += c.runs;
    failed += c.failures;
  }
  return { results, failed };
}

const OPTIONS = ['flap_seconds', 'lookback_hours'];
/**
 * A re-trip within 30 minutes of closing means the recovery did not hold. Breakers wait 5-60 s before probing
 * (opossum resetTimeout 30 s, resilience4j 60 s, Polly 5 s), so 5 minutes would miss a breaker that recovers and
 * trips again every quarter of an hour, which is what flapping looks like on a dashboard.
 */
export const DEFAULT_FLAP_SECONDS = 1800;
const MAX_INTERVALS_LISTED = 50;

/** Test results during a breaker's open intervals: what it may have spared (an estimate). */
export interface FailuresPrevented {
  estimate: true;
  endpoint: string;
  region?: string;
  results_during_open: number;
  failed_during_open: number;
  passed_during_open: number;
  failures_prevented_estimate: number;
}

/** One breaker in the answer: its statistics, its latest open intervals (RFC 3339) and what it may have prevented. */
export type BreakerItem = Omit<BreakerStats, 'openIntervals'> & {
  open_intervals: { start: string; end: string }[];
  open_intervals_total: number;
  /** null for a breaker without an endpoint tag. */
  failures_prevented: FailuresPrevented | null;
};

export interface CircuitBreakersResponse extends AnalysisHead<'circuit-breakers'> {
  breakers: BreakerItem[];
  summary: {
    breakers: number;
    trips: number;
    flapping: number;
    window_end: string;
    flap_seconds: number;
    lookback_hours: number;
    failures_prevented_method: string;
  };
  warnings?: string[];
}

export const circuitBreakersRunner: AnalysisRunner<'circuit-breakers'> = async (ctx, req) => {
  checkRequest('circuit-breakers', req, OPTIONS);
  const flapSeconds = numberOption(req.options, 'flap_seconds', 0, 86_400, DEFAULT_FLAP_SECONDS);
  const lookbackHours = numberOption(req.options, 'lookback_hours', 0, 24 * 90, 24 * 7);
  const w: BreakerWindow = { start: req.start * 1000, end: Math.max(req.start, Math.min(req.stop, ctx.now)) * 1000 };
  const events = await ctx.store.breakerEvents({
    start: (req.start - lookbackHours * HOUR_MS) * 1000,
    stop: w.end,
    filters: req.filters,
  });
  const warnings = unusedGroupBy('circuit-breakers', req);
  const stats = analyseBreakers(events, w, { flapUs: flapSeconds * 1e6 });
  const breakers: BreakerItem[] = [];
  for (const s of stats) {
    const endpoint = s.series.endpoint;
    let prevented: FailuresPrevented | null = null;
    if (endpoint !== undefined) {
      const region = s.series.region;
      const filters: TagFilters = { endpoint: [endpoint], ...(region !== undefined ? { region: [region] } : {}) };
      const c = s.openIntervals.length
        ? await countDuringOpen(ctx.store, filters, s.openIntervals, req.tz)
        : { results: 0, failed: 0 };
      prevented = {
        estimate: true,
        endpoint,
        ...(region !== undefined ? { region } : {}),
        results_during_open: c.results,
        failed_during_open: c.failed,
        passed_during_open: c.results - c.failed,
        failures_prevented_estimate: c.failed,
      };
    }
    const { openIntervals, ...rest } = s;
    breakers.push({
      ...rest,
      open_intervals: openIntervals
        .slice(-MAX_INTERVALS_LISTED)
        .map(([a, b]) => ({ start: formatMicros(a), end: formatMicros(b) })),
      open_intervals_total: openIntervals.length,
      failures_prevented: prevented,
    });
  }
  return {
    ...head('circuit-breakers', req),
    breakers,
    summary: {
      breakers: breakers.length,
      trips: stats.reduce((a, s) => a + s.trips, 0),
      flapping: stats.reduce((a, s) => a + s.flapping, 0),
      window_end: formatMicros(w.end),
      flap_seconds: flapSeconds,
      lookback_hours: lookbackHours,
      failures_prevented_method:
        "estimate: test results with the breaker's endpoint (and region) tags inside its open intervals; failed ones count as failures prevented",
    },
    ...(warnings.length ? { warnings } : {}),
  };
};
