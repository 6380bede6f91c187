// Admission of writes on a real loopback server with a real DuckDB store: concurrent large bodies beyond the budget
// are refused (503 + Retry-After) from their headers, before their bodies have even been sent, and the admitted
// ones are all stored; reservations follow what was read and end with the request.
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { batchOf } from '../../test/support/helpers.js';
import { startTestServer, type TestServer } from '../../test/support/server.js';

let srv: TestServer | null = null;
afterEach(async () => {
  await srv?.close();
  srv = null;
});

const T0 = Date.UTC(2026, 10, 21, 10);

/** `lines` test_result lines of one client (4 tags, 3 fields, one a second from T0), about 90 bytes each. */
function lineProtocol(client: string, lines: number, firstBad?: number): string {
  const out: string[] = [];
  for (let k = 0; k < lines; k++) {
    const s = k % 24;
    const fields =
      k + 1 === firstBad ? 'latency_ms=5' : `success=${k % 97 !== 0},latency_ms=${20 + (k % 7) * 5},ttfb=${k % 5}`;
    out.push(
      `test_result,region=${['eu', 'us', 'ap'][s % 3]},svc=a${s % 4},test=t${s % 6},vm=${client} ${fields} ${T0 + k * 1000}000000`,
    );
  }
  return out.join('\n');
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

/** A request whose body is sent in two steps: `first` bytes at once, the rest on finish(). */
interface Upload {
  answer: Promise<Answer>;
  finish(): void;
  abort(): void;
}

function upload(url: string, body: Buffer, first: number, headers: Record<string, string | number>): Upload {
  const u = new URL(url);
  let settle!: (a: Answer) => void;
  let fail!: (e: unknown) => void;
  const answer = new Promise<Answer>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const req = request(
    {
      host: u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
      method: 'POST',
      agent: false,
      headers: { 'Content-Type': 'text/plain', ...headers },
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        settle({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    },
  );
  // The server may answer, and stop listening, before the whole body is sent.
  req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : fail(e)));
  req.write(body.subarray(0, first));
  return {
    answer,
    finish: () => {
      if (!req.destroyed) req.end(body.subarray(first));
    },
    abort: () => req.destroy(),
  };
}

/** The answer, or 'no answer' when none came within `ms` (a generous bound: early refusals take milliseconds). */
const within = (p: Promise<Answer>, ms: number): Promise<Answer | 'no answer'> =>
  Promise.race([p, new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), ms))]);

async function admittedBytes(s: TestServer): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  return Number(/^resultant_ingest_admitted_bytes (\d+)/m.exec(text)![1]);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  // Up to 30 s, for a busy machine; an idle one gets there in milliseconds.
  for (let i = 0; i < 1500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  expect(await check()).toBe(true);
}

async function stored(s: TestServer): Promise<number> {
  return (await s.store.series({ start: 0, stop: 1e16, filters: {}, limit: 10_000 })).reduce((a, x) => a + x.count, 0);
}

const WRITE = '/api/v2/write?precision=ns';
const gzipHeaders = (body: Buffer) => ({ 'Content-Encoding': 'gzip', 'Content-Length': body.length });

