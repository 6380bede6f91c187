// Worker: fits arima; library stdout goes to this worker's process.stdout (piped to parent when stdout:true)
import { parentPort } from 'node:worker_threads';
import ARIMA from 'arima';
parentPort.on('message', ({ id, y, opts, h }) => {
  const t = performance.now();
  try {
    const m = new ARIMA({ ...opts, verbose: opts.verbose ?? false }).fit(y);
    const [pred, variance] = m.predict(h);
    m.destroy();
    parentPort.postMessage({ id, pred, variance, ms: performance.now() - t });
  } catch (e) { parentPort.postMessage({ id, error: String(e?.message ?? e) }); }
});
