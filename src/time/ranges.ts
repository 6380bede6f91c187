// Half-open time ranges [a, b) in ms, and the set operations the stores plan their reads and rollups with. Pure.

export type Range = [number, number];

/** Subtracts `cut` ranges from `ranges` (both sorted or not); returns sorted, merged ranges. */
export function subtractRanges(ranges: readonly Range[], cut: readonly Range[]): Range[] {
  let out = mergeRanges(ranges);
  for (const [ca, cb] of mergeRanges(cut)) {
    const next: Range[] = [];
    for (const [a, b] of out) {
      if (cb <= a || ca >= b) {
        next.push([a, b]);
        continue;
      }
      if (a < ca) next.push([a, ca]);
      if (cb < b) next.push([cb, b]);
    }
    out = next;
  }
  return out;
}

export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The parts of `ranges` inside `window`. */
export function intersectRanges(ranges: readonly Range[], window: Range): Range[] {
  const out: Range[] = [];
  for (const [a, b] of ranges) {
    const lo = Math.max(a, window[0]);
    const hi = Math.min(b, window[1]);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}

/** Contiguous runs of sorted bucket starts, given each bucket's end. */
export function runs(starts: readonly number[], endOf: (s: number) => number): Range[] {
  return mergeRanges(starts.map((s) => [s, endOf(s)] as Range));
}
