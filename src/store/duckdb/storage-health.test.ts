// The DuckDB store's memory of a full disk, on a clock the test sets; and how DuckDB's words are read.
import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../clock.js';
import { isOutOfMemory, isStorageFull } from './storage-errors.js';
import { DiskFullness } from './storage-health.js';

const ENOSPC =
  'TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device\nmore';

describe('DiskFullness', () => {
  it('reports a full disk for a minute after the last failure, and says so in the log once per episode', () => {
    const clock = fixedClock(1_000_000);
    const warnings: string[] = [];
    const disk = new DiskFullness(clock, '/data/r.duckdb', (m) => warnings.push(m));
    expect(disk.isFull()).toBe(false);
    disk.markFull(ENOSPC);
    clock.advance(30_000);
    disk.markFull(ENOSPC);
    expect(disk.failures).toBe(2);
    expect(warnings).toEqual([
      'the disk that holds the database is full: writes answer 503 until space is freed beside /data/r.duckdb (DuckDB: TransactionContext Error: Failed to commit: Could not write file "x.wal": No space left on device)',
    ]);
    clock.advance(59_999);
    expect(disk.isFull()).toBe(true);
    clock.advance(1);
    expect(disk.isFull()).toBe(false);
  });

  it('forgets a full disk once a write succeeds, and says so', () => {
    const clock = fixedClock(0);
    const warnings: string[] = [];
    const disk = new DiskFullness(clock, 'db', (m) => warnings.push(m));
    disk.works();
    expect(warnings).toEqual([]);
    disk.markFull(ENOSPC);
    disk.works();
    expect(disk.isFull()).toBe(false);
    expect(warnings.at(-1)).toBe('the disk that holds the database has room again: writes are stored again');
    disk.markFull(ENOSPC);
    expect(warnings).toHaveLength(3);
  });
});

describe("DuckDB's words", () => {
  it('reads every wording of running out of memory as such, and nothing else', () => {
    for (const m of [
      'Out of Memory Error: could not allocate block of size 256.0 KiB (122.0 MiB/122.0 MiB used)',
      'Out of Memory Error: failed to pin block of size 256.0 KiB (122.0 MiB/122.0 MiB used)',
      'Failed to append: failed to allocate data of size 16.0 KiB (16.0 MiB/16.0 MiB used)',
    ])
      expect(isOutOfMemory(m), m).toBe(true);
    expect(isOutOfMemory(ENOSPC)).toBe(false);
    expect(isOutOfMemory('Constraint Error: Duplicate key')).toBe(false);
    expect(isStorageFull(ENOSPC)).toBe(true);
  });
});
