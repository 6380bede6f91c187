import { afterEach, describe, expect, it } from 'vitest';
import { batchOf, HOUR } from '../../test/helpers.js';
import { fixedClock } from '../clock.js';
import { type Logger, silentLogger } from '../logger.js';
import { DuckDBStore } from '../store/duckdb/index.js';
import { runRetention, runRollup, skipWhileRunning, startTasks } from './index.js';

const T0 = Date.UTC(2026, 10, 21, 10);
let store: DuckDBStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe('scheduled tasks', () => {
  it('rolls up closed hours as the clock moves, and reports the lag', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0 + 30 * 60_000);
    await store.write(batchOf([{ t: T0 - 2 * HOUR, latency: 1 }, { t: T0 + 60_000, latency: 2 }]));
    expect((await store.status(clock.now())).rollupLagSeconds).toBe(2 * 3600);
    const r1 = await runRollup({ store, clock, logger: silentLogger });
    expect(r1!.hourlyWatermark).toBe(T0); // the open hour stays raw
    expect((await store.status(clock.now())).rollupLagSeconds).toBe(0);
    clock.advance(HOUR);
    const r2 = await runRollup({ store, clock, logger: silentLogger });
    expect(r2!.hourlyWatermark).toBe(T0 + HOUR);
    expect(r2!.hoursRolledUp).toBe(1);
  });

  it('applies retention per level', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0);
    await store.write(batchOf([{ t: T0 - 40 * 24 * HOUR, latency: 1 }, { t: T0 - HOUR, latency: 2 }]));
    const r = await runRetention({ store, clock, logger: silentLogger }, { rawDays: 30, hourlyDays: 400, dailyDays: 0 });
    expect(r).toMatchObject({ rawDeleted: 1, hourlyDeleted: 0, dailyDeleted: 0 });
  });

  it('runs the rollup on its cron schedule', async () => {
    store = await DuckDBStore.open({ path: ':memory:', timezone: 'UTC', rawRetentionDays: 3650 });
    const clock = fixedClock(T0 + 30 * 60_000);
    await store.write(batchOf([{ t: T0 - 5 * HOUR, latency: 1 }]));
    const stop = startTasks(
      { store, clock, logger: silentLogger },
      { rollupCron: '* * * * * *', retentionCron: '0 0 1 1 *', retention: { rawDays: 30, hourlyDays: 400, dailyDays: 0 } },
    );
    try {
      for (let i = 0; i < 50 && (await store.status(clock.now())).rollupLagSeconds > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await store.status(clock.now())).rollupLagSeconds).toBe(0);
      await store.write(batchOf([{ t: T0 - 4 * HOUR, latency: 9 }])); // late: dirty until the next tick
      expect((await store.status(clock.now())).dirtyHours).toBe(1);
      for (let i = 0; i < 30 && (await store.status(clock.now())).dirtyHours > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await store.status(clock.now())).dirtyHours).toBe(0);
    } finally {
      await stop();
    }
  });

  it('skips a tick while the same task still runs, says so at debug, and runs again once it has finished', async () => {
    const debug: unknown[] = [];
    const logger: Logger = {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      debug: (obj: object | string) => void debug.push(obj),
      child: () => logger,
    };
    let calls = 0;
    let finish: () => void = () => undefined;
    const tick = skipWhileRunning('rollup', logger, () => {
      calls++;
      return new Promise<void>((r) => (finish = r));
    });
    const first = tick();
    const second = tick();
    expect(calls).toBe(1);
    expect(second).toBe(first);
    expect(debug).toEqual([{ task: 'rollup' }]);
    finish();
    await first;
    const third = tick();
    expect(calls).toBe(2);
    finish();
    await third;
  });

  it('a failed run does not keep later ticks from running', async () => {
    let calls = 0;
    const tick = skipWhileRunning('notify', silentLogger, async () => {
      calls++;
      throw new Error('boom');
    });
    await expect(tick()).rejects.toThrow('boom');
    await expect(tick()).rejects.toThrow('boom');
    expect(calls).toBe(2);
  });
});
