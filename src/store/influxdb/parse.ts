// Reading InfluxDB's annotated-CSV rows (as objects from the client's FluxTableMetaData.toObject) into our model.
// Times arrive as RFC 3339 strings with up to nine fractional digits; they are parsed exactly (as BigInt ns).
import type { Tags } from '../../model/result.js';

/** RFC 3339 (…[.fffffffff]Z or ±hh:mm) to epoch ns, exactly. */
export function parseTimeNs(s: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new Error(`InfluxDB returned an unreadable time: ${JSON.stringify(s.slice(0, 40))}`);
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secMs)) throw new Error(`InfluxDB returned an unreadable time: ${JSON.stringify(s.slice(0, 40))}`);
  return BigInt(secMs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

export const timeUs = (s: string): number => Number(parseTimeNs(s) / 1000n);
export const timeMs = (s: string): number => Number(parseTimeNs(s) / 1_000_000n);

/** Columns of a row that are not tags: InfluxDB's own (leading underscore), the CSV's, and the given extras. */
const NOT_TAGS = new Set(['result', 'table']);

/** The tags of a row: string columns that are not system columns or known fields; empty means absent. */
export function tagsOf(row: Record<string, unknown>, notTags: ReadonlySet<string>): Tags {
  const tags: Tags = {};
  for (const k of Object.keys(row).sort()) {
    if (k.startsWith('_') || NOT_TAGS.has(k) || notTags.has(k)) continue;
    const v = row[k];
    if (typeof v === 'string' && v !== '') tags[k] = v;
  }
  return tags;
}

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
