// How DuckDB reports a full disk and a database it has given up on, by the words of its error messages (the
// node API has no error codes). Observed with @duckdb/node-api 1.5.5 on a full tmpfs (ENOSPC) and under a
// file-size limit (`ulimit -f`, EFBIG); test/e2e/disk-full.test.ts runs the service into both:
//
// - A commit whose write-ahead log cannot grow (or whose row groups cannot be written to the file):
//   `TransactionContext Error: Failed to commit: Could not write file "<db>.wal": No space left on device`
//   (or `... File too large`). The transaction is rolled back and the database stays usable.
// - A commit that reached the log, whose automatic checkpoint (log over `checkpoint_threshold`) then fails:
//   `FATAL Error: Transaction COMMIT succeeded and is durable, but the autocheckpoint failed. Reopen the database
//   instance to recover. Failed to create checkpoint because of error: Could not write file "<db>": ...`
//   The commit stands: it is replayed from the log at the next open. (Seen with small commits such as an
//   INSERT ... SELECT of 1000 rows, as the rollup steps make.)
// - A large commit that is due to checkpoint skips the log and goes straight into the file (DuckDB's
//   auto_checkpoint_skip_wal_threshold; the service's writes through the appender do, even of 20 points). When
//   that checkpoint fails:
//   `FATAL Error: Failed to create checkpoint because of error: Could not write file "<db>": File too large`,
//   without "succeeded": the commit is lost with the instance, so it has failed.
// - An explicit CHECKPOINT that cannot write the file: `FATAL Error: Failed to create checkpoint because of error: ...`
// - After any of these FATAL errors the instance is invalidated: every later statement on any of its connections fails
//   with `FATAL Error: Failed: database has been invalidated because of a previous fatal error. The database must
//   be restarted prior to being used again.` Closing the instance and opening the file again replays the log:
//   nothing committed is lost, also when the disk is still full.

/** The text of an error, whatever was thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The first line of a DuckDB message (the invalidation message quotes the original error on further lines). */
export function firstLine(message: string): string {
  return message.split('\n')[0]!;
}

/** The disk refused to grow a file: full (ENOSPC), over quota (EDQUOT), or over the process's file-size limit (EFBIG). */
export function isStorageFull(message: string): boolean {
  return /No space left on device|File too large|Disk quota exceeded/i.test(message);
}

/**
 * DuckDB ran out of its memory limit. Its words vary with where it happened: "Out of Memory Error: ...", "could not
 * allocate ...", "failed to pin block ..." (buffer manager), and from the appender "Failed to append: failed to
 * allocate data of size 16.0 KiB (16.0 MiB/16.0 MiB used)".
 */
export function isOutOfMemory(message: string): boolean {
  return /Out of Memory Error|could not allocate|failed to allocate|failed to pin/i.test(message);
}

/** DuckDB has invalidated the instance (or is about to: a FATAL error): it must be closed and opened again. */
export function isInvalidated(message: string): boolean {
  return /FATAL Error|database has been invalidated/i.test(message);
}

/** A FATAL error of a COMMIT that DuckDB says is durable all the same (only its automatic checkpoint failed). */
export function isDurableCommit(message: string): boolean {
  return /COMMIT succeeded and is durable/i.test(message);
}
