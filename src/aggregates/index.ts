// GET /api/v1/aggregates as a function: parameters in, the contract's response out (docs/design.md).
// Works on any Store: the store merges moments and percentiles, this turns them into bucket statistics.
import { type Stats, statsFrom } from '../model/stats.js';
import type { StatsLevel, Store, TagFilters } from '../store/types.js';
import { bucketBoundariesYielding, DAY_MS, HOUR_MS, type Period } from '../time/buckets.js';
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
  /** What the caller reads of each bucket (Store AggregateQuery.stats); the API asks for everything. */
  stats?: StatsLevel;
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

/** One group's buckets as serialised pieces: each one bucket (a BucketJson) or several joined by commas. */
interface BuiltSeries {
  group: Record<string, string | null>;
  pieces: Buffer[];
  /** The buckets as objects, when they were asked for and every one was built now (none came from the cache). */
  objects?: BucketJson[];
}

interface Items {
  group: Record<string, string | null>;
  /** Bucket indexes and their serialised buckets (fresh ones still as text); `held` marks buckets reused from the cache. */
  index: number[];
  json: (Buffer | string)[];
  held: boolean[];
  /** The entry is a whole held block (json holds its buffer; index its first bucket of the answer). */
  whole: boolean[];
  /** Fresh buckets as objects when build() was asked to keep them; null for held ones. */
  obj: (BucketJson | null)[];
}

interface Built {
  head: Omit<AggregatesJson, 'series' | 'warnings'>;
  series: BuiltSeries[];
  warnings?: string[];
}

/**
 * A group's final buckets whose starts fall in one block span, serialised and joined with commas in one buffer;
 * the cache holds each bucket's fragment as a view into it. A dashboard refresh then sends a held block as one
 * piece instead of copying its buckets one by one (bench/aggregates.ts).
 */
export interface Block {
  buf: Buffer;
  /** Each bucket's start and its fragment (a view into buf). */
  views: [number, Buffer][];
}

/**
 * The blocks of every group for the buckets from `first` to `last` (starts, ms) of one block span, made from an
 * answer where all those buckets were final. Valid for an answer that holds exactly those buckets of the span.
 */
export interface BlockSet {
  first: number;
  last: number;
  groups: Map<string, Block>;
}

const BLOCK_SPAN_MS: Record<Period, number> = {
  hour: DAY_MS,
  day: 32 * DAY_MS,
  week: 371 * DAY_MS,
  month: 3653 * DAY_MS,
};

/**
 * The contract's response as UTF-8 JSON in pieces of about 64 KiB, built from cached serialised buckets where it
 * can: the API streams them, so a large answer never becomes one large string. `cache` holds the serialised closed
 * buckets of earlier answers for one store (the composition root makes one per service); without it every bucket
 * is read again.
 */
export async function queryAggregatesJson(
  store: Store,
  p: AggregateParams,
  nowMs: number,
  cache?: FragmentCache,
): Promise<Iterable<Buffer>> {
  return chunksOf(await build(store, p, nowMs, cache, false));
}

const COMMA = Buffer.from(',');
const CLOSE_SERIES = Buffer.from(']}');
/** Pieces at least this long are passed on as they are; shorter ones are gathered into pieces of about 64 KiB. */
const PASS_THROUGH = 4096;
const CHUNK = 65_536;

function* chunksOf(b: Built): Generator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  const flush = (): Buffer => {
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
    pending = [];
    size = 0;
    return chunk;
  };
  const small = (piece: Buffer): void => {
    pending.push(piece);
    size += piece.length;
  };
  small(Buffer.from(`${JSON.stringify(b.head).slice(0, -1)},"series":[`));
  for (let g = 0; g < b.series.length; g++) {
    const s = b.series[g]!;
    small(Buffer.from(`${g ? ',' : ''}{"group":${JSON.stringify(s.group)},"buckets":[`));
    for (let i = 0; i < s.pieces.length; i++) {
      if (i) small(COMMA);
      const piece = s.pieces[i]!;
      if (piece.length >= PASS_THROUGH) {
        if (size > 0) yield flush();
        yield piece;
      } else {
        small(piece);
        if (size >= CHUNK) yield flush();
      }
    }
    small(CLOSE_SERIES);
  }
  small(Buffer.from(`]${b.warnings ? `,"warnings":${JSON.stringify(b.warnings)}` : ''}}`));
  yield flush();
}

