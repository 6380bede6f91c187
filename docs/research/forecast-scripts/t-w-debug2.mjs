import { Worker } from 'node:worker_threads';
let s = 9; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const trend = Array.from({length:300}, (_, t) => 2*t + g());
const pipe = process.argv[2] === 'pipe';
const w = new Worker(new URL('./arima-worker.mjs', import.meta.url), pipe ? { stdout: true, stderr: true } : {});
const t0 = Date.now();
w.on('error', e => console.error('worker error', e));
w.on('exit', c => console.error('exit', c, Date.now()-t0, 'ms'));
if (pipe) { w.stderr.on('data', d => console.error('wstderr', JSON.stringify(String(d)))); w.stdout.on('data', d => console.error('wstdout', JSON.stringify(String(d)))); }
w.on('message', m => { console.error('msg', Date.now()-t0, 'ms', JSON.stringify(m).slice(0,200)); w.terminate(); });
w.postMessage({ id: 1, y: trend, opts: { p:2,d:0,q:2 }, h: 3 });
setTimeout(() => { console.error('timeout, terminating'); w.terminate(); }, 8000);
