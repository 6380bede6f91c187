// The write path against a loopback imitation of /api/v2/write: nothing is acknowledged before InfluxDB answered
// 204, 429/503/timeouts are retried (honouring Retry-After) with the very same lines, 400 is not retried.
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../../test/support/helpers.js';
import { InfluxImitation, json } from '../../../test/support/influx-imitation.js';
import { imitationStore } from '../../../test/support/influx-imitation-contract.js';
import { AppError } from '../../errors.js';
import { failureKindOf } from '../../model/fingerprint.js';
import { makeSeries, WriteBatch } from '../../model/result.js';
import { batchToLines, nanos } from './lines.js';
import { LineWriter, parseRetryAfter } from './writer.js';

let influx: InfluxImitation;
beforeEach(async () => {
  influx = await new InfluxImitation().start();
});
afterEach(async () => {
  await influx.stop();
});

/** A writer whose sleeps are recorded and skipped, and whose clock advances by them. */
function writer(opts: { timeoutMs?: number; maxLines?: number; maxRetryMs?: number } = {}) {
  const delays: number[] = [];
  let clock = 0;
  const client = new InfluxDB({ url: influx.url, token: 'test-token', timeout: opts.timeoutMs ?? 5000 });
  const w = new LineWriter(client, {
    org: 'acme',
    bucket: 'resultant',
    maxLines: opts.maxLines ?? 5000,
    maxRetryMs: opts.maxRetryMs ?? 30_000,
    sleep: async (ms) => {
      delays.push(ms);
      clock += ms;
    },
    now: () => clock,
  });
  return { w, delays };
}

const writes = () => influx.requests.filter((r) => r.path === '/api/v2/write');

