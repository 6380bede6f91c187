// GET /api/v1/aggregates as a function: parameters in, the contract's response out (CONTRACT.md §2, §3.2).
// Works on any Store: the store merges moments and percentiles, this turns them into bucket statistics.
import { type Stats, statsFrom } from '../model/stats.js';
import type { TagFilters, Store } from '../store/types.js';
import { bucketBoundaries, DAY_MS, HOUR_MS, type Period } from '../time/buckets.js';
import { formatMillis } from '../time/parse.js';

export interface AggregateParams {
  period: Period;
  tz: string;
  /** ms; stop defaults to now, start to 24 h (hour) or 30 days (otherwise) before stop. */
  start?: number;
  stop?: number;
  groupBy: string[];
  filters: TagFilters;
  metric: string;
  fill: boolean;
}

export interface BucketJson {
  start: string;
  end: string;
  partial: boolean;
  test_count: number;
  success_count: number;
  failure_count: number;
  availability_pct: number | null;
  stats: Stats | null;
}

export interface AggregatesJson {
  period: Period;
  tz: string;
  metric: string;
  group_by: string[];
  start: string;
  stop: string;
  series: { group: Record<string, string | null>; buckets: BucketJson[] }[];
  /** Present when something limits the answer (more than the contract's fields; clients may ignore it). */
  warnings?: string[];
}

export function defaultRange(period: Period, nowMs: number, start?: number, stop?: number): [number, number] {
  const span = period === 'hour' ? 24 * HOUR_MS : 30 * DAY_MS;
  const s = stop ?? nowMs;
  return [start ?? s - span, s];
}

/** One group's buckets, each already serialised (a BucketJson). */
interface BuiltSeries {
  group: Record<string, string | null>;
  buckets: Buffer[];
}

interface Items {
  group: Record<string, string | null>;
  /** Bucket indexes and their serialised buckets. */
  index: number[];
  json: Buffer[];
}

interface Built {
  head: Omit<AggregatesJson, 'series' | 'warnings'>;
  series: BuiltSeries[];
  warnings?: string[];
}

/**
 * The contract's response as UTF-8 JSON in pieces of about 64 KiB, built from cached serialised buckets where it
 * can: the API streams them, so a large answer never becomes one large string.
 */
export async function queryAggregatesJson(store: Store, p: AggregateParams, nowMs: number): Promise<Iterable<Buffer>> {
  return chunksOf(await build(store, p, nowMs));
}

const COMMA = Buffer.from(',');
const CLOSE_SERIES = Buffer.from(']}');

function* chunksOf(b: Built): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  const push = (piece: Buffer): void => {
    pending.push(piece);
    size += piece.length;
  };
  push(Buffer.from(`${JSON.stringify(b.head).slice(0, -1)},"series":[`));
  /** The pieces so far as one buffer once they reach 64 KiB, else null. */
  const full = (): Buffer | null => {
    if (size < 65_536) return null;
    const chunk = Buffer.concat(pending, size);
    pending = [];
    size = 0;
    return chunk;
  };
  for (let g = 0; g < b.series.length; g++) {
    const s = b.series[g]!;
    push(Buffer.from(`${g ? ',' : ''}{"group":${JSON.stringify(s.group)},"buckets":[`));
    for (let i = 0; i < s.buckets.length; i++) {
      if (i) push(COMMA);
      push(s.buckets[i]!);
      const chunk = full();
      if (chunk) yield chunk;
    }
    push(CLOSE_SERIES);
  }
  push(Buffer.from(`]${b.warnings ? `,"warnings":${JSON.stringify(b.warnings)}` : ''}}`));
  yield Buffer.concat(pending, size);
}

export async function queryAggregates(store: Store, p: AggregateParams, nowMs: number): Promise<AggregatesJson> {
  const b = await build(store, p, nowMs);
  const out: AggregatesJson = {
    ...b.head,
    series: b.series.map((s) => ({ group: s.group, buckets: s.buckets.map((x) => JSON.parse(x.toString()) as BucketJson) })),
  };
  if (b.warnings) out.warnings = b.warnings;
  return out;
}

