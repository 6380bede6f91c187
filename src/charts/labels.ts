// Row labels of the bar charts (failure patterns, circuit breakers): short enough for the axis, never empty, and
// never two alike. Long labels that share a prefix ("expected status 200 but got 500 at /api/…") are shortened in
// the middle around where each one differs from the others, so the part that tells them apart stays visible.

/** Shown for a row whose label is empty or blank. */
export const NO_LABEL = '(no message)';

const ELLIPSIS = '…';
/** Characters kept from a long label's start, for context, before the ellipsis. */
const HEAD = 12;

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/**
 * `s` in at most `max` characters: its start, an ellipsis, then a window that includes index `differs` (where it
 * first differs from its closest neighbour), ending with an ellipsis unless the window reaches the end.
 */
function shorten(s: string, max: number, differs: number): string {
  if (s.length <= max) return s;
  const head = Math.min(HEAD, Math.floor(max / 3));
  const room = max - head - 1;
  // Window [k, k + room) reaching the end of `s`: head…tail.
  const tailStart = s.length - room;
  // Otherwise a window that starts a few characters before the difference (with one more ellipsis at the end).
  const k = Math.max(head, differs - 6);
  if (k >= tailStart || differs >= tailStart) return `${s.slice(0, head)}${ELLIPSIS}${s.slice(tailStart)}`;
  if (k <= head) return `${s.slice(0, max - 1)}${ELLIPSIS}`;
  return `${s.slice(0, head)}${ELLIPSIS}${s.slice(k, k + room - 1)}${ELLIPSIS}`;
}

/**
 * One label per input, in order: blank ones become NO_LABEL, long ones are shortened to `max` characters keeping
 * what distinguishes them, and any that would still be alike get " (2)", " (3)", … so every label is distinct.
 */
export function distinctLabels(labels: readonly string[], max: number): string[] {
  const full = labels.map((l) => (l.trim() === '' ? NO_LABEL : l.replace(/\s+/g, ' ').trim()));
  const short = full.map((s, i) => {
    let differs = 0;
    for (let j = 0; j < full.length; j++)
      if (j !== i && full[j] !== s) differs = Math.max(differs, commonPrefix(s, full[j]!));
    return shorten(s, max, differs);
  });
  const seen = new Map<string, number>();
  const taken = new Set(short);
  return short.map((s) => {
    const n = (seen.get(s) ?? 0) + 1;
    seen.set(s, n);
    if (n === 1) return s;
    // A numbered copy, itself shortened to fit, that no other label already is.
    let k = n;
    let out: string;
    do {
      const suffix = ` (${k})`;
      out =
        s.length + suffix.length > max ? `${s.slice(0, max - suffix.length - 1)}${ELLIPSIS}${suffix}` : `${s}${suffix}`;
      k++;
    } while (taken.has(out));
    taken.add(out);
    return out;
  });
}
