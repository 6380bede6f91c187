import ARIMA from 'arima';
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
let s = 9; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
let x = 0; const rw = Array.from({length:300}, () => (x += g()) + 50);
const trend = Array.from({length:300}, (_, t) => 2*t + g());
const cases = [
  ['AR(2) d=0 on random walk', { p:2, d:0, q:0 }, rw],
  ['ARMA(1,1) d=0 on strong trend', { p:1, d:0, q:1 }, trend],
  ['ARMA(2,2) d=0 on strong trend', { p:2, d:0, q:2 }, trend],
  ['SARIMA(1,0,0)(1,0,0)24 on trend', { p:1, d:0, q:0, P:1, D:0, Q:0, s:24 }, trend],
  ['ARIMA(1,1,1) on constant', { p:1, d:1, q:1 }, Array(100).fill(5)],
  ['auto on constant', { auto:true }, Array(100).fill(5)],
  ['auto on spike series', { auto:true }, Array.from({length:200}, (_, i) => i % 50 === 0 ? 1e6 : 1)],
];
for (const [label, o, y] of cases) {
  const before = process.stdout.bytesWritten ?? 0;
  try { const m = new ARIMA({ ...o, verbose: false }).fit(y); const [p, v] = m.predict(3); log(label, '->', p.map(a=>+a.toFixed(3)), v.map(a=>+a.toFixed(3))); m.destroy(); }
  catch (e) { log(label, 'THREW', e.message); }
}