async function build(store: Store, p: AggregateParams, nowMs: number): Promise<Built> {
  const [start, stop] = defaultRange(p.period, nowMs, p.start, p.stop);
  const boundaries = bucketBoundaries(p.period, p.tz, start, stop);
  const nB = boundaries.length - 1;
  const filters = Object.keys(p.filters)
    .sort()
    .map((k) => [k, [...p.filters[k]!].sort()]);
  const sig = JSON.stringify([p.period, p.tz, p.metric, p.groupBy, filters]);
  const cache = cacheOf(store);
  const held = cache.get(sig);
  const reuse = new Set<number>();
  if (held) for (let i = 0; i < nB; i++) if (held.buckets.has(boundaries[i]!)) reuse.add(i);
  const res = await store.aggregate({
    period: p.period,
    tz: p.tz,
    boundaries,
    filters: p.filters,
    groupBy: p.groupBy,
    metric: p.metric,
    ...(held && reuse.size > 0 ? { reuse: { generation: held.generation, buckets: reuse } } : {}),
  });
  // Every group shares the boundaries: format each once.
  const iso = boundaries.map(formatMillis);
  const bucketJson = (i: number): BucketJson => ({
    start: iso[i]!,
    end: iso[i + 1]!,
    partial: boundaries[i]! <= nowMs && nowMs < boundaries[i + 1]!,
    test_count: 0,
    success_count: 0,
    failure_count: 0,
    availability_pct: null,
    stats: null,
  });
  const groupKey = (group: Record<string, string | null>): string => JSON.stringify(p.groupBy.map((k) => group[k] ?? null));
  const bySeries = new Map<string, Items>();
  const itemsOf = (gk: string, group: () => Record<string, string | null>): Items => {
    let s = bySeries.get(gk);
    if (!s) bySeries.set(gk, (s = { group: group(), index: [], json: [] }));
    return s;
  };
  for (const i of res.reused ?? []) {
    for (const [gk, frag] of held!.buckets.get(boundaries[i]!)!) {
      const items = itemsOf(gk, () => groupFromKey(gk, p.groupBy));
      items.index.push(i);
      items.json.push(frag);
    }
  }
  // Buckets the store calls final, and closed by our clock, are kept serialised for the next query of this shape.
  const fresh = new Map<number, Map<string, Buffer>>();
  for (const i of res.final ?? []) if (boundaries[i + 1]! <= nowMs && !reuse.has(i)) fresh.set(i, new Map());
  for (const g of res.groups) {
    const gk = groupKey(g.group);
    const items = itemsOf(gk, () => g.group);
    for (const b of g.buckets) {
      if (b.testCount === 0) continue;
      const out = bucketJson(b.bucket);
      out.test_count = b.testCount;
      out.success_count = b.successCount;
      out.failure_count = b.testCount - b.successCount;
      out.availability_pct = (100 * b.successCount) / b.testCount;
      out.stats = statsFrom(b, b);
      const frag = Buffer.from(JSON.stringify(out));
      items.index.push(b.bucket);
      items.json.push(frag);
      fresh.get(b.bucket)?.set(gk, frag);
    }
  }
  if (res.generation !== undefined) cache.put(sig, res.generation, [...fresh].map(([i, m]) => [boundaries[i]!, m]));

  if (p.fill && bySeries.size === 0 && p.groupBy.length === 0) {
    // One group for "everything that matched", so a dashboard gets its empty buckets even with no data.
    bySeries.set('[]', { group: {}, index: [], json: [] });
  }
  const empty: (Buffer | undefined)[] = [];
  const series: BuiltSeries[] = [...bySeries.values()].map(({ group, index, json }) => {
    // Reused and fresh buckets arrive each in order; merge them when both came.
    let sorted = true;
    for (let j = 1; j < index.length && sorted; j++) sorted = index[j - 1]! < index[j]!;
    if (!sorted) {
      const order = index.map((_, j) => j).sort((x, y) => index[x]! - index[y]!);
      index = order.map((j) => index[j]!);
      json = order.map((j) => json[j]!);
    }
    if (!p.fill) return { group, buckets: json };
    const buckets: Buffer[] = [];
    let j = 0;
    for (let i = 0; i < nB; i++) {
      if (j < index.length && index[j] === i) buckets.push(json[j++]!);
      else buckets.push((empty[i] ??= Buffer.from(JSON.stringify(bucketJson(i)))));
    }
    return { group, buckets };
  });
  series.sort((a, b) => compareGroups(a.group, b.group, p.groupBy));
  const built: Built = {
    head: {
      period: p.period,
      tz: p.tz,
      metric: p.metric,
      group_by: p.groupBy,
      start: formatMillis(boundaries[0]!),
      stop: formatMillis(boundaries[nB]!),
    },
    series,
  };
  if (res.incompleteBefore !== undefined) {
    built.warnings = [
      `buckets before ${formatMillis(res.incompleteBefore)} may be incomplete: in ${p.tz} they do not line up with the hourly rollups, ` +
        'and the raw results they need are past the raw retention; use a zone with whole-hour offsets, or set RESULTANT_TIMEZONE ' +
        'to this zone for daily rollups in it',
    ];
  }
  return built;
}

