// The admission budget of writes: what is admitted and refused, how reservations grow with what is read and end
// when a write's batch goes to the queue, and that a lone write or the oldest one is never stopped by the budget.
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../test/support/helpers.js';
import { AppError } from '../errors.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { estimateDecodedBytes, GZIP_EXPANSION, UNKNOWN_LENGTH_START, WriteAdmission } from './admission.js';
import { IngestQueue } from './queue.js';

let store: DuckDBStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

async function queueOf(maxPoints: number): Promise<IngestQueue> {
  store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
  return new IngestQueue(store, { maxPoints });
}

function refusal(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('not refused');
}

describe('write admission', () => {
  it('estimates a body from its headers: its length, gzip as expanding, chunked as a first slice, never over the limit', () => {
    expect(estimateDecodedBytes({ contentLength: 1000, gzip: false }, 25_000_000)).toBe(1000);
    expect(estimateDecodedBytes({ contentLength: 1000, gzip: true }, 25_000_000)).toBe(1000 * GZIP_EXPANSION);
    expect(estimateDecodedBytes({ contentLength: 1_000_000, gzip: true }, 25_000_000)).toBe(25_000_000);
    expect(estimateDecodedBytes({ contentLength: undefined, gzip: true }, 25_000_000)).toBe(UNKNOWN_LENGTH_START);
  });

  it('refuses what does not fit beside the writes in flight with 503 and Retry-After, and admits it once they are done', async () => {
    const a = new WriteAdmission(await queueOf(1_000_000), { maxBytes: 100 });
    const first = a.admit(60, 1);
    const second = a.admit(40, 1);
    const refused = refusal(() => a.admit(1, 1));
    expect(refused.code).toBe('unavailable');
    expect(refused.retryAfter).toBe(1);
    expect(a.reservedBytes).toBe(100);
    first.release();
    first.release();
    expect(a.reservedBytes).toBe(40);
    second.release();
    // Alone, a write larger than the whole budget is admitted.
    const lone = a.admit(500, 1);
    expect(a.reservedBytes).toBe(500);
    lone.release();
    expect([a.reservedBytes, a.writes]).toEqual([0, 0]);
  });

  it('grows a reservation with the bytes read, refusing a younger write that outgrows the room but never the oldest', async () => {
    const a = new WriteAdmission(await queueOf(1_000_000), { maxBytes: 100 });
    const oldest = a.admit(50, 1);
    const younger = a.admit(30, 1);
    younger.read(20);
    expect(a.reservedBytes).toBe(80);
    expect(refusal(() => younger.read(60)).code).toBe('unavailable');
    expect(a.reservedBytes).toBe(80);
    oldest.read(90);
    expect(a.reservedBytes).toBe(120);
    oldest.release();
    younger.release();
    expect(a.reservedBytes).toBe(0);
  });

  it('refuses a write whose estimated points do not fit in the queue beside what waits there and what is being read', async () => {
    const q = await queueOf(1000);
    const a = new WriteAdmission(q, { maxBytes: 1_000_000 });
    const reading = a.admit(6400, 64); // about 100 points
    const written = q.submit(batchOf(Array.from({ length: 800 }, (_, i) => ({ t: Date.UTC(2026, 10, 21) + i }))));
    expect(q.depth).toBe(800);
    expect(refusal(() => a.admit(64 * 101, 64)).message).toMatch(/ingest queue has no room/);
    const fits = a.admit(64 * 100, 64);
    // Once a write's batch goes to the queue, the queue counts its points, not the admission.
    reading.release();
    fits.release();
    a.admit(64 * 200, 64).release();
    await written;
  });
});
