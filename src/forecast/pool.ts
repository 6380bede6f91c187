// A small pool of forecast worker threads. One selection's candidates are spread over the workers (the slow
// `arima` fit on one, the augurs models on another), each worker job has a time limit after which the worker is
// replaced and its candidates are reported as out of time, and the number of waiting jobs is bounded. A worker
// idle for idleMs ends, and the next job starts a new one: each holds its own V8 heap and the models' WebAssembly
// memory (each adds about 16 MB once loaded, measured 2026-12-07), which a service that forecasts now and then
// should not keep.
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { workerEntry } from '../worker-entry.js';
import {
  chooseForecast,
  type Evaluation,
  evaluateCandidate,
  planForecast,
  type Selection,
  type SelectOptions,
} from './select.js';
import type { EvaluateRequest, EvaluateResponse } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: up to 2, one per core). */
  workers?: number;
  /** A worker job that runs longer is stopped; its candidates count as out of time. */
  timeLimitMs?: number;
  /** Jobs waiting per worker before new forecasts are refused with 503. */
  maxQueue?: number;
  /**
   * A worker with no job for this long ends (default 1 s). A forecast that starts new workers takes 0.2-0.6 s
   * more (docs/forecasts.md: through the service, p50 676-771 ms against 446-474 ms back to back, 2026-12-07).
   */
  idleMs?: number;
}

/** Relative cost of a candidate's backtest, to balance the workers (measured: docs/research, docs/forecasts.md). */
const COST: Record<string, number> = { mstl_ets: 1, ets: 1, arima: 3.5 };

interface Job {
  req: EvaluateRequest;
  /** The candidates of req.indexes, to name them when the worker runs out of time. */
  labels: Pick<Evaluation, 'name' | 'params'>[];
  resolve: (e: Evaluation[]) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker | null;
  queue: Job[];
  running: Job | null;
  timer: NodeJS.Timeout | null;
  /** Ends the worker once it has been idle for idleMs. */
  idle: NodeJS.Timeout | null;
}

export class ForecastPool {
  private readonly slots: Slot[];
  private readonly timeLimitMs: number;
  private readonly maxQueue: number;
  private readonly idleMs: number;
  private readonly entry = workerEntry(import.meta.url, 'worker');
  private nextId = 1;
  private closed = false;

  constructor(o: PoolOptions = {}) {
    const n = Math.max(1, o.workers ?? Math.min(2, cpus().length));
    this.slots = Array.from({ length: n }, () => ({ worker: null, queue: [], running: null, timer: null, idle: null }));
    this.timeLimitMs = o.timeLimitMs ?? 20_000;
    this.maxQueue = o.maxQueue ?? 16;
    this.idleMs = o.idleMs ?? 1_000;
  }

  /** Plans, evaluates the candidates on the workers in parallel, and chooses. */
  async select(y: number[], o: Omit<SelectOptions, 'candidates'>): Promise<Selection> {
    if (this.closed) throw new Error('the forecast pool is closed');
    const plan = planForecast(y, o);
    if (this.slots.some((s) => s.queue.length >= this.maxQueue)) {
      throw new AppError('unavailable', 'too many forecasts are waiting; try again shortly', {}, 5);
    }
    // The baseline takes a millisecond and must never be lost to a time limit: it runs here. The rest go longest
    // first onto the least loaded worker.
    const baseline = evaluateCandidate(plan.candidates[0]!, y, plan, o);
    const loads = this.slots.map(() => 0);
    const parts: number[][] = this.slots.map(() => []);
    const order = plan.candidates
      .map((c, i) => ({ i, cost: COST[c.name] ?? 1 }))
      .slice(1)
      .sort((a, b) => b.cost - a.cost);
    for (const { i, cost } of order) {
      const k = loads.indexOf(Math.min(...loads));
      parts[k]!.push(i);
      loads[k]! += cost;
    }
    const results = await Promise.all(
      parts.map((indexes, k) =>
        indexes.length
          ? this.run(
              this.slots[k]!,
              { id: this.nextId++, y, options: o, indexes },
              indexes.map((i) => ({ name: plan.candidates[i]!.name, params: plan.candidates[i]!.params })),
            )
          : [],
      ),
    );
    const byIndex = new Map<number, Evaluation>([[0, baseline]]);
    for (const [k, indexes] of parts.entries()) for (const [j, i] of indexes.entries()) byIndex.set(i, results[k]![j]!);
    return chooseForecast(
      plan,
      plan.candidates.map((_, i) => byIndex.get(i)!),
      o,
    );
  }

  private run(slot: Slot, req: EvaluateRequest, labels: Job['labels']): Promise<Evaluation[]> {
    return new Promise<Evaluation[]>((resolve, reject) => {
      slot.queue.push({ req, labels, resolve, reject });
      this.pump(slot);
    });
  }

  private pump(slot: Slot): void {
    if (slot.running || slot.queue.length === 0) return;
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    const job = slot.queue.shift()!;
    slot.running = job;
    const w = this.worker(slot);
    w.ref();
    slot.timer = setTimeout(() => {
      // Out of time: a fit inside WebAssembly cannot be interrupted, so the worker is replaced.
      slot.worker = null;
      void w.terminate();
      const skipped = `out of time (${this.timeLimitMs / 1000} s)`;
      this.finish(slot, () => job.resolve(job.labels.map((l) => ({ ...l, ms: this.timeLimitMs, skipped }))));
    }, this.timeLimitMs);
    w.postMessage(job.req);
  }

  private finish(slot: Slot, settle: () => void): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.running = null;
    settle();
    if (slot.queue.length === 0) slot.worker?.unref();
    this.pump(slot);
    if (!slot.running && slot.worker && !this.closed) {
      const w = slot.worker;
      slot.idle = setTimeout(() => {
        slot.idle = null;
        if (slot.worker !== w || slot.running) return;
        slot.worker = null;
        void w.terminate();
      }, this.idleMs);
      slot.idle.unref();
    }
  }

  /** Worker threads running now (idle ones end after idleMs). */
  get liveWorkers(): number {
    return this.slots.filter((s) => s.worker !== null).length;
  }

  private worker(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    // stdout/stderr piped to us and dropped: the arima C code prints warnings there.
    const w = new Worker(this.entry, { stdout: true, stderr: true });
    w.stdout.resume();
    w.stderr.resume();
    slot.worker = w;
    w.on('message', (res: EvaluateResponse) => {
      const job = slot.running;
      if (!job || job.req.id !== res.id) return;
      this.finish(slot, () => (res.error ? job.reject(new Error(res.error)) : job.resolve(res.evaluations)));
    });
    const gone = (e: unknown): void => {
      // A worker replaced after a time limit may exit later: it no longer owns the slot.
      if (slot.worker !== w) return;
      slot.worker = null;
      const job = slot.running;
      if (job) this.finish(slot, () => job.reject(e));
    };
    w.on('error', gone);
    w.on('exit', () => gone(new Error('forecast worker exited')));
    w.unref();
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        for (const j of s.queue.splice(0)) j.reject(new Error('the forecast pool is closed'));
        if (s.idle) clearTimeout(s.idle);
        await s.worker?.terminate();
      }),
    );
  }
}