/** Serialised buckets joined with commas into one buffer, with each bucket's fragment as a view into it. */
function joinBlock(starts: number[], frags: (Buffer | string)[]): Block {
  const lengths = frags.map((f) => (typeof f === 'string' ? Buffer.byteLength(f) : f.length));
  let total = frags.length - 1;
  for (const n of lengths) total += n;
  const buf = Buffer.allocUnsafeSlow(total);
  const views: [number, Buffer][] = [];
  let off = 0;
  for (let i = 0; i < frags.length; i++) {
    if (i) buf[off++] = 0x2c; // ','
    const f = frags[i]!;
    if (typeof f === 'string') buf.write(f, off);
    else f.copy(buf, off);
    views.push([starts[i]!, buf.subarray(off, off + lengths[i]!)]);
    off += lengths[i]!;
  }
  return { buf, views };
}

/** The same answer as objects, for the analyses, reports and forecasts; `cache` as for queryAggregatesJson. */
export async function queryAggregates(
  store: Store,
  p: AggregateParams,
  nowMs: number,
  cache?: FragmentCache,
): Promise<AggregatesJson> {
  const b = await build(store, p, nowMs, cache, true);
  const out: AggregatesJson = {
    ...b.head,
    series: b.series.map((s) => ({
      group: s.group,
      // Buckets from the cache exist only as text: those groups are read back from it.
      buckets: s.objects ?? s.pieces.flatMap((x) => JSON.parse(`[${x.toString()}]`) as BucketJson[]),
    })),
  };
  if (b.warnings) out.warnings = b.warnings;
  return out;
}

