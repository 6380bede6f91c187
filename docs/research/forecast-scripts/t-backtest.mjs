import { loadAugurs } from './augurs-loader.mjs';
const { MSTL } = loadAugurs();
let s = 123; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const N = 720 + 24;
const all = Array.from({length:N}, (_, t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*g());
const m24 = 24;
function evalPeriods(periods) {
  const t0 = performance.now();
  let absErr = 0, absNaive = 0, n = 0, cov = 0, smape = 0;
  const y720 = all.slice(0, 720);
  // in-sample seasonal naive MAE scale
  let sc = 0; for (let i = m24; i < y720.length; i++) sc += Math.abs(y720[i] - y720[i - m24]); sc /= (y720.length - m24);
  for (let k = 7; k >= 1; k--) { // 7 origins x 24h inside the 720 history
    const train = y720.slice(0, 720 - 24 * k), test = y720.slice(720 - 24 * k, 720 - 24 * (k - 1));
    const m = MSTL.ets(periods); m.fit(train); const f = m.predict(24, 0.95); m.free();
    test.forEach((v, i) => { const p = f.point[i]; absErr += Math.abs(v - p); absNaive += Math.abs(v - train[train.length - 24 + i]); smape += 2*Math.abs(v-p)/(Math.abs(v)+Math.abs(p)); if (v >= f.intervals.lower[i] && v <= f.intervals.upper[i]) cov++; n++; });
  }
  const m = MSTL.ets(periods); m.fit(y720); const f = m.predict(24, 0.95); m.free();
  const ms = performance.now() - t0;
  let hcov = 0; all.slice(720).forEach((v, i) => { if (v >= f.intervals.lower[i] && v <= f.intervals.upper[i]) hcov++; });
  console.log(`periods ${JSON.stringify(periods)}: 7-fold backtest + final fit ${ms.toFixed(0)} ms; backtest MASE ${(absErr/n/sc).toFixed(3)} (seasonal-naive MASE ${(absNaive/n/sc).toFixed(3)}), sMAPE ${(100*smape/n).toFixed(2)}%, coverage95 ${(100*cov/n).toFixed(1)}%; holdout coverage ${hcov}/24`);
}
evalPeriods([24]); evalPeriods([24, 168]); evalPeriods([24]);
