// A report's view of the store: the same question asked twice is answered once. A report is a picture of one
// moment, and its sections ask alike (trends and regressions read the same series; the overview and the SLA the
// same totals): each distinct read runs once per report. Aggregates over equal buckets are also answered from a
// held answer that covers part of the range (anomalies read the trends' series plus some history before them):
// each bucket's statistics depend on that bucket alone, so only the buckets not held are asked for.
// Reads that one analysis alone makes (its run and failure summaries) pass through: held, they would only keep
// their memory (a month's failure summaries: 60 MB and more of JS heap) until the report ends.
import { tagsIdentity } from '../model/configuration.js';
import type { AggregateGroup, AggregateQuery, AggregateResult, Store } from '../store/types.js';

type Reads = 'aggregate' | 'results' | 'series' | 'breakerEvents';

const keyOf = (method: string, q: object): string => {
  // The reuse hint is the aggregates cache's business, not part of the question.
  const { reuse: _reuse, ...question } = q as Record<string, unknown>;
  return `${method} ${JSON.stringify(question, (_k, v: unknown) => (v instanceof Set ? [...v] : v))}`;
};

/** Equal buckets: [start, start + n w) in n buckets of w ms; null for unequal ones (days in DST zones, months). */
function uniform(boundaries: readonly number[]): { start: number; width: number; n: number } | null {
  const n = boundaries.length - 1;
  const width = (boundaries[1] ?? 0) - boundaries[0]!;
  if (n < 1 || width <= 0 || !boundaries.every((b, i) => b === boundaries[0]! + i * width)) return null;
  return { start: boundaries[0]!, width, n };
}

interface Held {
  start: number;
  width: number;
  n: number;
  answer: Promise<AggregateResult>;
}

/** `store` with its reads remembered by their query, for as long as the returned object is used. */
export function memoizedStore(store: Store): Store {
  const held = new Map<string, Promise<unknown>>();
  const memo = <K extends Reads>(method: K) =>
    ((q: Parameters<Store[K]>[0]) => {
      const key = keyOf(method, q);
      let answer = held.get(key);
      if (!answer) {
        answer = (store[method] as (x: typeof q) => Promise<unknown>).call(store, q);
        held.set(key, answer);
        answer.catch(() => held.delete(key)); // a failure is not remembered
      }
      return answer;
    }) as Store[K];

  const exact = memo('aggregate');
  // Aggregates over equal buckets, by question without the boundaries.
  const spans = new Map<string, Held[]>();
  const aggregate = async (q: AggregateQuery): Promise<AggregateResult> => {
    const u = uniform(q.boundaries);
    if (!u) return exact(q);
    const { boundaries: _b, ...rest } = q;
    const key = keyOf('aggregate', rest);
    const list = spans.get(key) ?? [];
    spans.set(key, list);
    // A held answer with the same bucket width and grid that overlaps this range.
    const h = list.find(
      (x) =>
        x.width === u.width &&
        (x.start - u.start) % u.width === 0 &&
        x.start < u.start + u.n * u.width &&
        x.start + x.n * x.width > u.start,
    );
    if (!h) {
      const answer = store.aggregate(q);
      const entry: Held = { ...u, answer };
      list.push(entry);
      answer.catch(() => list.splice(list.indexOf(entry), 1));
      return answer;
    }
    if (h.start === u.start && h.n === u.n) return h.answer;
    // Buckets of q: [0, n). The held ones start at `offset`; the rest are asked for, before and after.
    const offset = (h.start - u.start) / u.width;
    const from = Math.max(0, offset);
    const to = Math.min(u.n, offset + h.n);
    const part = async (lo: number, hi: number): Promise<AggregateResult | null> =>
      hi > lo
        ? store.aggregate({
            ...rest,
            boundaries: Array.from({ length: hi - lo + 1 }, (_, i) => u.start + (lo + i) * u.width),
          })
        : null;
    const [before, inside, after] = await Promise.all([part(0, from), h.answer, part(to, u.n)]);
    return combine([
      [before, 0, 0, from],
      [inside, from, from - offset, to - offset],
      [after, to, 0, u.n - to],
    ]);
  };

  return {
    aggregate,
    results: memo('results'),
    series: memo('series'),
    breakerEvents: memo('breakerEvents'),
    // Asked once per report (flaky tests; failure patterns): nothing to share.
    runSummaries: (q) => store.runSummaries(q),
    failureSummaries: (q) => store.failureSummaries(q),
    failureFingerprints: (q) => store.failureFingerprints(q),
    failureBuckets: (q) => store.failureBuckets(q),
    write: (b) => store.write(b),
    rollup: (n) => store.rollup(n),
    rebuildRollups: (a, b) => store.rebuildRollups(a, b),
    cleanup: (p, n) => store.cleanup(p, n),
    delete: (q) => store.delete(q),
    oldestWritableTime: (n) => store.oldestWritableTime(n),
    status: (n) => store.status(n),
    close: () => store.close(),
  };
}

/**
 * Answers for consecutive parts of one range joined into the answer for the range: each part's buckets [lo, hi)
 * of its own numbering land at `at` + (index - lo). Nothing held is final (the parts came from different reads).
 */
function combine(parts: [AggregateResult | null, number, number, number][]): AggregateResult {
  const groups = new Map<string, AggregateGroup>();
  let incompleteBefore: number | undefined;
  for (const [r, at, lo, hi] of parts) {
    if (!r) continue;
    if (r.incompleteBefore !== undefined)
      incompleteBefore = Math.max(incompleteBefore ?? -Infinity, r.incompleteBefore);
    for (const g of r.groups) {
      const id = tagsIdentity(g.group);
      let out = groups.get(id);
      if (!out) groups.set(id, (out = { group: g.group, buckets: [] }));
      for (const b of g.buckets)
        if (b.bucket >= lo && b.bucket < hi) out.buckets.push({ ...b, bucket: at + b.bucket - lo });
    }
  }
  for (const g of groups.values()) g.buckets.sort((a, b) => a.bucket - b.bucket);
  return {
    groups: [...groups.values()].filter((g) => g.buckets.length > 0),
    ...(incompleteBefore !== undefined ? { incompleteBefore } : {}),
  };
}
