// workload (docs/http-api.md; /openapi.json): tasks per worker in the window, success rate, mean duration (latency_ms) and share of
// the total; imbalance as the Gini coefficient and coefficient of variation of tasks per worker; idle and
// overloaded workers.
//
// Definitions (all over the fleet: workers with tasks in the window plus workers seen in the `lookback_days`
// before it that ran nothing in it, counted with 0 tasks):
//   Gini = Σ_i Σ_j |x_i − x_j| / (2 n² μ), computed from the sorted values as Σ_i (2i − n − 1) x_(i) / (n Σ x);
//          0 = every worker ran as many tasks, (n − 1)/n = one worker ran everything.
//   CV   = σ / μ with the population standard deviation σ (as the contract's stddev).
//   idle: no tasks, or fewer than `idle_ratio` (0.25) × μ.
//   overloaded: more than `overload_ratio` (2) × μ, or more than μ + 2σ (which needs 6+ workers to be reachable:
//          with n workers the largest possible z-score is (n − 1)/√n).
import { DAY_MS } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';
import { checkRequest, head, lookbackDaysOption, numberOption, unusedGroupBy } from './inputs.js';
import type { AnalysisHead, AnalysisRunner } from './types.js';

export interface WorkerCounts {
  worker: string;
  tasks: number;
  successes: number;
  /** Sum and count of latency_ms among the worker's tasks that carry it. */
  latencySum: number;
  latencyCount: number;
}

export interface WorkerLoad {
  worker: string;
  series: Record<string, string>;
  tasks: number;
  successes: number;
  success_rate: number | null;
  mean_duration_ms: number | null;
  share: number;
  /** tasks / mean tasks per worker. */
  load_ratio: number | null;
  z_score: number | null;
  status: 'idle' | 'overloaded' | 'normal';
}

export interface WorkloadResult {
  workers: WorkerLoad[];
  gini: number | null;
  cv: number | null;
  total_tasks: number;
  mean_tasks: number | null;
  stddev_tasks: number | null;
  idle: string[];
  overloaded: string[];
}

export interface WorkloadOptions {
  idleRatio: number;
  overloadRatio: number;
}

/** Gini coefficient of non-negative values (null when empty or all zero). */
export function gini(values: readonly number[]): number | null {
  const n = values.length;
  const total = values.reduce((s, v) => s + v, 0);
  if (n === 0 || total === 0) return null;
  const x = [...values].sort((a, b) => a - b);
  let acc = 0;
  for (let i = 0; i < n; i++) acc += (2 * (i + 1) - n - 1) * x[i]!;
  return acc / (n * total);
}

/** Pure: the fleet's counts in, loads, imbalance and flags out. */
export function analyseWorkload(fleet: readonly WorkerCounts[], o: WorkloadOptions): WorkloadResult {
  const n = fleet.length;
  const total = fleet.reduce((s, w) => s + w.tasks, 0);
  const mean = n ? total / n : null;
  const sd = n && mean !== null ? Math.sqrt(fleet.reduce((s, w) => s + (w.tasks - mean) ** 2, 0) / n) : null;
  const workers = fleet
    .map((w): WorkerLoad => {
      const ratio = mean ? w.tasks / mean : null;
      const z = mean !== null && sd ? (w.tasks - mean) / sd : null;
      let status: WorkerLoad['status'] = 'normal';
      if (w.tasks === 0 || (ratio !== null && ratio < o.idleRatio)) status = 'idle';
      else if ((ratio !== null && ratio > o.overloadRatio) || (z !== null && z > 2)) status = 'overloaded';
      return {
        worker: w.worker,
        series: { worker: w.worker },
        tasks: w.tasks,
        successes: w.successes,
        success_rate: w.tasks ? w.successes / w.tasks : null,
        mean_duration_ms: w.latencyCount ? w.latencySum / w.latencyCount : null,
        share: total ? w.tasks / total : 0,
        load_ratio: ratio,
        z_score: z,
        status,
      };
    })
    .sort((a, b) => b.tasks - a.tasks || (a.worker < b.worker ? -1 : 1));
  return {
    workers,
    gini: gini(fleet.map((w) => w.tasks)),
    cv: mean ? sd! / mean : null,
    total_tasks: total,
    mean_tasks: mean,
    stddev_tasks: sd,
    idle: workers.filter((w) => w.status === 'idle').map((w) => w.worker),
    overloaded: workers.filter((w) => w.status === 'overloaded').map((w) => w.worker),
  };
}