describe('admission of writes', () => {
  it('refuses concurrent large gzip writes beyond the budget before their bodies are sent, and stores the admitted ones', async () => {
    const s = (srv = await startTestServer({ maxBodyBytes: 4_000_000, ingestMaxBytes: 4_000_000 }));
    const LINES = 30_000;
    const bodies = ['a', 'b', 'c', 'd'].map((c) => gzipSync(lineProtocol(c, LINES)));
    const half = (b: Buffer) => Math.floor(b.length / 2);

    // The first write is admitted and is being read: half its body sent, the rest held back.
    const first = upload(`${s.url}${WRITE}`, bodies[0]!, half(bodies[0]!), gzipHeaders(bodies[0]!));
    await until(async () => (await admittedBytes(s)) > 0);
    const reserved = await admittedBytes(s);

    // Three more arrive while it is in flight. Each sends only half its body: an answer can come only from the
    // headers, since the server cannot have decompressed (or even received) what was not sent.
    const others = bodies.slice(1).map((b) => upload(`${s.url}${WRITE}`, b, half(b), gzipHeaders(b)));
    const answers = await Promise.all(others.map((o) => within(o.answer, 15_000)));
    for (const a of answers) {
      expect(a, 'answered while its body was still unsent').not.toBe('no answer');
      if (a === 'no answer') return;
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(JSON.parse(a.body)).toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/large writes are being read/),
      });
    }
    // The refused writes reserved nothing.
    expect(await admittedBytes(s)).toBe(reserved);
    for (const o of others) o.finish();

    first.finish();
    expect((await first.answer).status).toBe(204);
    expect(await stored(s)).toBe(LINES);
    await until(async () => (await admittedBytes(s)) === 0);

    // The refused clients retry (one after another, as the budget holds one such body) and are stored.
    for (const b of bodies.slice(1)) {
      const retry = upload(`${s.url}${WRITE}`, b, b.length, gzipHeaders(b));
      retry.finish();
      expect((await retry.answer).status).toBe(204);
    }
    expect(await stored(s)).toBe(4 * LINES);
  });

  it('admits one write larger than the whole budget when nothing else is in flight', async () => {
    const s = (srv = await startTestServer({ ingestMaxBytes: 1024 * 1024 }));
    const body = Buffer.from(lineProtocol('a', 30_000));
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const res = await fetch(`${s.url}${WRITE}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(204);
    expect(await stored(s)).toBe(30_000);
  });

  it('refuses a write the ingest queue has no room for, by its estimated points, before its body is sent', async () => {
    const s = (srv = await startTestServer({ queueMaxPoints: 1000 }));
    // In flight: a plain body of 1,200 lines, over the queue by itself (admitted: nothing else is in flight).
    const big = Buffer.from(lineProtocol('a', 1200));
    const first = upload(`${s.url}${WRITE}`, big, 1000, { 'Content-Length': big.length });
    await until(async () => (await admittedBytes(s)) > 0);
    // A small write fits the byte budget easily, but not beside the first one's points.
    const small = Buffer.from(lineProtocol('b', 10));
    const second = upload(`${s.url}${WRITE}`, small, 10, { 'Content-Length': small.length });
    const a = await within(second.answer, 15_000);
    expect(a).not.toBe('no answer');
    if (a === 'no answer') return;
    expect(a.status).toBe(503);
    expect(a.retryAfter).toBe('1');
    expect(JSON.parse(a.body)).toMatchObject({ message: expect.stringMatching(/ingest queue has no room/) });
    second.finish();
    first.finish();
    expect((await first.answer).status).toBe(204);
    expect(await stored(s)).toBe(1200);
  });

  it('counts a chunked body as it arrives, so smaller writes still fit beside it, and lets it grow past the budget when it is the oldest', async () => {
    const s = (srv = await startTestServer({ ingestMaxBytes: 2 * 1024 * 1024 }));
    const body = Buffer.from(lineProtocol('a', 40_000));
    expect(body.length).toBeGreaterThan(3 * 1024 * 1024);
    // No Content-Length: Node sends it chunked.
    const chunked = upload(`${s.url}${WRITE}`, body, 256 * 1024, {});
    await until(async () => (await admittedBytes(s)) > 0);
    const small = await fetch(`${s.url}${WRITE}`, {
      method: 'POST',
      body: lineProtocol('b', 100),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(small.status).toBe(204);
    chunked.finish();
    expect((await chunked.answer).status).toBe(204);
    expect(await stored(s)).toBe(40_100);
  });

  it('releases the reservation of a write whose client goes away mid-body', async () => {
    const s = (srv = await startTestServer({ maxBodyBytes: 4_000_000, ingestMaxBytes: 4_000_000 }));
    const body = gzipSync(lineProtocol('a', 30_000));
    const gone = upload(`${s.url}${WRITE}`, body, Math.floor(body.length / 2), gzipHeaders(body));
    await until(async () => (await admittedBytes(s)) > 0);
    gone.abort();
    await until(async () => (await admittedBytes(s)) === 0);
    const again = upload(`${s.url}${WRITE}`, body, body.length, gzipHeaders(body));
    again.finish();
    expect((await again.answer).status).toBe(204);
    expect(await stored(s)).toBe(30_000);
  });

  it('names the bad line of a large body by its number in the whole body, and writes nothing', async () => {
    const s = (srv = await startTestServer());
    const body = gzipSync(lineProtocol('a', 50_000, 41_234));
    const res = await fetch(`${s.url}${WRITE}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ line: 41_234, message: 'line 41234: field "success" is missing' });
    expect(await stored(s)).toBe(0);
    expect(await admittedBytes(s)).toBe(0);
  });

  it('stamps the untimed lines of a body parsed in several slices a microsecond apart, so none replaces another', async () => {
    const s = (srv = await startTestServer());
    // About 2.4 MB: three slices, every line of one series and without a timestamp.
    const body = Array.from(
      { length: 60_000 },
      (_, k) => `test_result,endpoint=untimed success=true,latency_ms=${k % 50},note_id=${k}`,
    ).join('\n');
    const res = await fetch(`${s.url}${WRITE}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
    expect(res.status).toBe(204);
    expect(await stored(s)).toBe(60_000);
  });

  it('still refuses with 503 when points queued by others fill the queue', async () => {
    const s = (srv = await startTestServer({ queueMaxPoints: 1000 }));
    const rows = Array.from({ length: 100_000 }, (_, i) => ({ t: T0 + i, latency: 1, tags: { e: String(i % 50) } }));
    const pending = s.queue.submit(batchOf(rows));
    const body = Buffer.from(lineProtocol('a', 10));
    const w = upload(`${s.url}${WRITE}`, body, 10, { 'Content-Length': body.length });
    const a = await within(w.answer, 15_000);
    expect(a).not.toBe('no answer');
    if (a !== 'no answer') expect(a.status).toBe(503);
    w.finish();
    await pending;
    expect(await stored(s)).toBe(100_000);
  });
});
