// Forecast worker thread: evaluates the candidates it is sent. Runs apart from the main thread so a fit never
// stalls ingestion, and so the `arima` package's C code, which prints to stdout, writes into a stream the parent
// discards instead of into the service's log output.
import { parentPort } from 'node:worker_threads';
import { type Evaluation, evaluateCandidate, planForecast, type SelectOptions } from './select.js';

export interface EvaluateRequest {
  id: number;
  y: number[];
  options: Omit<SelectOptions, 'candidates'>;
  /** Indexes into the plan's candidates. */
  indexes: number[];
}

export interface EvaluateResponse {
  id: number;
  evaluations: Evaluation[];
  error?: string;
}

parentPort?.on('message', (req: EvaluateRequest) => {
  let res: EvaluateResponse;
  try {
    // The same plan as the parent's: the default candidates, rebuilt here (functions do not cross threads).
    const plan = planForecast(req.y, req.options);
    res = {
      id: req.id,
      evaluations: req.indexes.map((i) => evaluateCandidate(plan.candidates[i]!, req.y, plan, req.options)),
    };
  } catch (e) {
    res = { id: req.id, evaluations: [], error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(res);
});
