import { Worker } from 'node:worker_threads';
const w = new Worker(new URL('./arima-worker.mjs', import.meta.url), { stdout: true, stderr: true });
w.on('error', e => console.error('worker error', e));
w.on('online', () => console.error('online'));
w.on('exit', c => console.error('exit', c));
w.stderr.on('data', d => console.error('wstderr', String(d)));
w.stdout.on('data', d => console.error('wstdout', String(d)));
w.on('message', m => { console.error('msg', JSON.stringify(m).slice(0,200)); w.terminate(); });
w.postMessage({ id: 1, y: Array.from({length:50},(_, i)=>i+Math.sin(i)), opts: { p:1,d:1,q:1 }, h: 3 });