describe('LineWriter', () => {
  it('sends lines with ns precision to the bucket and resolves only after the 204', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let answered = false;
    influx.writeAnswers.push(async (_r, res) => {
      await held;
      answered = true;
      res.writeHead(204).end();
    });
    const { w } = writer();
    let resolved = false;
    const p = w.write(['m,a=b f=1 1', 'm,a=b f=2 2']).then(() => (resolved = true));
    while (writes().length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    expect(resolved).toBe(false);
    release();
    await p;
    expect(answered).toBe(true);
    const req = writes()[0]!;
    expect(req.query.get('precision')).toBe('ns');
    expect(req.query.get('bucket')).toBe('resultant');
    expect(req.query.get('org')).toBe('acme');
    expect(req.body).toBe('m,a=b f=1 1\nm,a=b f=2 2');
  });

  it('waits as long as Retry-After says on 429, then sends the same lines again', async () => {
    influx.writeAnswers.push((_r, res) => {
      res
        .writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' })
        .end('{"code":"too many requests","message":"slow down"}');
    });
    const { w, delays } = writer();
    await w.write(['a f=1 1']);
    expect(delays).toEqual([7000]);
    expect(writes().map((r) => r.body)).toEqual(['a f=1 1', 'a f=1 1']);
  });

  it('retries 503 with growing backoff', async () => {
    for (let i = 0; i < 2; i++)
      influx.writeAnswers.push((_r, res) => json(res, 503, { code: 'unavailable', message: 'busy' }));
    const { w, delays } = writer();
    await w.write(['a f=1 1']);
    expect(delays).toEqual([200, 400]);
    expect(writes()).toHaveLength(3);
  });

  it('retries a request that timed out, and resolves only with the later 204', async () => {
    influx.writeAnswers.push(async () => {
      // never answers: the client gives up after its timeout
    });
    let answered = false;
    influx.writeAnswers.push(async (_r, res) => {
      await new Promise((r) => setImmediate(r));
      answered = true;
      res.writeHead(204).end();
    });
    // The retry is answered at once, so a timeout this generous never cuts it short, however busy the machine; the
    // hanging first request costs the test these 2 s.
    const { w } = writer({ timeoutMs: 2000 });
    await w.write(['a f=1 1']);
    expect(answered).toBe(true);
    expect(writes()).toHaveLength(2);
    expect(writes()[1]!.body).toBe('a f=1 1');
  });

  it('does not retry a 400 (field type conflict) and reports it as invalid', async () => {
    influx.writeAnswers.push((_r, res) =>
      json(res, 400, {
        code: 'invalid',
        message:
          'partial write: field type conflict: input field "latency_ms" on measurement "test_result" is type integer, already exists as type float',
      }),
    );
    const { w } = writer();
    const err = await w.write(['a f=1i 1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('invalid');
    expect((err as AppError).message).toMatch(/field type conflict/);
    expect(writes()).toHaveLength(1);
  });

  it('gives up after the retry deadline with 503 and a Retry-After', async () => {
    for (let i = 0; i < 50; i++)
      influx.writeAnswers.push((_r, res) => json(res, 503, { code: 'unavailable', message: 'busy' }));
    const { w } = writer({ maxRetryMs: 1000 });
    const err = await w.write(['a f=1 1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('unavailable');
    expect((err as AppError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(writes().length).toBeLessThan(10);
  });

  it('splits a large write into requests of at most maxLines, all acknowledged before it resolves', async () => {
    const { w } = writer({ maxLines: 5 });
    const lines = Array.from({ length: 12 }, (_, i) => `a f=${i} ${i}`);
    await w.write(lines);
    expect(
      writes()
        .map((r) => r.body.split('\n').length)
        .sort(),
    ).toEqual([2, 5, 5]);
    expect(
      writes()
        .flatMap((r) => r.body.split('\n'))
        .sort(),
    ).toEqual([...lines].sort());
  });

  it('fails the whole write when one chunk is refused', async () => {
    influx.writeAnswers.push((_r, res) => void res.writeHead(204).end());
    influx.writeAnswers.push((_r, res) => json(res, 400, { code: 'invalid', message: 'bad line' }));
    const { w } = writer({ maxLines: 1 });
    await expect(w.write(['a f=1 1', 'a f=2 2'])).rejects.toBeInstanceOf(AppError);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', Date.UTC(2026, 9, 21, 7, 28, 0))).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('line protocol of a batch', () => {
  it("writes metrics as floats, success as a boolean, failures as an integer, a failure's fingerprint as a string, tags escaped", () => {
    const b = new WriteBatch();
    b.addResult(
      makeSeries('test_result', { endpoint: 'a b,c=d', region: 'eu' }),
      1_700_000_000_000_001,
      false,
      200,
      { throughput: 3 },
      'time"out',
      'net',
    );
    b.addBreaker(makeSeries('circuit_breaker', { breaker: 'x' }), 1_700_000_000_000_002, 'open', 5);
    const lines = batchToLines(b);
    expect(lines.map((l) => l.replace(/ \d+$/, ''))).toEqual([
      `test_result,endpoint=a\\ b\\,c\\=d,region=eu error="time\\"out",error_type="net",fingerprint="${failureKindOf('net', 'time"out').fingerprint}",latency_ms=200,success=F,throughput=3`,
      'circuit_breaker,breaker=x failures=5i,state="open"',
    ]);
    // The microsecond, and the series' nanosecond suffix of 0..999.
    expect(lines[0]).toMatch(/ 1700000000000001\d{3}$/);
    expect(lines[1]).toMatch(/ 1700000000000002\d{3}$/);
  });

  it('writes the fingerprint of a failed result as a string field, and none with a success', () => {
    const b = new WriteBatch();
    const ser = makeSeries('test_result', { test: 'a' });
    b.addResult(ser, 1_700_000_000_000_001, false, null, null, 'timeout after 5012 ms', null);
    b.addResult(ser, 1_700_000_000_000_002, true, 12, null, null, null);
    b.addResult(ser, 1_700_000_000_000_003, false, null, null, null, 'AssertionError');
    const lines = batchToLines(b);
    const fp = failureKindOf(null, 'timeout after 5012 ms').fingerprint;
    expect(lines[0]!.replace(/ \d+$/, '')).toBe(
      `test_result,test=a error="timeout after 5012 ms",fingerprint="${fp}",success=F`,
    );
    expect(lines[1]).not.toContain('fingerprint');
    // Without a message the fingerprint is that of the placeholder pattern, with the error type.
    expect(lines[2]).toContain(`fingerprint="${failureKindOf('AssertionError', null).fingerprint}"`);
  });

  it('keeps the timestamp a failed result had before fingerprints were written (the hash leaves it out)', () => {
    const withFp = batchOf([
      { t: 7000, success: false, error: 'connect ECONNREFUSED 10.0.0.7:5432', tags: { e: 'x' } },
    ]);
    const without = batchOf([
      { t: 7000, success: false, error: 'connect ECONNREFUSED 10.0.0.7:5432', tags: { e: 'x' } },
    ]);
    // What a batch looked like to the writer before: no fingerprint.
    without.results.fingerprint.rows.splice(0);
    without.results.fingerprint.values.splice(0);
    const [a] = batchToLines(withFp);
    const [b] = batchToLines(without);
    expect(a).toContain('fingerprint=');
    expect(a!.split(' ').pop()).toBe(b!.split(' ').pop());
    expect(a!.replace(/,fingerprint="[0-9a-f]{16}"/, '')).toBe(b);
  });

  it('gives points of one series at one microsecond one timestamp (the later replaces the earlier), other series their own', () => {
    const b = batchOf([
      { t: 1000, latency: 1, tags: { e: 'x' } },
      { t: 1000, latency: 3, tags: { e: 'x' } },
      { t: 1000, latency: 3, tags: { e: 'y' } },
    ]);
    const ts = batchToLines(b).map((l) => l.split(' ').pop()!);
    expect(ts[0]).toBe(ts[1]);
    expect(ts[2]).not.toBe(ts[0]);
    for (const t of ts) expect(BigInt(t) / 1000n).toBe(BigInt(nanos(1_000_000, 0)) / 1000n);
    // The suffix belongs to the series, whatever its fields: a changed point still replaces the stored one.
    const later = batchOf([{ t: 1000, success: false, latency: null, error: 'timeout', tags: { e: 'x' } }]);
    expect(batchToLines(later)[0]!.split(' ').pop()).toBe(ts[0]);
  });

  it('gives the same results the same timestamps, alone or written together with others', () => {
    // A group write that failed part-way is written again request by request: the lines must be the very same, so
    // that what InfluxDB stored the first time is overwritten, not stored twice.
    const a = batchOf([
      { t: 5000, latency: 1, tags: { e: 'x' } },
      { t: 5001, latency: 2, tags: { e: 'x' } },
    ]);
    const b = batchOf([
      { t: 5000, latency: 3, tags: { e: 'y' } },
      { t: 6000, latency: 4, tags: { e: 'x' } },
    ]);
    const merged = batchOf([
      { t: 5000, latency: 1, tags: { e: 'x' } },
      { t: 5001, latency: 2, tags: { e: 'x' } },
      { t: 5000, latency: 3, tags: { e: 'y' } },
      { t: 6000, latency: 4, tags: { e: 'x' } },
    ]);
    expect(batchToLines(merged)).toEqual([...batchToLines(a), ...batchToLines(b)]);
    expect(batchToLines(a)).toEqual(batchToLines(a));
  });

  it('InfluxStore.write resolves after the server stored the lines', async () => {
    const store = imitationStore(influx);
    await store.write(batchOf([{ t: Date.UTC(2026, 10, 21), latency: 12, tags: { endpoint: 'api' } }]));
    expect(writes()).toHaveLength(1);
    expect(writes()[0]!.body).toMatch(
      new RegExp(`^test_result,endpoint=api latency_ms=12,success=T ${Date.UTC(2026, 10, 21)}000\\d{3}$`),
    );
    await store.close();
  });
});
