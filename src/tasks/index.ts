// Scheduled work: keep rollups current and apply retention. Each task is a plain function of (deps, now) so tests
// drive it with their own clock; node-cron only decides when it runs, and never runs one on top of itself.
import cron from 'node-cron';
import type { ServiceMetrics } from '../api/metrics.js';
import type { Clock } from '../clock.js';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EvaluationReport, Notifier } from '../notify/index.js';
import type { AnomalyLog } from '../store/state.js';
import type { CleanupReport, RetentionPolicy, RollupReport, Store } from '../store/types.js';
import { DAY_MS } from '../time/buckets.js';

export interface TaskDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Stored anomalies are kept as long as the hourly rollups they point at. */
  anomalyLog?: AnomalyLog;
}

/**
 * A failed run of a task: a store that says it cannot write now (503: full disk, database being reopened) is a
 * warning, and the next tick runs the task again; anything else is an error.
 */
function logFailure(logger: Logger, err: unknown, task: 'rollup' | 'retention'): void {
  if (isAppError(err) && err.code === 'unavailable')
    logger.warn({ reason: err.message }, `${task} postponed to its next run`);
  else logger.error({ err }, `${task} failed`);
}

export async function runRollup(deps: TaskDeps): Promise<RollupReport | null> {
  try {
    const r = await deps.store.rollup(deps.clock.now());
    deps.metrics?.rollupRuns.inc({ outcome: 'success' });
    if (r.hoursRolledUp > 0 || r.daysRolledUp > 0) {
      deps.logger.debug({ hours: r.hoursRolledUp, days: r.daysRolledUp }, 'rollup');
    }
    return r;
  } catch (err) {
    deps.metrics?.rollupRuns.inc({ outcome: 'failure' });
    logFailure(deps.logger, err, 'rollup');
    return null;
  }
}

export async function runRetention(deps: TaskDeps, policy: RetentionPolicy): Promise<CleanupReport | null> {
  try {
    const now = deps.clock.now();
    const r = await deps.store.cleanup(policy, now);
    deps.logger.info({ ...r }, 'retention');
    if (deps.anomalyLog && policy.hourlyDays > 0) {
      // Its own failure is logged apart: the time-series retention above has already happened.
      try {
        const anomaliesDeleted = await deps.anomalyLog.prune(now - policy.hourlyDays * DAY_MS);
        deps.logger.info({ anomaliesDeleted }, 'anomaly log retention');
      } catch (err) {
        deps.logger.error({ err }, 'anomaly log retention failed');
      }
    }
    return r;
  } catch (err) {
    logFailure(deps.logger, err, 'retention');
    return null;
  }
}

/** Evaluates the notification rules; a failure is logged, never thrown into the scheduler. */
export async function runNotify(deps: TaskDeps, notifier: Notifier): Promise<EvaluationReport | null> {
  try {
    const r = await notifier.evaluate(deps.clock.now());
    if (r.sent > 0 || r.errors.length > 0) deps.logger.info({ ...r }, 'notifications');
    return r;
  } catch (err) {
    deps.logger.error({ err }, 'notification evaluation failed');
    return null;
  }
}

export interface Schedules {
  rollupCron: string;
  retentionCron: string;
  retention: RetentionPolicy;
  /** Notification rules are evaluated on their own schedule and chain, so a slow webhook never delays a rollup. */
  notify?: { cron: string; notifier: Notifier };
}

/** What runs a tick on a cron expression: node-cron in the service; tests pass their own and fire the ticks. */
export interface Scheduler {
  schedule(expression: string, tick: () => Promise<unknown>, name: string): { destroy(): void | Promise<void> };
}

export const cronScheduler: Scheduler = {
  schedule: (expression, tick, name) => cron.schedule(expression, tick, { name }),
};

/**
 * A tick of a task whose previous run has not finished is skipped: it logs at debug and returns that run. (node-cron's
 * own overlap prevention prints a warning to stderr at every such tick, around the service's logger; a rollup that
 * catches up on a month of late writes spans many ticks.)
 */
export function skipWhileRunning(name: string, logger: Logger, fn: () => Promise<unknown>): () => Promise<unknown> {
  let current: Promise<unknown> | null = null;
  return () => {
    if (current) {
      logger.debug({ task: name }, 'previous run still going, tick skipped');
      return current;
    }
    const run = fn().finally(() => {
      current = null;
    });
    current = run;
    return run;
  };
}

/** Starts the schedules; the returned function stops them and waits for a running task to finish. */
export function startTasks(deps: TaskDeps, s: Schedules, scheduler: Scheduler = cronScheduler): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let notifying: Promise<unknown> = Promise.resolve();
  // Rollup and retention run one after the other, never together.
  const chained = (fn: () => Promise<unknown>) => () => {
    running = running.then(fn, fn);
    return running;
  };
  const rollup = skipWhileRunning(
    'rollup',
    deps.logger,
    chained(() => runRollup(deps)),
  );
  const retention = skipWhileRunning(
    'retention',
    deps.logger,
    chained(() => runRetention(deps, s.retention)),
  );
  const tasks = [
    scheduler.schedule(s.rollupCron, rollup, 'rollup'),
    scheduler.schedule(s.retentionCron, retention, 'retention'),
  ];
  const notify = s.notify;
  if (notify) {
    const tick = skipWhileRunning('notify', deps.logger, () => (notifying = runNotify(deps, notify.notifier)));
    tasks.push(scheduler.schedule(notify.cron, tick, 'notify'));
  }
  // Catch up at start (after a restart there may be hours to roll up) without waiting for the first tick.
  void rollup();
  return async () => {
    for (const t of tasks) await t.destroy();
    await running.catch(() => undefined);
    await notifying.catch(() => undefined);
  };
}
