// What the DuckDB store remembers of a full disk (storage-errors.ts says how DuckDB reports one): the last failure
// for lack of space, until a write of data succeeds again, so that /health and /metrics can say so and writes are
// answered with a Retry-After that fits a disk a person has to free.
import type { Clock } from '../../clock.js';
import { firstLine } from './storage-errors.js';

/** Retry-After (s) of a write refused because the disk is full: space comes back when a person frees it. */
export const STORAGE_FULL_RETRY_SECONDS = 30;
/**
 * How long (ms) a failure for lack of space counts as "the disk is full" in status() when no write has succeeded
 * since: clients that retry after Retry-After keep it fresh; once nobody writes, /health stops guessing.
 */
const STORAGE_FULL_MEMORY_MS = 2 * STORAGE_FULL_RETRY_SECONDS * 1000;

export class DiskFullness {
  /** The last failure for lack of space (DuckDB's message, when), until a write succeeds again. */
  private last: { message: string; at: number } | null = null;
  /** Failures for lack of space so far: a write that saw none during its commit proves the disk has room. */
  failures = 0;

  constructor(
    private readonly clock: Clock,
    private readonly path: string,
    private readonly warn?: (message: string) => void,
  ) {}

  /** A statement failed for lack of space (DuckDB's message); says so in the log once per episode. */
  markFull(msg: string): void {
    if (!this.isFull()) {
      this.warn?.(
        `the disk that holds the database is full: writes answer 503 until space is freed beside ${this.path} (DuckDB: ${firstLine(msg)})`,
      );
    }
    this.failures++;
    this.last = { message: firstLine(msg), at: this.clock.now() };
  }

  /**
   * A write of data committed without running out of space: the disk has room again. (Not any commit: a small one
   * such as a rollup step's goes to the log while a write's rows may need the full file.)
   */
  works(): void {
    if (this.last === null) return;
    this.last = null;
    this.warn?.('the disk that holds the database has room again: writes are stored again');
  }

  /** Whether writes failed for lack of space lately, and none has succeeded since. */
  isFull(): boolean {
    return this.last !== null && this.clock.now() - this.last.at < STORAGE_FULL_MEMORY_MS;
  }
}