function groupFromKey(gk: string, keys: string[]): Record<string, string | null> {
  const values = JSON.parse(gk) as (string | null)[];
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? null]));
}

/**
 * Serialised buckets of final answers, per store, query shape (`sig`) and bucket start: a dashboard that refreshes
 * a moving range asks the store only for the open and changed buckets. Bounded by the number of group-buckets held;
 * the least recently used shapes go first. An entry belongs to one store generation and is dropped with it.
 */
export class FragmentCache {
  private readonly entries = new Map<string, { generation: string; buckets: Map<number, Map<string, Buffer>> }>();
  private size = 0;
  constructor(private readonly maxGroupBuckets = 200_000) {}

  get(sig: string): { generation: string; buckets: ReadonlyMap<number, ReadonlyMap<string, Buffer>> } | undefined {
    const e = this.entries.get(sig);
    if (e) {
      this.entries.delete(sig);
      this.entries.set(sig, e);
    }
    return e;
  }

  put(sig: string, generation: string, buckets: [number, Map<string, Buffer>][]): void {
    let e = this.entries.get(sig);
    if (e && e.generation !== generation) {
      this.drop(sig);
      e = undefined;
    }
    if (!e) this.entries.set(sig, (e = { generation, buckets: new Map() }));
    for (const [start, m] of buckets) {
      if (this.size + m.size + 1 > this.maxGroupBuckets) this.evictOthers(sig, m.size + 1);
      if (this.size + m.size + 1 > this.maxGroupBuckets) break;
      const old = e.buckets.get(start);
      if (old) this.size -= old.size + 1;
      e.buckets.set(start, m);
      this.size += m.size + 1;
    }
  }

  /** Group-buckets held (for tests and metrics). */
  get groupBuckets(): number {
    return this.size;
  }

  private evictOthers(keep: string, need: number): void {
    for (const k of [...this.entries.keys()]) {
      if (this.size + need <= this.maxGroupBuckets) return;
      if (k !== keep) this.drop(k);
    }
  }

  private drop(sig: string): void {
    const e = this.entries.get(sig);
    if (!e) return;
    for (const m of e.buckets.values()) this.size -= m.size + 1;
    this.entries.delete(sig);
  }
}

const caches = new WeakMap<Store, FragmentCache>();
function cacheOf(store: Store): FragmentCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = new FragmentCache()));
  return c;
}

function compareGroups(a: Record<string, string | null>, b: Record<string, string | null>, keys: string[]): number {
  for (const k of keys) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
