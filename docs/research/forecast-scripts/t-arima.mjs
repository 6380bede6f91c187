import ARIMA from 'arima';
import { performance } from 'node:perf_hooks';
let s = 42; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const gauss = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const yh = Array.from({length:720}, (_, t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*gauss());
const log = (...a) => process.stderr.write(a.join(' ') + '\n'); // keep our own output on stderr
function go(label, opts, y, h) {
  const t = performance.now();
  let m, res;
  try { m = new ARIMA(opts).fit(y); res = m.predict(h); } catch (e) { log(label, 'THREW', e.message); return; }
  const ms = performance.now() - t;
  const [pred, v] = res;
  log(`${label}: ${ms.toFixed(0)} ms; pred[0..3]=${pred.slice(0,4).map(x=>x.toFixed(2))}; var[0..3]=${v.slice(0,4).map(x=>x.toFixed(2))}; var[last]=${v[h-1].toFixed(2)}; PI95[0]=${(pred[0]-1.96*Math.sqrt(v[0])).toFixed(2)}..${(pred[0]+1.96*Math.sqrt(v[0])).toFixed(2)}; finite=${pred.every(Number.isFinite)&&v.every(Number.isFinite)}`);
  m.destroy();
}
go('auto non-seasonal n=720 (warm-up)', { auto: true, verbose: false }, yh, 24);
go('auto non-seasonal n=720', { auto: true, verbose: false }, yh, 24);
go('ARIMA(2,1,2) n=720', { p: 2, d: 1, q: 2, verbose: false }, yh, 24);
go('SARIMA(0,1,1)(0,1,1)24 n=720', { p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, s: 24, verbose: false }, yh, 24);
go('SARIMA(1,0,1)(0,1,1)24 method0', { p: 1, d: 0, q: 1, P: 0, D: 1, Q: 1, s: 24, verbose: false }, yh, 24);
let x = 0; const rw = Array.from({length:300}, () => (x += gauss()) + 50);
go('auto on random walk n=300', { auto: true, verbose: false }, rw, 5);
go('ARIMA p=q=0 d=1 on rw', { p: 0, d: 1, q: 0, verbose: false }, rw, 5);
go('auto on constant n=100', { auto: true, verbose: false }, Array(100).fill(5), 3);
go('auto daily n=90 s=7', { auto: true, s: 7, verbose: false }, Array.from({length:90}, (_, t) => 50 + 0.1*t + 8*Math.sin(2*Math.PI*t/7) + 2*gauss()), 14);
