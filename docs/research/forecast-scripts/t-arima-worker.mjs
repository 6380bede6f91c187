import { Worker } from 'node:worker_threads';
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
function startWorker() {
  const t = performance.now();
  const w = new Worker(new URL('./arima-worker.mjs', import.meta.url), { stdout: true, stderr: true });
  let captured = '';
  w.stdout.setEncoding('utf8').on('data', (d) => { captured += d; });
  w.stderr.setEncoding('utf8').on('data', (d) => { captured += d; });
  w.on("error", e => log("worker error", e)); w.on("exit", c => log("worker exit", c));
  return { w, get captured() { return captured; }, t0: t };
}
function call(wrap, msg, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { wrap.w.terminate(); resolve({ timeout: true }); }, timeoutMs);
    wrap.w.once('message', (m) => { clearTimeout(timer); resolve(m); });
    wrap.w.postMessage(msg);
  });
}
let x = 0; let s = 9; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const trend = Array.from({length:300}, (_, t) => 2*t + g());
const yh = Array.from({length:720}, (_, t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*g());

const W = startWorker();
const t1 = performance.now();
let r = await call(W, { id: 1, y: trend, opts: { p: 2, d: 0, q: 2 }, h: 3 }, 5000);
log(`1st call incl. worker start+wasm load: ${(performance.now()-t1).toFixed(0)} ms; fit ${r.ms?.toFixed(0)} ms; pred`, r.pred?.map(v=>v.toExponential(2)));
r = await call(W, { id: 2, y: yh, opts: { auto: true }, h: 24 }, 5000);
log(`auto n=720 in worker: round trip fit ${r.ms.toFixed(0)} ms pred0 ${r.pred[0].toFixed(2)} var0 ${r.variance[0].toFixed(2)}`);
r = await call(W, { id: 3, y: yh.slice(0, 336), opts: { auto: true, verbose: true }, h: 3 }, 5000);
log(`auto verbose:true in worker`, JSON.stringify(r).slice(0,120));
await new Promise(r => setTimeout(r, 50));
log('captured worker stdout (first 300 chars):', JSON.stringify(W.captured.slice(0, 300)));
// time limit test: seasonal auto s=24 (notes: 14-18 s) with 2 s limit
const W2 = startWorker();
const t2 = performance.now();
r = await call(W2, { id: 4, y: yh.slice(0, 336), opts: { auto: true, s: 24 }, h: 24 }, 2000);
log(`seasonal auto s=24 with 2s limit:`, JSON.stringify(r), `after ${(performance.now()-t2).toFixed(0)} ms`);
await W.w.terminate();
log('done');