const OPTIONS = ['idle_ratio', 'overload_ratio', 'lookback_days'];
/** Series read to find workers that ran nothing in the window. */
const MAX_SERIES = 100_000;

export interface WorkloadResponse extends AnalysisHead<'workload'> {
  workers: WorkerLoad[];
  gini: number | null;
  cv: number | null;
  summary: {
    workers: number;
    total_tasks: number;
    unattributed_tasks: number;
    mean_tasks: number | null;
    stddev_tasks: number | null;
    idle: string[];
    overloaded: string[];
    definitions: { gini: string; cv: string; idle: string; overloaded: string; fleet: string };
  };
  warnings?: string[];
}

export const workloadRunner: AnalysisRunner<'workload'> = async (ctx, req) => {
  checkRequest('workload', req, OPTIONS);
  const idleRatio = numberOption(req.options, 'idle_ratio', 0, 1, 0.25);
  const overloadRatio = numberOption(req.options, 'overload_ratio', 1, 1000, 2);
  const lookbackDays = lookbackDaysOption(req.options);

  // Exact counts and latency moments per worker over the exact window, from the store's aggregates.
  const res = await ctx.store.aggregate({
    period: 'hour',
    tz: req.tz,
    boundaries: [req.start, req.stop],
    filters: req.filters,
    groupBy: ['worker'],
    metric: 'latency_ms',
    stats: 'moments',
  });
  const byWorker = new Map<string, WorkerCounts>();
  let unattributed = 0;
  for (const g of res.groups) {
    const w = g.group.worker;
    // Only the mean duration is reported, so the sums and counts are all that is needed of the moments.
    let tasks = 0;
    let ok = 0;
    let latencySum = 0;
    let latencyCount = 0;
    for (const b of g.buckets) {
      tasks += b.testCount;
      ok += b.successCount;
      latencySum += b.sum;
      latencyCount += b.n;
    }
    if (w === undefined || w === null) {
      unattributed += tasks;
      continue;
    }
    byWorker.set(w, { worker: w, tasks, successes: ok, latencySum, latencyCount });
  }
  const warnings: string[] = unusedGroupBy('workload', req);
  if (lookbackDays > 0) {
    const seen = await ctx.store.series({
      start: (req.start - lookbackDays * DAY_MS) * 1000,
      stop: req.start * 1000,
      filters: req.filters,
      measurement: 'test_result',
      limit: MAX_SERIES,
    });
    if (seen.length >= MAX_SERIES)
      warnings.push(`only the first ${MAX_SERIES} series of the lookback were read for idle workers`);
    for (const s of seen) {
      const w = s.tags.worker;
      if (w !== undefined && !byWorker.has(w))
        byWorker.set(w, { worker: w, tasks: 0, successes: 0, latencySum: 0, latencyCount: 0 });
    }
  }
  if (res.incompleteBefore !== undefined) {
    warnings.push(
      `raw data before ${formatMillis(res.incompleteBefore)} is past retention; counts there may be incomplete`,
    );
  }
  const out = analyseWorkload([...byWorker.values()], { idleRatio, overloadRatio });
  return {
    ...head('workload', req),
    workers: out.workers,
    gini: out.gini,
    cv: out.cv,
    summary: {
      workers: out.workers.length,
      total_tasks: out.total_tasks,
      unattributed_tasks: unattributed,
      mean_tasks: out.mean_tasks,
      stddev_tasks: out.stddev_tasks,
      idle: out.idle,
      overloaded: out.overloaded,
      definitions: {
        gini: 'sum over pairs |x_i - x_j| / (2 n^2 mean) of tasks per worker',
        cv: 'population standard deviation / mean of tasks per worker',
        idle: `no tasks, or fewer than ${idleRatio} x the mean`,
        overloaded: `more than ${overloadRatio} x the mean, or more than mean + 2 standard deviations`,
        fleet: `workers with tasks in the window plus workers seen in the ${lookbackDays} days before it`,
      },
    },
    ...(warnings.length ? { warnings } : {}),
  };
};
