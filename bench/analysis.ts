// Analyses and reports at fleet scale, as a user meets them: the built service started with default settings (as
// `npm start` runs it), the demo fleet sent to it by `resultant demo --url` (line protocol over HTTP, as the README
// shows), the rollups caught up, then every analysis endpoint and every report type over the whole history, each
// asked twice (the first answer, and the same request again), and the service's peak resident memory (VmHWM,
// tracked by the kernel) after each step.
//
//   npm run bench:analysis                       # a week of the demo fleet (about 2 M results)
//   BENCH_DAYS=29.9 BENCH_ENDPOINTS=60 npm run bench:analysis   # 30 days, about 10 M results
//
// BENCH_ROOT runs another checkout's built service and CLI (e.g. an older commit, for before/after figures);
// BENCH_DB starts the service on a copy of a database file the demo already filled instead of sending the demo;
// BENCH_SAVE_DB keeps this run's database file there (to run BENCH_DB against it later).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_ROOT, machine, peakRssMb, resetPeakRss, START_ENV, START_FLAGS, startServiceChild } from './common.js';

const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS ?? 50);
const ROOT = BENCH_ROOT ?? new URL('..', import.meta.url);
const KINDS = [
  'trends',
  'regressions',
  'anomalies',
  'failure-patterns',
  'flaky-tests',
  'workload',
  'circuit-breakers',
  'comparison',
];
const REPORTS = ['summary', 'performance', 'anomaly', 'availability', 'comprehensive'];
/** Per request: a service that takes longer has failed the bench (the old build took up to 3 minutes a report). */
const REQUEST_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 600_000);

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
    c.on('error', reject);
    c.on('exit', (code) => resolve(code ?? 1));
  });
}

interface Timed {
  status: number;
  ms: number;
  bytes: number;
}

async function timed(url: URL, init: RequestInit = {}): Promise<Timed> {
  const t = performance.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t, bytes: body.byteLength };
  } catch {
    return { status: 0, ms: performance.now() - t, bytes: 0 };
  }
}

const sec = (t: Timed): string =>
  t.status === 200
    ? `${(t.ms / 1000).toFixed(2)} s`
    : `**${t.status || 'timeout'}** after ${(t.ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-analysis-'));
  const db = join(dir, 'bench.duckdb');
  try {
    const bin = new URL('bin/resultant.js', ROOT).pathname;
    if (process.env.BENCH_DB) {
      copyFileSync(process.env.BENCH_DB, db);
      if (existsSync(`${process.env.BENCH_DB}.wal`)) copyFileSync(`${process.env.BENCH_DB}.wal`, `${db}.wal`);
    }
    const svc = await startServiceChild({ RESULTANT_DB_PATH: db, ...START_ENV }, ROOT);
    let t = performance.now();
    if (!process.env.BENCH_DB) {
      const code = await run(process.execPath, [
        bin,
        'demo',
        '--days',
        String(DAYS),
        '--endpoints',
        String(ENDPOINTS),
        '--url',
        svc.url.href,
      ]);
      if (code !== 0) throw new Error(`resultant demo exited with ${code}`);
    }
    const demoS = (performance.now() - t) / 1000;
    const afterDemo = peakRssMb(svc.pid);
    t = performance.now();
    // The rollup task catches up with the demo's history (every minute, as configured by default).
    for (;;) {
      const h = (await (await fetch(new URL('/health', svc.url))).json()) as {
        checks: { name: string; lag_seconds?: number; dirty_hours?: number }[];
      };
      const r = h.checks.find((c) => c.name === 'rollup');
      if (r && r.lag_seconds === 0 && r.dirty_hours === 0) break;
      await new Promise((res) => setTimeout(res, 2000));
    }
    const catchUpS = (performance.now() - t) / 1000;
    const afterCatchUp = peakRssMb(svc.pid);
    // From here on the peak covers the analyses and reports alone (ingest has its own bench, bench:ingest).
    resetPeakRss(svc.pid);

    const stop = Date.now();
    const start = stop - Math.round(DAYS * 86_400_000);
    const window = `start=${new Date(start).toISOString()}&stop=${new Date(stop).toISOString()}`;
    const results: { what: string; first: Timed; again: Timed; peak: number }[] = [];
    for (const kind of KINDS) {
      const url = new URL(
        `/api/v1/analysis/${kind}?${window}${kind === 'comparison' ? '&dimension=hardware' : ''}`,
        svc.url,
      );
      const first = await timed(url);
      const again = await timed(url);
      results.push({ what: `analysis ${kind}`, first, again, peak: peakRssMb(svc.pid) });
      console.error(`${kind}: ${sec(first)}, again ${sec(again)}`);
    }
    for (const type of REPORTS) {
      const init: RequestInit = {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ type, format: 'html', days: DAYS }),
      };
      const url = new URL('/api/v1/reports', svc.url);
      const first = await timed(url, init);
      const again = await timed(url, init);
      results.push({ what: `report ${type} (html)`, first, again, peak: peakRssMb(svc.pid) });
      console.error(`${type}: ${sec(first)}, again ${sec(again)} (${first.bytes} bytes)`);
    }
    const peak = await svc.stop();
    if (process.env.BENCH_SAVE_DB) copyFileSync(db, process.env.BENCH_SAVE_DB);

    console.log(
      `\n## Analyses and reports over ${DAYS} days of the demo fleet (${ENDPOINTS} endpoints), ${new Date().toISOString().slice(0, 10)}\n`,
    );
    const env = [...Object.entries(START_ENV).map(([k, v]) => `${k}=${v}`), ...START_FLAGS];
    console.log(
      `${machine()}; service: ${ROOT.pathname}, default settings${env.length ? `, ${env.join(' ')} as npm start sets it` : ''}`,
    );
    console.log(
      `demo sent over HTTP in ${demoS.toFixed(0)} s (peak RSS ${afterDemo} MB); rollups caught up ${catchUpS.toFixed(0)} s later (peak RSS ${afterCatchUp} MB)\n`,
    );
    console.log('| request | first | again | peak RSS since the analyses began |');
    console.log('|---|---|---|---|');
    for (const r of results) console.log(`| ${r.what} | ${sec(r.first)} | ${sec(r.again)} | ${r.peak} MB |`);
    console.log(
      `\nservice peak RSS (VmHWM): ${Math.max(afterDemo, afterCatchUp)} MB while the demo was written and rolled up, ${peak} MB over the analyses and reports`,
    );
    const failed = results.filter((r) => r.first.status !== 200 || r.again.status !== 200);
    if (failed.length)
      console.log(`\n${failed.length} request(s) did not answer 200: ${failed.map((r) => r.what).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