/** The answer's serialised pieces; with `keepObjects`, also the buckets as objects where none came from the cache. */
async function build(
  store: Store,
  p: AggregateParams,
  nowMs: number,
  cache: FragmentCache | undefined,
  keepObjects: boolean,
): Promise<Built> {
  const [start, stop] = defaultRange(p.period, nowMs, p.start, p.stop);
  const boundaries = await bucketBoundariesYielding(p.period, p.tz, start, stop);
  const nB = boundaries.length - 1;
  const filters = Object.keys(p.filters)
    .sort()
    .map((k) => [k, [...p.filters[k]!].sort()]);
  const level = p.stats ?? 'percentiles';
  const sig = JSON.stringify([p.period, p.tz, p.metric, p.groupBy, filters, level]);
  const held = cache?.get(sig);
  const reuse = new Set<number>();
  if (held) for (let i = 0; i < nB; i++) if (held.buckets.has(boundaries[i]!)) reuse.add(i);
  const res = await store.aggregate({
    period: p.period,
    tz: p.tz,
    boundaries,
    filters: p.filters,
    groupBy: p.groupBy,
    metric: p.metric,
    stats: level,
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
  const groupKey = (group: Record<string, string | null>): string =>
    JSON.stringify(p.groupBy.map((k) => group[k] ?? null));
  const bySeries = new Map<string, Items>();
  const itemsOf = (gk: string, group: () => Record<string, string | null>): Items => {
    let s = bySeries.get(gk);
    if (!s) bySeries.set(gk, (s = { group: group(), index: [], json: [], held: [], whole: [], obj: [] }));
    return s;
  };
  const add = (
    items: Items,
    i: number,
    json: Buffer | string,
    isHeld: boolean,
    whole: boolean,
    obj: BucketJson | null = null,
  ): void => {
    items.index.push(i);
    items.json.push(json);
    items.held.push(isHeld);
    items.whole.push(whole);
    items.obj.push(obj);
  };

  // The buckets of the answer per block, and which of them are final (reused, or final and closed now).
  const span = BLOCK_SPAN_MS[p.period];
  const blockOf = (i: number): number => Math.floor(boundaries[i]! / span);
  const reused = new Set(res.reused ?? []);
  const fresh = new Map<number, Map<string, Buffer>>();
  for (const i of res.final ?? []) if (boundaries[i + 1]! <= nowMs && !reused.has(i)) fresh.set(i, new Map());
  const inBlock = new Map<number, { first: number; last: number; allHeld: boolean; allFinal: boolean }>();
  for (let i = 0; i < nB; i++) {
    const bid = blockOf(i);
    let x = inBlock.get(bid);
    if (!x) inBlock.set(bid, (x = { first: i, last: i, allHeld: true, allFinal: true }));
    x.last = i;
    x.allHeld &&= reused.has(i);
    x.allFinal &&= reused.has(i) || fresh.has(i);
  }
  // A held block set that covers exactly this answer's buckets of a block serves them whole; other held buckets
  // come fragment by fragment.
  const wholeBlocks = new Set<number>();
  for (const [bid, x] of inBlock) {
    const set = x.allHeld ? held?.blockSets.get(bid) : undefined;
    if (!set || set.first !== boundaries[x.first]! || set.last !== boundaries[x.last]!) continue;
    wholeBlocks.add(bid);
    for (const [gk, block] of set.groups)
      add(
        itemsOf(gk, () => groupFromKey(gk, p.groupBy)),
        x.first,
        block.buf,
        true,
        true,
      );
  }
  for (const i of res.reused ?? []) {
    if (wholeBlocks.has(blockOf(i))) continue;
    for (const [gk, frag] of held!.buckets.get(boundaries[i]!)!)
      add(
        itemsOf(gk, () => groupFromKey(gk, p.groupBy)),
        i,
        frag,
        true,
        false,
      );
  }
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
      if (b.approximate && b.n > 0) out.stats.approximate = true;
      add(items, b.bucket, JSON.stringify(out), false, false, keepObjects ? out : null);
    }
  }

  if (p.fill && bySeries.size === 0 && p.groupBy.length === 0) {
    // One group for "everything that matched", so a dashboard gets its empty buckets even with no data.
    bySeries.set('[]', { group: {}, index: [], json: [], held: [], whole: [], obj: [] });
  }
  /** Block sets built for this answer: blocks whose buckets of the answer were all final, for every group. */
  const newSets = new Map<number, BlockSet>();
  /** Fragments of held buckets that moved into a new block. */
  const moved: [number, string, Buffer][] = [];
  const empty: (Buffer | undefined)[] = [];
  /** A fragment as bytes; a fresh final one is kept for the cache. */
  const bufferOf = (gk: string, i: number, frag: Buffer | string): Buffer => {
    if (typeof frag !== 'string') return frag;
    const buf = Buffer.from(frag);
    fresh.get(i)?.set(gk, buf);
    return buf;
  };
  /** A group's buckets as objects (sorted by index), with the empty ones of a filled answer in between. */
  const objectsOf = (index: number[], objs: BucketJson[]): BucketJson[] => {
    if (!p.fill) return objs;
    const out: BucketJson[] = [];
    let j = 0;
    for (let i = 0; i < nB; i++) out.push(j < index.length && index[j] === i ? objs[j++]! : bucketJson(i));
    return out;
  };
  let byStart: Map<number, number> | undefined;
  const indexOf = (start: number): number => (byStart ??= new Map(boundaries.map((b, i) => [b, i]))).get(start)!;
  const series: BuiltSeries[] = [...bySeries].map(([gk, items]) => {
    let { index, json, held: wasHeld, whole, obj } = items;
    // Held and fresh buckets arrive each in order; merge them when both came.
    let sorted = true;
    for (let j = 1; j < index.length && sorted; j++) sorted = index[j - 1]! < index[j]!;
    if (!sorted) {
      const order = index.map((_, j) => j).sort((x, y) => index[x]! - index[y]!);
      index = order.map((j) => index[j]!);
      json = order.map((j) => json[j]!);
      wasHeld = order.map((j) => wasHeld[j]!);
      whole = order.map((j) => whole[j]!);
      obj = order.map((j) => obj[j]!);
    }
    const objects = keepObjects && !obj.includes(null) ? objectsOf(index, obj as BucketJson[]) : undefined;
    const pieces: Buffer[] = [];
    if (p.fill) {
      // Filled answers interleave empty buckets: bucket by bucket, whole blocks split into their fragments.
      const frags: [number, Buffer][] = [];
      for (let j = 0; j < index.length; j++) {
        if (!whole[j]) frags.push([index[j]!, bufferOf(gk, index[j]!, json[j]!)]);
        else
          for (const [start, f] of held!.blockSets.get(blockOf(index[j]!))!.groups.get(gk)!.views)
            frags.push([indexOf(start), f]);
      }
      let j = 0;
      for (let i = 0; i < nB; i++) {
        if (j < frags.length && frags[j]![0] === i) pieces.push(frags[j++]![1]);
        else pieces.push((empty[i] ??= Buffer.from(JSON.stringify(bucketJson(i)))));
      }
      return { group: items.group, pieces, ...(objects ? { objects } : {}) };
    }
    for (let j = 0; j < index.length; ) {
      if (whole[j]) {
        pieces.push(json[j++] as Buffer);
        continue;
      }
      const bid = blockOf(index[j]!);
      let k = j + 1;
      while (k < index.length && !whole[k] && blockOf(index[k]!) === bid) k++;
      const x = inBlock.get(bid)!;
      if (!x.allFinal) {
        for (let y = j; y < k; y++) pieces.push(bufferOf(gk, index[y]!, json[y]!));
        j = k;
        continue;
      }
      // Every bucket of this block in the answer is final: the group's buckets in it become one block.
      const starts = index.slice(j, k).map((i) => boundaries[i]!);
      const block = joinBlock(starts, json.slice(j, k));
      pieces.push(block.buf);
      let set = newSets.get(bid);
      if (!set) newSets.set(bid, (set = { first: boundaries[x.first]!, last: boundaries[x.last]!, groups: new Map() }));
      set.groups.set(gk, block);
      for (let y = j; y < k; y++) {
        const view = block.views[y - j]![1];
        if (wasHeld[y]) moved.push([starts[y - j]!, gk, view]);
        else fresh.get(index[y]!)!.set(gk, view);
      }
      j = k;
    }
    return { group: items.group, pieces, ...(objects ? { objects } : {}) };
  });
  if (cache && res.generation !== undefined) {
    cache.put(
      sig,
      res.generation,
      [...fresh].map(([i, m]) => [boundaries[i]!, m]),
      { blockSets: [...newSets], moved, window: [boundaries[0]!, boundaries[nB]!] },
    );
  }
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
 * a moving range asks the store only for the open and changed buckets. Bounded by the number of group-buckets held:
 * the least recently used shapes go first, then a shape's buckets outside the range just asked for. An entry
 * belongs to one store generation and is dropped with it. Each start holds the fragments of every group that had
 * results in that bucket (the store's reuse protocol is per bucket), often as views into a `Block`.
 */
interface CacheEntry {
  generation: string;
  buckets: Map<number, Map<string, Buffer>>;
  /** Per block id. */
  blockSets: Map<number, BlockSet>;
}

export interface CacheExtras {
  /** Block sets built for this answer, by block id. */
  blockSets?: [number, BlockSet][];
  /** Held fragments now served from a new block (bucket start, group key, view); replaced only where still held. */
  moved?: [number, string, Buffer][];
  /** The range [start, stop) of the answer: what to keep when the shape outgrows the bound. */
  window?: [number, number];
}

/**
 * Serialised closed buckets per query shape, valid for the store generation they were read under. One per store:
 * the service creates it (service.ts) and gives it to every reader of aggregates.
 */
export class FragmentCache {
  private readonly entries = new Map<string, CacheEntry>();
  private size = 0;
  constructor(private readonly maxGroupBuckets = 200_000) {}

  get(sig: string): Readonly<CacheEntry> | undefined {
    const e = this.entries.get(sig);
    if (e) {
      this.entries.delete(sig);
      this.entries.set(sig, e);
    }
    return e;
  }

  put(sig: string, generation: string, buckets: [number, Map<string, Buffer>][], extras: CacheExtras = {}): void {
    let e = this.entries.get(sig);
    if (e && e.generation !== generation) {
      this.drop(sig);
      e = undefined;
    }
    if (!e) this.entries.set(sig, (e = { generation, buckets: new Map(), blockSets: new Map() }));
    let trimmed = false;
    for (const [start, m] of buckets) {
      if (this.size + m.size + 1 > this.maxGroupBuckets) this.evictOthers(sig, m.size + 1);
      if (this.size + m.size + 1 > this.maxGroupBuckets && !trimmed && extras.window) {
        this.trim(e, extras.window);
        trimmed = true;
      }
      if (this.size + m.size + 1 > this.maxGroupBuckets) break;
      const old = e.buckets.get(start);
      if (old) this.size -= old.size + 1;
      e.buckets.set(start, m);
      this.size += m.size + 1;
    }
    for (const [start, gk, view] of extras.moved ?? []) {
      const m = e.buckets.get(start);
      if (m?.has(gk)) m.set(gk, view);
    }
    // A block set stands for held fragments: kept only when every one of them is held.
    for (const [bid, set] of extras.blockSets ?? []) {
      if (complete(e, set)) e.blockSets.set(bid, set);
      else e.blockSets.delete(bid);
    }
  }

  /** Group-buckets held (for tests and metrics). */
  get groupBuckets(): number {
    return this.size;
  }

  private trim(e: CacheEntry, [lo, hi]: [number, number]): void {
    for (const [start, m] of e.buckets) {
      if (start >= lo && start < hi) continue;
      e.buckets.delete(start);
      this.size -= m.size + 1;
    }
    for (const [bid, set] of e.blockSets) if (!complete(e, set)) e.blockSets.delete(bid);
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

function complete(e: CacheEntry, set: BlockSet): boolean {
  for (const [gk, block] of set.groups)
    for (const [start] of block.views) if (!e.buckets.get(start)?.has(gk)) return false;
  return true;
}

/** The order groups are listed in: by their group_by values in turn, a missing tag first. */
export function compareGroups(
  a: Readonly<Record<string, string | null>>,
  b: Readonly<Record<string, string | null>>,
  keys: readonly string[],
): number {
  for (const k of keys) {
    const x = a[k] ?? '';
    const y = b[k] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
