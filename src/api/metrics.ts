// Prometheus metrics of the service (prom-client), one registry per app so tests can build many apps.
import client from 'prom-client';
import type { WriteBatch } from '../model/result.js';

export class ServiceMetrics {
  readonly registry = new client.Registry();
  readonly requests = new client.Counter({
    name: 'resultant_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new client.Histogram({
    name: 'resultant_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly requestsCancelled = new client.Counter({
    name: 'resultant_http_requests_cancelled_total',
    help: 'Requests whose client went away before the answer was ready; their queries were stopped',
    registers: [this.registry],
  });
  readonly pointsWritten = new client.Counter({
    name: 'resultant_points_written_total',
    help: 'Points committed to the store, by measurement',
    labelNames: ['measurement'] as const,
    registers: [this.registry],
  });
  readonly pointsSkipped = new client.Counter({
    name: 'resultant_points_skipped_total',
    help: 'Points of measurements neither accepted nor mapped, left out of partial writes (RESULTANT_UNKNOWN_MEASUREMENTS=skip)',
    registers: [this.registry],
  });
  readonly queueDepth = new client.Gauge({
    name: 'resultant_ingest_queue_points',
    help: 'Points waiting in the ingest queue or being written',
    registers: [this.registry],
  });
  readonly queueCapacity = new client.Gauge({
    name: 'resultant_ingest_queue_capacity_points',
    help: 'Points the ingest queue holds before it answers 503',
    registers: [this.registry],
  });
  readonly admittedBytes = new client.Gauge({
    name: 'resultant_ingest_admitted_bytes',
    help: 'Decoded request body bytes reserved by the writes being read and parsed',
    registers: [this.registry],
  });
  readonly admissionCapacity = new client.Gauge({
    name: 'resultant_ingest_admission_capacity_bytes',
    help: 'Decoded request body bytes the writes being read may hold before new ones are refused with 503',
    registers: [this.registry],
  });
  readonly rollupLag = new client.Gauge({
    name: 'resultant_rollup_lag_seconds',
    help: 'Seconds between the start of the current hour and the hourly rollup watermark',
    registers: [this.registry],
  });
  readonly dirtyHours = new client.Gauge({
    // Not "_hours": Prometheus reads that as a time unit.
    name: 'resultant_rollup_dirty_buckets',
    help: 'Rolled-up hourly buckets that took late writes and wait to be recomputed',
    registers: [this.registry],
  });
  readonly series = new client.Gauge({
    name: 'resultant_series',
    help: 'Distinct series (tag sets) in the store',
    registers: [this.registry],
  });
  readonly databaseBytes = new client.Gauge({
    name: 'resultant_database_size_bytes',
    help: 'Size of the database file and its write-ahead log (DuckDB store)',
    registers: [this.registry],
  });
  readonly diskFreeBytes = new client.Gauge({
    name: 'resultant_disk_free_bytes',
    help: 'Free space of the file system that holds the database file (DuckDB store)',
    registers: [this.registry],
  });
  readonly storageFull = new client.Gauge({
    name: 'resultant_storage_full',
    help: 'The disk that holds the database refuses writes (1: writes answer 503 until space is freed), else 0',
    registers: [this.registry],
  });
  readonly rollupRuns = new client.Counter({
    name: 'resultant_rollup_runs_total',
    help: 'Rollup task runs by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly fluxTaskFailing = new client.Gauge({
    name: 'resultant_flux_task_failing',
    help: 'InfluxDB rollup task whose last run failed, or that is missing or inactive (1), else 0',
    labelNames: ['task'] as const,
    registers: [this.registry],
  });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'resultant_' });
    // prom-client names three of its gauges "..._total", which Prometheus keeps for counters (promtool refuses them).
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(`resultant_${name}`);
    }
  }

  written(batch: WriteBatch): void {
    if (batch.results.time.length) this.pointsWritten.inc({ measurement: 'test_result' }, batch.results.time.length);
    if (batch.breakers.time.length)
      this.pointsWritten.inc({ measurement: 'circuit_breaker' }, batch.breakers.time.length);
  }
}
