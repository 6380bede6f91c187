import { performance } from 'node:perf_hooks';
const t0 = performance.now();
const { loadAugurs } = await import('./augurs-loader.mjs');
const { MSTL, AutoETS } = loadAugurs();
console.log(`load+initSync: ${(performance.now()-t0).toFixed(1)} ms`);

// seeded RNG (mulberry32) + Box-Muller
let s = 42; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
const gauss = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
const hourly = (n) => Array.from({length:n}, (_, t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*gauss());
const daily  = (n) => Array.from({length:n}, (_, t) => 50 + 0.1*t + 8*Math.sin(2*Math.PI*t/7) + 2*gauss());

function run(label, y, periods, h, truthFn) {
  const t = performance.now();
  const m = MSTL.ets(periods);
  m.fit(y);
  const f = m.predict(h, 0.95);
  const ms = performance.now() - t;
  const ins = m.predictInSample(0.95);
  m.free();
  const fmt = (a) => a.slice(0, 4).map(v => v.toFixed(2)).join(', ');
  console.log(`\n== ${label}: MSTL.ets(${JSON.stringify(periods)}) n=${y.length} h=${h}: fit+predict ${ms.toFixed(1)} ms`);
  console.log(' keys', Object.keys(f), 'intervals keys', f.intervals && Object.keys(f.intervals), 'level', f.intervals?.level, 'len', f.point.length, 'Array?', Array.isArray(f.point));
  console.log(' point[0..3]', fmt(f.point));
  console.log(' lower[0..3]', fmt(f.intervals.lower));
  console.log(' upper[0..3]', fmt(f.intervals.upper));
  console.log(' width h=1 / h=last:', (f.intervals.upper[0]-f.intervals.lower[0]).toFixed(2), '/', (f.intervals.upper[h-1]-f.intervals.lower[h-1]).toFixed(2));
  console.log(' inSample len', ins.point.length, 'has intervals', !!ins.intervals);
  if (truthFn) { // coverage vs noiseless+fresh noise truth
    const truth = Array.from({length:h}, (_, i) => truthFn(y.length + i));
    let cov = 0; truth.forEach((v,i)=>{ if (v>=f.intervals.lower[i] && v<=f.intervals.upper[i]) cov++; });
    console.log(` coverage of ${h} fresh points: ${cov}/${h}`);
  }
}
const H = (t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*gauss();
const D = (t) => 50 + 0.1*t + 8*Math.sin(2*Math.PI*t/7) + 2*gauss();
const yh = hourly(720);
run('warm-up hourly', yh, [24, 168], 24, H);
run('hourly (2nd run)', yh, [24, 168], 24, H);
run('hourly', yh, [24], 24, H);
run('daily', daily(90), [7], 14, D);

// AutoETS alone
for (const spec of ['ZZN', 'ZZZ', 'AAA', 'AAdN']) {
  try {
    const t = performance.now();
    const e = new AutoETS(spec.endsWith('N') ? 1 : 24, spec);
    e.fit(yh);
    const f = e.predict(24, 0.95);
    console.log(`\nAutoETS(${spec.endsWith('N') ? 1 : 24}, '${spec}') n=720: ${(performance.now()-t).toFixed(1)} ms point[0..2]=${f.point.slice(0,3).map(v=>v.toFixed(2))} lo0=${f.intervals.lower[0].toFixed(2)} hi0=${f.intervals.upper[0].toFixed(2)}`);
    e.free();
  } catch (err) { console.log(`AutoETS '${spec}' threw:`, typeof err, err?.message ?? String(err)); }
}
