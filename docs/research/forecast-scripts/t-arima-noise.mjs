import ARIMA from 'arima';
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const mk = (seed, n) => { let s = seed; const rnd = () => { s |= 0; s = s + 0x6D2B79F5 | 0; let t = Math.imul(s ^ s >>> 15, 1 | s); t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t; return ((t ^ t >>> 14) >>> 0) / 4294967296; };
  const g = () => Math.sqrt(-2*Math.log(1-rnd()))*Math.cos(2*Math.PI*rnd());
  return Array.from({length:n}, (_, t) => 100 + 0.02*t + 20*Math.sin(2*Math.PI*t/24) + 3*g()); };
const mode = process.argv[2];
if (mode === 'verbose') {
  const m = new ARIMA({ auto: true, verbose: true }).fit(mk(1, 300)); const [p] = m.predict(3); log('verbose pred', p.map(v=>v.toFixed(2)));
} else {
  for (const seed of [1,2,3,4,5,6]) {
    const t = Date.now();
    const m = new ARIMA({ p:1, d:0, q:1, P:0, D:1, Q:1, s:24, verbose:false }).fit(mk(seed, 336));
    const [p, v] = m.predict(24);
    const bad = !p.every(Number.isFinite) || Math.max(...p.map(Math.abs)) > 1e4;
    log(`seed ${seed}: ${Date.now()-t} ms pred0=${p[0]} var0=${v[0]} ${bad ? 'BLOWN UP/NONFINITE' : 'ok'}`);
    m.destroy();
  }
}
