import ARIMA from 'arima';
let s = 9; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const trend = Array.from({length:300}, (_, t) => 2*t + g());
const t = Date.now();
const m = new ARIMA({ p: 2, d: 0, q: 2, verbose: false }).fit(trend);
console.error('fit ms', Date.now() - t, m.predict(3));
