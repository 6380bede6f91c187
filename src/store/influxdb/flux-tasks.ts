// The Flux tasks inside InfluxDB (the hourly and daily rollups, and the hourly analysis summaries): installed or updated idempotently at start (found by name; created when
// missing; PATCHed only when their Flux, status or description differ), then watched. InfluxDB tasks fail
// quietly (influxdb#11627, #12548): every poll reads each task's lastRunStatus and lastRunError, and a failed or
// missing task shows as a failing check in /health and as resultant_flux_task_failing in /metrics. The service
// does not depend on the tasks for correct answers (reads inside the raw retention use raw data, and its own
// rollup job runs the same Flux), but rollups and analysis summaries beyond the raw retention do.
import type { InfluxDB } from '@influxdata/influxdb-client';
import { TasksAPI } from '@influxdata/influxdb-client-apis';
import type { Logger } from '../../logger.js';
import type { StoreBackgroundTasks, StoreTaskState } from '../types.js';
import { FLUX_FILES, readFluxFile, renderParams, taskName } from './flux-files.js';
import { findOrgID } from './org.js';
import { bucketNames } from './schema.js';

export interface FluxTaskSpec {
  name: string;
  flux: string;
  description: string;
}

const WHAT = { hourly: 'hourly rollup', daily: 'daily rollup', analysis: 'hourly analysis summaries' } as const;

/** The tasks for a raw bucket and daily zone, rendered from flux/*.flux: both rollups and the analysis summaries. */
export function fluxTaskSpecs(bucket: string, timezone: string): FluxTaskSpec[] {
  const b = bucketNames(bucket);
  return (['hourly', 'daily', 'analysis'] as const).map((program) => {
    const file = FLUX_FILES[program];
    const src = readFluxFile(file);
    const flux = renderParams(src, { srcBucket: b.raw, dstBucket: program === 'daily' ? b.daily : b.hourly, timezone });
    return {
      name: taskName(src),
      flux,
      description: `Resultant ${WHAT[program]} (flux/${file}), managed by Resultant: edits are overwritten at its next start`,
    };
  });
}

export type InstallAction = 'created' | 'updated' | 'unchanged';

/** A task's state as /health and /metrics show it (store/types.ts). */
export type FluxTaskState = StoreTaskState;

export class FluxTasks implements StoreBackgroundTasks {
  private readonly api: TasksAPI;
  private orgID: string | null = null;
  private readonly byName = new Map<string, FluxTaskState>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly influx: InfluxDB,
    private readonly org: string,
    private readonly specs: FluxTaskSpec[],
    private readonly logger: Logger,
  ) {
    this.api = new TasksAPI(influx);
    for (const s of specs)
      this.byName.set(s.name, {
        name: s.name,
        id: null,
        status: 'warn',
        lastRunStatus: null,
        lastRunError: null,
        latestCompleted: null,
        message: 'not installed yet',
      });
  }

  private async resolveOrg(): Promise<string> {
    return (this.orgID ??= await findOrgID(this.influx, this.org));
  }

  /** Creates missing tasks and updates changed ones; a second call with the same specs changes nothing. */
  async install(): Promise<Record<string, InstallAction>> {
    const orgID = await this.resolveOrg();
    const out: Record<string, InstallAction> = {};
    for (const spec of this.specs) {
      const found =
        (await this.api.getTasks({ name: spec.name, orgID })).tasks?.filter((t) => t.name === spec.name) ?? [];
      if (found.length > 1)
        this.logger.warn(
          { task: spec.name, count: found.length },
          'several InfluxDB tasks share this name; managing the first',
        );
      const t = found[0];
      if (!t) {
        const created = await this.api.postTasks({
          body: { orgID, flux: spec.flux, status: 'active', description: spec.description },
        });
        out[spec.name] = 'created';
        this.update(spec.name, { id: created.id ?? null });
      } else if (t.flux !== spec.flux || t.status !== 'active' || t.description !== spec.description) {
        await this.api.patchTasksID({
          taskID: t.id,
          body: { flux: spec.flux, status: 'active', description: spec.description },
        });
        out[spec.name] = 'updated';
        this.update(spec.name, { id: t.id });
      } else {
        out[spec.name] = 'unchanged';
        this.update(spec.name, { id: t.id });
      }
    }
    this.logger.info({ tasks: out }, 'InfluxDB Flux tasks installed');
    return out;
  }

  private update(name: string, patch: Partial<FluxTaskState>): void {
    this.byName.set(name, { ...this.byName.get(name)!, ...patch });
  }

  /** Reads each task's last run; a task that disappeared or was deactivated fails its check. */
  async poll(): Promise<FluxTaskState[]> {
    const orgID = await this.resolveOrg();
    for (const spec of this.specs) {
      try {
        const t = (await this.api.getTasks({ name: spec.name, orgID })).tasks?.find((x) => x.name === spec.name);
        if (!t) {
          this.update(spec.name, { id: null, status: 'warn', message: 'task not found in InfluxDB' });
          continue;
        }
        const failed = t.lastRunStatus === 'failed';
        const inactive = t.status !== 'active';
        this.byName.set(spec.name, {
          name: spec.name,
          id: t.id,
          status: failed || inactive ? 'warn' : 'pass',
          lastRunStatus: t.lastRunStatus ?? null,
          lastRunError: t.lastRunError ?? null,
          latestCompleted: t.latestCompleted ?? null,
          ...(inactive
            ? { message: `task is ${t.status ?? 'not active'}` }
            : failed
              ? { message: 'last run failed' }
              : {}),
        });
        if (failed) this.logger.warn({ task: spec.name, error: t.lastRunError }, 'InfluxDB rollup task run failed');
      } catch (err) {
        this.update(spec.name, { status: 'warn', message: 'InfluxDB did not answer the task status request' });
        this.logger.warn({ err, task: spec.name }, 'cannot read InfluxDB task status');
      }
    }
    return this.states();
  }

  states(): FluxTaskState[] {
    return [...this.byName.values()];
  }

  /** Installs (retrying on the next tick when InfluxDB is not ready yet), then polls every `everyMs`. */
  start(everyMs = 60_000): void {
    let installed = false;
    const tick = async (): Promise<void> => {
      try {
        if (!installed) {
          await this.install();
          installed = true;
        }
        await this.poll();
      } catch (err) {
        this.logger.error({ err }, 'InfluxDB Flux tasks: install or poll failed');
        for (const s of this.specs)
          this.update(s.name, {
            status: 'warn',
            message: installed ? 'status unknown' : 'not installed: InfluxDB refused or did not answer',
          });
      }
    };
    void tick();
    this.timer = setInterval(() => void tick(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
