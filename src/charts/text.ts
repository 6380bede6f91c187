// Text widths of the chart font without a canvas to measure with: vega's layout (through render.ts) and the
// wrapping of titles for charts fitted to a width (theme.ts) both use them.

/** Advance widths of Liberation Sans Regular in 1/1000 em for the printable ASCII characters (32 to 126). */
const ASCII_WIDTHS = [
  278,
  278,
  355,
  556,
  556,
  889,
  667,
  191,
  333,
  333,
  389,
  584,
  278,
  333,
  278,
  278, // space to /
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  556,
  278,
  278,
  584,
  584,
  584,
  556, // 0 to ?
  1015,
  667,
  667,
  722,
  722,
  667,
  611,
  778,
  722,
  278,
  500,
  667,
  556,
  833,
  722,
  778, // @ to O
  667,
  778,
  722,
  667,
  611,
  722,
  667,
  944,
  667,
  667,
  611,
  278,
  278,
  278,
  469,
  556, // P to _
  333,
  556,
  556,
  500,
  556,
  556,
  278,
  556,
  556,
  222,
  222,
  500,
  222,
  833,
  556,
  556, // ` to o
  556,
  556,
  333,
  500,
  278,
  556,
  500,
  722,
  500,
  500,
  500,
  334,
  260,
  334,
  584, // p to ~
];
const OTHER_WIDTHS: Record<string, number> = { '…': 1000, '·': 278, '–': 556, '—': 1000, '×': 584, µ: 556, '°': 400 };

/** Width in pixels of `text` in the chart font at `fontSize`; bold is about 8 % wider. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    em += c >= 32 && c <= 126 ? ASCII_WIDTHS[c - 32]! : (OTHER_WIDTHS[ch] ?? 600);
  }
  return (em / 1000) * fontSize * (bold ? 1.08 : 1);
}

/**
 * `lines` wrapped to `maxPx` at `fontSize`: each line is split at " · " between its notes first, then at spaces,
 * and the pieces packed greedily. A single word longer than the width stays whole.
 */
export function wrapLines(lines: readonly string[], maxPx: number, fontSize: number, bold = false): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (textWidth(line, fontSize, bold) <= maxPx) {
      out.push(line);
      continue;
    }
    const notes = line.split(' · ');
    let cur = '';
    const push = (piece: string, sep: string) => {
      const next = cur ? `${cur}${sep}${piece}` : piece;
      if (!cur || textWidth(next, fontSize, bold) <= maxPx) cur = next;
      else {
        out.push(cur);
        cur = piece;
      }
    };
    for (const note of notes) {
      if (textWidth(note, fontSize, bold) <= maxPx) push(note, ' · ');
      else for (const [i, word] of note.split(' ').entries()) push(word, i === 0 ? ' · ' : ' ');
    }
    if (cur) out.push(cur);
  }
  return out;
}
