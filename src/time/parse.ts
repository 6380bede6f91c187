// Time values from outside: RFC 3339 strings or epoch milliseconds, to epoch microseconds.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch microseconds of an RFC 3339 timestamp, or null when `s` is not one (or names an impossible date). */
export function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) {
    return null;
  }
  const base = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Math.min(Number(sec), 59));
  // Date.UTC rolls 2026-02-31 over into March; refuse instead.
  if (new Date(base).getUTCDate() !== day) return null;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone!.startsWith('-') ? -1 : 1;
    offsetMin = sign * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(4, 6)));
  }
  const micros = Number(`${frac}000000`.slice(0, 6));
  return (base - offsetMin * 60_000) * 1000 + micros;
}

/** RFC 3339 or epoch milliseconds (digits, optionally fractional) -> epoch microseconds, or null. */
export function parseTimeValue(v: string | number): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : null;
  const s = v.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  return parseRfc3339(s);
}

/** Epoch microseconds -> RFC 3339 UTC with microseconds only when they are not zero. */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const rest = us - ms * 1000;
  const iso = new Date(ms).toISOString(); // 2026-11-21T10:00:00.000Z
  if (rest === 0) return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  return `${iso.slice(0, -1)}${String(Math.round(rest)).padStart(3, '0')}Z`;
}

export function formatMillis(ms: number): string {
  return formatMicros(ms * 1000);
}
