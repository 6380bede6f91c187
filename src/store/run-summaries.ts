// Merging run summaries (the flaky-tests analysis's inputs, types.ts RunSummary) of one configuration in time
// order. Exact: transitions add up, plus one where a piece's first outcome differs from the previous piece's last;
// the final stretch grows across pieces that are one stretch of the same outcome; the last outcomes are the end of
// the pieces' tails joined. The analysis merges what a store returns; a store may return pieces already merged.
import type { RunSummary } from './types.js';

/** Outcomes a summary keeps of its end (the last-10-runs window of Allure's rule). */
export const TAIL_RUNS = 10;

/** A configuration's summary before its first piece (its `hour` is the first piece's): no runs yet. */
export function emptyRunSummary(first: Pick<RunSummary, 'configuration' | 'hour'>): RunSummary {
  return {
    configuration: first.configuration,
    hour: first.hour,
    runs: 0,
    failures: 0,
    firstSuccess: null,
    lastSuccess: null,
    firstTime: null,
    lastTime: null,
    transitions: 0,
    tail: '',
    streak: 0,
    excluded: 0,
  };
}

/** Appends `p`, the next piece in time order of the same configuration, to `m` (changed in place). */
export function appendRunSummary(m: RunSummary, p: RunSummary): void {
  m.excluded += p.excluded;
  if (p.runs === 0) return;
  if (m.lastSuccess !== null && m.lastSuccess !== p.firstSuccess) m.transitions++;
  m.streak = p.streak === p.runs && m.lastSuccess === p.lastSuccess ? m.streak + p.runs : p.streak;
  if (m.runs === 0) m.firstSuccess = p.firstSuccess;
  m.runs += p.runs;
  m.failures += p.failures;
  m.transitions += p.transitions;
  m.tail = (m.tail + p.tail).slice(-TAIL_RUNS);
  m.lastSuccess = p.lastSuccess;
  m.firstTime = m.firstTime === null ? p.firstTime : Math.min(m.firstTime, p.firstTime!);
  m.lastTime = m.lastTime === null ? p.lastTime : Math.max(m.lastTime, p.lastTime!);
}
