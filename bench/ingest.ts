// Ingest over HTTP: the service in a child process on a DuckDB file, 4 concurrent clients on loopback posting
// 5,000-line batches of line protocol (plain and gzip). Reports points/s acknowledged, request latency,
// 503s, the server's peak RSS, and checks that the store holds exactly what was acknowledged.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkoutRoot, machine, pct, startServiceChild } from './common.js';

const POINTS = Number(process.env.BENCH_POINTS ?? 2_000_000);
const BATCH = 5000;
const CLIENTS = 4;

function batches(n: number, startMs: number): string[] {
  const out: string[] = [];
  let k = 0;
  for (let b = 0; b < n; b++) {
    const lines: string[] = [];
    for (let i = 0; i < BATCH; i++, k++) {
      const endpoint = `svc-${k % 100}`;
      const region = ['us-east', 'us-west', 'eu-west', 'ap-south'][k % 4];
      const worker = `w-${k % 20}`;
      const ok = k % 53 !== 0;
      const t = startMs + Math.floor((k / (n * BATCH)) * 4 * 3_600_000);
      const fields = ok
        ? `success=true,latency_ms=${(20 + (k % 997) / 7).toFixed(3)}`
        : `success=false,latency_ms=5000,error_type="timeout",error="timeout after 5000 ms to 10.0.${k % 200}.${k % 250}:443"`;
      lines.push(`test_result,endpoint=${endpoint},region=${region},test=http_probe,type=network,worker=${worker} ${fields} ${t}${String(k % 1_000_000).padStart(6, '0')}`);
    }
    out.push(lines.join('\n'));
  }
  return out;
}

async function run(label: string, gzip: boolean, root?: URL) {
  const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-ingest-'));
  const service = await startServiceChild({ RESULTANT_DB_PATH: join(dir, 'bench.duckdb') }, root);
  const url = service.url;
  const start = Date.now() - 5 * 3_600_000;
  const nBatches = Math.ceil(POINTS / BATCH);
  // Every batch its own points: the store keeps one result per series and timestamp, so a resent batch would replace, not add.
  const bodies = batches(nBatches, start).map((b) => (gzip ? gzipSync(b) : Buffer.from(b)));
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = (body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/v2/write?precision=ns',
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'text/plain', 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  let acked = 0;
  let refused = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < nBatches) {
        const i = next++;
        const t = performance.now();
        const status = await post(bodies[i % bodies.length]!);
        latencies.push(performance.now() - t);
        if (status === 204) acked += BATCH;
        else if (status === 503) {
          refused++;
          next--; // retry this batch
          await new Promise((r) => setTimeout(r, 100));
        } else throw new Error(`status ${status}`);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const series = (await (await fetch(`${url.origin}/api/v1/series`)).json()) as { series: { count: number }[] };
  const stored = series.series.reduce((a, s) => a + s.count, 0);
  const peak = await service.stop();
  rmSync(dir, { recursive: true, force: true });
  agent.destroy();
  return { label, points: acked, seconds: Number(seconds.toFixed(2)), pointsPerSecond: Math.round(acked / seconds), p50ms: Number(pct(latencies, 0.5).toFixed(1)), p95ms: Number(pct(latencies, 0.95).toFixed(1)), refused503: refused, storedEqualsAcked: stored === acked, serverPeakRssMb: peak };
}

console.log(`machine: ${machine()}`);
console.log(`${POINTS} points per run, ${BATCH}-line batches, ${CLIENTS} concurrent clients on loopback, server in a child process\n`);
// BENCH_BASELINE=<a built checkout of another commit>: that build and this one in interleaved rounds, with the ratio
// (a change's cost measured side by side in one run, as this shared machine's absolute rates vary by 10-20 %).
const baseline = process.env.BENCH_BASELINE;
if (baseline) {
  const root = checkoutRoot(baseline);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const rates: Record<string, number[]> = { 'this build': [], baseline: [] };
  for (let i = 0; i < rounds; i++) {
    const order: [string, URL | undefined][] = i % 2 === 0 ? [['this build', undefined], ['baseline', root]] : [['baseline', root], ['this build', undefined]];
    for (const [label, at] of order) {
      const r = await run(label, false, at);
      if (!r.storedEqualsAcked) throw new Error(`${label}: the store does not hold what was acknowledged`);
      rates[label]!.push(r.pointsPerSecond);
      console.log(`round ${i + 1}: ${label} ${r.pointsPerSecond.toLocaleString('en')} points/s, peak RSS ${r.serverPeakRssMb} MB`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const a = median(rates['this build']!);
  const b = median(rates.baseline!);
  console.log(`\n| target | points/s (median of ${rounds}) |\n|---|---|\n| this build | ${a.toLocaleString('en')} |\n| baseline (${baseline}) | ${b.toLocaleString('en')} |`);
  console.log(`ratio this build / baseline: ${(a / b).toFixed(2)}`);
} else {
  const results = [await run('plain', false), await run('gzip', true)];
  console.log('| body | points/s | request p50 ms | request p95 ms | 503s | stored = acknowledged | server peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.label} | ${r.pointsPerSecond.toLocaleString('en')} | ${r.p50ms} | ${r.p95ms} | ${r.refused503} | ${r.storedEqualsAcked} | ${r.serverPeakRssMb} |`);
  console.log(JSON.stringify({ machine: machine(), results }));
}
