// A full disk under the service: writes answer 503 with Retry-After and a plain message, /health fails its disk
// check, and no acknowledged write is lost or damaged. The service runs as a child process on a really full file
// system: past a file-size limit (`ulimit -f`: EFBIG, any user), and, as root, on a small tmpfs (ENOSPC) from
// which space is then freed while it runs. A small checkpoint threshold makes DuckDB checkpoint into the full
// file, which invalidates the database (see src/store/duckdb/storage-errors.ts): the service reopens it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serve } from '../support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-disk-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SIZE = 1000;
const t0 = Date.now() - 3_600_000;

/** Request `i`: SIZE points with their own timestamps, and latencies that do not compress away. */
function batch(i: number): string {
  return Array.from({ length: SIZE }, (_, j) => {
    const failed = j % 9 === 0;
    const fields = `success=${!failed},latency_ms=${Math.round(Math.random() * 1e6) / 100}${failed ? `,error="timeout after ${j % 5}s"` : ''}`;
    return `test_result,endpoint=e${j % 13},batch=b${i % 7} ${fields} ${(t0 + i * SIZE + j) * 1_000_000}`;
  }).join('\n');
}

interface Refusal {
  status: number;
  retryAfter: string | null;
  body: { code?: string; message?: string };
}

/** Writes requests one after the other from request `from` until one is refused; counts the acknowledged points. */
async function writeUntilRefused(
  url: string,
  from: number,
): Promise<{ acked: number; next: number; refusal: Refusal }> {
  let acked = 0;
  for (let i = from; i < from + 2000; i++) {
    const res = await fetch(`${url}/api/v2/write`, { method: 'POST', body: batch(i) });
    if (res.status === 204) {
      acked += SIZE;
      continue;
    }
    const body = (await res.json()) as Refusal['body'];
    return { acked, next: i + 1, refusal: { status: res.status, retryAfter: res.headers.get('retry-after'), body } };
  }
  throw new Error('the disk never filled up');
}

async function write(url: string, i: number): Promise<number> {
  return (await fetch(`${url}/api/v2/write`, { method: 'POST', body: batch(i) })).status;
}

