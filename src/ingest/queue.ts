// The service's bounded ingest queue. Requests wait here until their rows are committed; waiting requests are
// grouped into one store write (group commit), which is what makes many small concurrent writes fast. When more
// than `maxPoints` points are waiting, new requests are refused at once (503 + Retry-After) instead of growing
// memory without bound.
import { unavailable } from '../errors.js';
import { WriteBatch } from '../model/result.js';
import type { Store } from '../store/types.js';

interface Pending {
  batch: WriteBatch;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface IngestQueueOptions {
  maxPoints: number;
  /** Most points merged into one store write. */
  maxGroupPoints?: number;
  onWritten?: (batch: WriteBatch) => void;
}

export class IngestQueue {
  private readonly pending: Pending[] = [];
  private waitingPoints = 0;
  private inFlightPoints = 0;
  private draining: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly opts: IngestQueueOptions,
  ) {}

  /** Points waiting or being written. */
  get depth(): number {
    return this.waitingPoints + this.inFlightPoints;
  }

  get capacity(): number {
    return this.opts.maxPoints;
  }

  /** Resolves once every row of `batch` is durable; rejects with the store's error otherwise. */
  submit(batch: WriteBatch): Promise<void> {
    if (this.closed) return Promise.reject(unavailable('the service is shutting down', 5));
    // One request larger than the whole queue is still let through when nothing else waits.
    if (this.depth > 0 && this.depth + batch.size > this.opts.maxPoints) {
      return Promise.reject(
        unavailable(`the ingest queue is full (${this.depth} points waiting to be written); retry shortly`, 1),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      this.waitingPoints += batch.size;
      this.draining ??= this.drain().finally(() => {
        this.draining = null;
      });
    });
  }

  private async drain(): Promise<void> {
    const maxGroup = this.opts.maxGroupPoints ?? 200_000;
    while (this.pending.length > 0) {
      const group: Pending[] = [];
      let points = 0;
      while (this.pending.length > 0 && (group.length === 0 || points + this.pending[0]!.batch.size <= maxGroup)) {
        const p = this.pending.shift()!;
        group.push(p);
        points += p.batch.size;
      }
      this.waitingPoints -= points;
      this.inFlightPoints = points;
      await this.writeGroup(group);
    }
  }

  private async writeGroup(group: Pending[]): Promise<void> {
    let merged: WriteBatch;
    if (group.length === 1) merged = group[0]!.batch;
    else {
      merged = new WriteBatch();
      for (const p of group) merged.append(p.batch);
    }
    try {
      await this.store.write(merged);
      this.opts.onWritten?.(merged);
      for (const p of group) this.settle(p);
      return;
    } catch (e) {
      if (group.length === 1) {
        this.settle(group[0]!, e);
        return;
      }
    }
    // The group failed as a whole: write its requests one by one so one bad request cannot fail the others.
    for (const p of group) {
      try {
        await this.store.write(p.batch);
        this.opts.onWritten?.(p.batch);
        this.settle(p);
      } catch (e) {
        this.settle(p, e);
      }
    }
  }

  /** Leaves the queue's count before the caller hears back, so a caller that writes again finds room. */
  private settle(p: Pending, error?: unknown): void {
    this.inFlightPoints -= p.batch.size;
    if (error === undefined) p.resolve();
    else p.reject(error);
  }

  /** Refuses new requests and waits for the queued ones to be written. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
  }
}
