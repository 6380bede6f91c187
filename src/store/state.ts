// State the service keeps about its own findings, apart from the Store port (the time-series data): an InfluxDB
// deployment needs no adapter for it. Today: the anomaly log, so that a detected anomaly is stored once however
// often the analysis runs, and a person can acknowledge it.

import { tagsIdentity } from '../model/configuration.js';
import type { Tags } from '../model/result.js';
import type { NotificationLog } from '../notify/log.js';

export interface AnomalyRecord {
  series: Tags;
  metric: string;
  method: string;
  /** Anomalous point or bucket start, ms. */
  time: number;
  value: number;
  expected: number;
  score: number;
}

export interface StoredAnomaly extends AnomalyRecord {
  id: number;
  /** When it was first stored, ms. */
  detectedAt: number;
  acknowledged: boolean;
  acknowledgedAt: number | null;
}

export interface AnomalyQuery {
  /** [start, stop) on the anomaly's time, ms. */
  start: number;
  stop: number;
  acknowledged?: boolean;
  limit: number;
}

export interface AnomalyLog {
  /**
   * Stores each anomaly once per (series, metric, method, time): a known one keeps its id, first detection time
   * and acknowledgement and takes the new value, expected value and score. Returns the stored rows in input order.
   */
  upsert(items: readonly AnomalyRecord[], nowMs: number): Promise<StoredAnomaly[]>;
  /** Newest first. */
  list(q: AnomalyQuery): Promise<StoredAnomaly[]>;
  /** Null when there is no anomaly with this id. Acknowledging twice keeps the first time. */
  acknowledge(id: number, nowMs: number): Promise<StoredAnomaly | null>;
  /** Deletes anomalies whose time is before `beforeMs` (retention); returns how many. */
  prune(beforeMs: number): Promise<number>;
}

/** The identity of a tag set inside the log: its entries sorted by key, as JSON. */
export const seriesIdentity = tagsIdentity;

/** Everything the service keeps of its own (store/index.ts opens it): the anomaly log and the notification rules and history. */
export interface ServiceState {
  anomalyLog: AnomalyLog;
  notificationLog: NotificationLog;
  /** Closes what holds the state when the service opened it for itself (a file beside an InfluxDB store). */
  close(): Promise<void>;
}
