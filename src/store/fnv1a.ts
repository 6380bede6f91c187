// FNV-1a, 32 bits: a small, stable hash of a string, for the stores' own bookkeeping (never for security).

/** The hash of `s` from character `from` on, as an unsigned 32-bit integer. */
export function fnv1a(s: string, from = 0): number {
  let h = 0x811c9dc5;
  for (let i = from; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
