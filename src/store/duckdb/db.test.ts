// The reader pool stops the work of a request whose client went away: on a real in-memory DuckDB, a running query
// is interrupted, a caller waiting for a connection leaves the queue, and the connections stay usable.
import { describe, expect, it } from 'vitest';
import { Cancelled, withCancellation } from '../../cancellation.js';
import { ConnectionPool, DuckDBInstance } from './db.js';

/** A query that runs for minutes unless it is interrupted. */
const SLOW = 'SELECT count(*) FROM range(200000000000) t(i) WHERE i % 7 = 3';

async function pool(n: number): Promise<ConnectionPool> {
  const db = await DuckDBInstance.create(':memory:');
  return new ConnectionPool(await Promise.all(Array.from({ length: n }, () => db.connect())));
}

describe('reader pool and cancellation', () => {
  it('interrupts the running query when the request is given up, and the connection serves the next caller', async () => {
    const p = await pool(1);
    const gone = new AbortController();
    const running = withCancellation(gone.signal, () => p.use((c) => c.run(SLOW)));
    setTimeout(() => gone.abort(), 100);
    await expect(running).rejects.toBeInstanceOf(Cancelled);
    const rows = await p.use(async (c) => (await c.runAndReadAll('SELECT 42 AS x')).getRowObjectsJS());
    expect(rows).toEqual([{ x: 42 }]);
  });

  it('interrupts a query given up before DuckDB has started it', async () => {
    const p = await pool(1);
    const gone = new AbortController();
    const running = withCancellation(gone.signal, () => p.use((c) => c.run(SLOW)));
    // At once: the query is still on its way to DuckDB's thread, where an interrupt alone would be lost.
    gone.abort();
    await expect(running).rejects.toBeInstanceOf(Cancelled);
    expect(await p.use(async () => 'free')).toBe('free');
  }, 20_000);

  it('takes a caller whose request was given up out of the wait for a connection, and starts nothing for it', async () => {
    const p = await pool(1);
    const first = new AbortController();
    const busy = withCancellation(first.signal, () => p.use((c) => c.run(SLOW)));
    const waiting = new AbortController();
    let started = false;
    const queued = withCancellation(waiting.signal, () =>
      p.use(async () => {
        started = true;
      }),
    );
    waiting.abort();
    await expect(queued).rejects.toBeInstanceOf(Cancelled);
    // Already gone before asking: refused at once.
    await expect(withCancellation(waiting.signal, () => p.use(async () => 1))).rejects.toBeInstanceOf(Cancelled);
    first.abort();
    await expect(busy).rejects.toBeInstanceOf(Cancelled);
    expect(started).toBe(false);
    // The one connection went back to the pool, not to the caller that left.
    expect(await p.use(async () => 'free')).toBe('free');
  });

  it('leaves work outside any request alone', async () => {
    const p = await pool(1);
    const rows = await p.use(async (c) =>
      (await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM range(1000)')).getRowObjectsJS(),
    );
    expect(rows).toEqual([{ n: 1000 }]);
  });
});
