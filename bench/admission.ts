// Memory under concurrent large bodies (issue 13, point 5): the built service in a child process with default
// settings, 10 clients on loopback each posting one ~24 MB (decoded) gzip body of 276,000 test_result lines at the
// same moment. Reports the service's peak RSS (VmHWM) and its RSS once the requests are done, how many requests
// were accepted and refused, the time to each answer, and checks that the store holds exactly the accepted results
// (one per series and second of the accepted bodies).
// BENCH_RETRY=1 then lets the refused clients retry (honouring Retry-After) until every body is stored. BENCH_ROOT
// runs another build (a folder with bin/ and dist/, e.g. a worktree of an older commit) with this same client.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BENCH_ROOT, machine, START_ENV, startServiceChild } from './common.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const LINES = Number(process.env.BENCH_LINES ?? 276_000);
const RETRY = process.env.BENCH_RETRY === '1';

/**
 * One client's body: 4 tags, 3 fields, one line per probe over the last hour (second precision), ~88 bytes a line,
 * and how many results it makes: one per series and second (the store keeps the last of each, as InfluxDB does).
 */
function body(client: number, nowS: number): { text: string; gzip: Buffer; results: number } {
  const lines: string[] = [];
  const kept = new Set<string>();
  for (let k = 0; k < LINES; k++) {
    const s = k % 24;
    const ok = k % 97 !== 0;
    const t = nowS - 3600 + Math.floor((k / LINES) * 3600);
    const series = `test_result,region=${['eu', 'us', 'ap'][s % 3]},svc=a${s % 4},test=t${s % 6},vm=c${client}`;
    lines.push(`${series} success=${ok},latency_ms=${20 + (k % 7) * 5},ttfb=${k % 5} ${t}`);
    kept.add(`${series} ${t}`);
  }
  const text = lines.join('\n');
  return { text, gzip: gzipSync(text), results: kept.size };
}

interface Outcome {
  client: number;
  status: number;
  retryAfter: string | null;
  /** From the start of the request to the response's headers. */
  answerMs: number;
}

function post(url: URL, client: number, gz: Buffer): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: '/api/v2/write?precision=s',
        method: 'POST',
        agent: false,
        headers: { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip', 'Content-Length': gz.length },
      },
      (res) => {
        const out: Outcome = {
          client,
          status: res.statusCode ?? 0,
          retryAfter: (res.headers['retry-after'] as string | undefined) ?? null,
          answerMs: Math.round(performance.now() - t0),
        };
        res.resume();
        res.on('end', () => resolve(out));
      },
    );
    // A refused request's connection may be closed by the service before the whole body is sent.
    req.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e),
    );
    req.end(gz);
  });
}

function rssMb(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]);
  return { peak: Math.round(kb('VmHWM') / 1024), now: Math.round(kb('VmRSS') / 1024) };
}

const nowS = Math.floor(Date.now() / 1000);
const bodies = Array.from({ length: CLIENTS }, (_, c) => body(c, nowS));
const decoded = bodies[0]!.text.length;
const compressed = bodies[0]!.gzip.length;
console.log(`machine: ${machine()}`);
console.log(
  `service: ${BENCH_ROOT ? BENCH_ROOT.pathname : 'this build'}, default settings, DuckDB file, ${JSON.stringify(START_ENV)}`,
);
console.log(
  `${CLIENTS} clients at once, each one gzip body: ${LINES.toLocaleString('en')} lines, ${(decoded / 1e6).toFixed(1)} MB decoded, ${(compressed / 1e3).toFixed(0)} KB sent (${(decoded / compressed).toFixed(1)}x)\n`,
);

const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-admission-'));
const service = await startServiceChild(
  { ...START_ENV, RESULTANT_DB_PATH: join(dir, 'bench.duckdb') },
  ...(BENCH_ROOT ? [BENCH_ROOT] : []),
);
const idle = rssMb(service.pid).now;
const t0 = performance.now();
const first = await Promise.all(bodies.map((b, c) => post(service.url, c, b.gzip)));
const allAnsweredS = (performance.now() - t0) / 1000;
const afterFirst = rssMb(service.pid);
await new Promise((r) => setTimeout(r, 3000));
const heldAfter3s = rssMb(service.pid).now;

let retries = 0;
let retryS = 0;
if (RETRY) {
  const tr = performance.now();
  await Promise.all(
    first
      .filter((o) => o.status !== 204)
      .map(async (o) => {
        let last = o;
        while (last.status === 503) {
          await new Promise((r) => setTimeout(r, Number(last.retryAfter ?? 1) * 1000));
          retries++;
          last = await post(service.url, o.client, bodies[o.client]!.gzip);
        }
        if (last.status !== 204) throw new Error(`client ${o.client}: status ${last.status}`);
      }),
  );
  retryS = (performance.now() - tr) / 1000;
}

const series = (await (await fetch(new URL('/api/v1/series', service.url))).json()) as { series: { count: number }[] };
const stored = series.series.reduce((a, s) => a + s.count, 0);
// The minutely rollup (default RESULTANT_ROLLUP_CRON) runs beside the writes and takes memory of its own (DuckDB).
const metrics = await (await fetch(new URL('/metrics', service.url))).text();
const rollupRuns = [...metrics.matchAll(/^resultant_rollup_runs_total\{[^}]*\} (\d+)/gm)].reduce(
  (a, m) => a + Number(m[1]),
  0,
);
const final = rssMb(service.pid);
await service.stop();
rmSync(dir, { recursive: true, force: true });

const accepted = first.filter((o) => o.status === 204);
const refused = first.filter((o) => o.status === 503);
const expected = (RETRY ? bodies : accepted.map((o) => bodies[o.client]!)).reduce((a, b) => a + b.results, 0);
console.log('| client | status | Retry-After | answer after ms |');
console.log('|---|---|---|---|');
for (const o of [...first].sort((a, b) => a.answerMs - b.answerMs)) {
  console.log(`| ${o.client} | ${o.status} | ${o.retryAfter ?? ''} | ${o.answerMs} |`);
}
const summary = {
  date: new Date().toISOString().slice(0, 10),
  machine: machine(),
  service: BENCH_ROOT ? BENCH_ROOT.pathname : 'this build',
  clients: CLIENTS,
  linesPerBody: LINES,
  decodedBytesPerBody: decoded,
  gzipBytesPerBody: compressed,
  accepted: accepted.length,
  refused503: refused.length,
  other: first.length - accepted.length - refused.length,
  refusalMs: refused.map((o) => o.answerMs).sort((a, b) => a - b),
  acceptedMs: accepted.map((o) => o.answerMs).sort((a, b) => a - b),
  allAnsweredS: Number(allAnsweredS.toFixed(1)),
  idleRssMb: idle,
  peakRssMbFirstRound: afterFirst.peak,
  rssMbAfterFirstRound: afterFirst.now,
  rssMbHeld3sLater: heldAfter3s,
  ...(RETRY ? { retries, retryRoundS: Number(retryS.toFixed(1)), peakRssMbWithRetries: final.peak } : {}),
  rollupRuns,
  storedResults: stored,
  storedEqualsAccepted: stored === expected,
};
console.log(`\n${JSON.stringify(summary)}`);
if (stored !== expected) process.exitCode = 1;