async function storedPoints(url: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/series`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { series: { count: number }[] };
  return body.series.reduce((a, s) => a + s.count, 0);
}

interface Health {
  status: string;
  checks: { name: string; status: string; message?: string }[];
}

async function health(url: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(`${url}/health`);
  return { code: res.status, body: (await res.json()) as Health };
}

/** What every refusal for lack of space looks like: 503, Retry-After, a message for people, no internals. */
function expectStorageFullRefusal(r: Refusal): void {
  expect(r.status).toBe(503);
  expect(Number(r.retryAfter)).toBeGreaterThan(0);
  expect(r.body.code).toBe('unavailable');
  expect(r.body.message).toMatch(/disk that holds the database is full/);
  expect(r.body.message).toMatch(/nothing of this request was stored/);
  expect(r.body.message).not.toMatch(/duckdb|\.wal|File too large|No space left|Error:/i);
}

async function expectHealthSaysFull(url: string): Promise<void> {
  const h = await health(url);
  expect(h.code).toBe(503);
  expect(h.body.status).toBe('fail');
  const disk = h.body.checks.find((c) => c.name === 'disk');
  expect(disk?.status).toBe('fail');
  expect(disk?.message).toMatch(/disk that holds the database is full/);
}

/** A checkpoint after every 256 KiB of log, so the file itself fills up and DuckDB's checkpoint fails. */
const SMALL_CHECKPOINTS = { RESULTANT_DUCKDB_CHECKPOINT_THRESHOLD: '256KiB', RESULTANT_LOG_LEVEL: 'info' };

describe('a full disk', () => {
  it('refuses writes with 503 and Retry-After, fails /health, and loses nothing acknowledged (file-size limit)', async () => {
    const env = { RESULTANT_DB_PATH: join(dir, 'limited', 'r.duckdb'), ...SMALL_CHECKPOINTS };
    mkdirSync(join(dir, 'limited'));
    const limited = await serve(env, { fileSizeLimitBytes: 4 * 1024 ** 2 });
    let acked = 0;
    let next = 0;
    try {
      const fill = await writeUntilRefused(limited.url, 0);
      acked = fill.acked;
      next = fill.next;
      expect(acked).toBeGreaterThan(0);
      expectStorageFullRefusal(fill.refusal);
      // Still full: refused again, the same way, and the service keeps running.
      const again = await fetch(`${limited.url}/api/v2/write`, { method: 'POST', body: batch(next++) });
      expect(again.status).toBe(503);
      expect(again.headers.get('retry-after')).toBe(fill.refusal.retryAfter);
      await expectHealthSaysFull(limited.url);
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      expect(metrics).toMatch(/^resultant_storage_full 1$/m);
      // Every acknowledged point is readable while the disk is full; no refused one is there.
      expect(await storedPoints(limited.url)).toBe(acked);
      // DuckDB invalidated the database when a commit's checkpoint could not write the file; the service reopened it.
      expect(limited.stdout()).toMatch(/DuckDB invalidated the database/);
      expect(limited.stdout()).toMatch(/reopened the database/);
      expect(limited.stdout()).not.toMatch(/internal error|unhandled/);
    } finally {
      limited.proc.kill('SIGTERM');
      await limited.exited;
    }

    // Room again (no limit): the file opens, holds exactly the acknowledged points, and takes writes.
    const free = await serve(env);
    try {
      expect(await storedPoints(free.url)).toBe(acked);
      expect(await write(free.url, next)).toBe(204);
      expect(await storedPoints(free.url)).toBe(acked + SIZE);
      const h = await health(free.url);
      expect(h.code).toBe(200);
      expect(h.body.checks.find((c) => c.name === 'disk')?.status).not.toBe('fail');
    } finally {
      free.proc.kill('SIGTERM');
      await free.exited;
    }
  });

  // Mounting a tmpfs needs root (CI containers without it skip this test).
  const mnt = join(dir, 'tmpfs');
  const mounted = ((): boolean => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
    try {
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mnt], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  afterAll(() => {
    if (mounted) execFileSync('umount', [mnt]);
  });

  it.skipIf(!mounted)('takes writes again, without a restart, once space is freed (tmpfs, as root)', async () => {
    const filler = join(mnt, 'filler');
    const fs = statfsSync(mnt);
    // Leave 5 MiB to the service.
    writeFileSync(filler, Buffer.alloc(fs.bavail * fs.bsize - 5 * 1024 ** 2));
    const s = await serve({ RESULTANT_DB_PATH: join(mnt, 'r.duckdb'), ...SMALL_CHECKPOINTS });
    try {
      const fill = await writeUntilRefused(s.url, 0);
      expect(fill.acked).toBeGreaterThan(0);
      expectStorageFullRefusal(fill.refusal);
      await expectHealthSaysFull(s.url);
      expect(await storedPoints(s.url)).toBe(fill.acked);

      rmSync(filler);
      // Writes are stored again, beside every point acknowledged before ...
      expect(await write(s.url, fill.next)).toBe(204);
      expect(await storedPoints(s.url)).toBe(fill.acked + SIZE);
      // ... and /health no longer says the disk is full. (The 16 MiB file system stays below the free space
      // /health wants, 64 MiB, so the disk check goes on failing, for that reason.)
      const disk = (await health(s.url)).body.checks.find((c) => c.name === 'disk');
      expect(disk?.message).toMatch(/less than 64 MiB free/);
      expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/^resultant_storage_full 0$/m);
      expect(s.stdout()).not.toMatch(/internal error|unhandled/);
    } finally {
      s.proc.kill('SIGTERM');
      await s.exited;
    }
  });
});
