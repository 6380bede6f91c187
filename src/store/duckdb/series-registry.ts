// All series (tag sets) of the database, in memory: ingest resolves series ids here without a query, and reads
// resolve tag filters and group_by here, so tag keys never become SQL (they stay map keys and JS strings).
import { configurationOf, tagsIdentity } from '../../model/configuration.js';
import type { Measurement, Tags } from '../../model/result.js';
import type { TagFilters } from '../types.js';
import { ShardedMap } from './sharded-map.js';

export interface SeriesRecord {
  id: number;
  key: string;
  measurement: Measurement;
  tags: Tags;
  /** Identity of the series' default test configuration (series.config); null for other measurements. */
  config: string | null;
}

/** The series.config value of a series. */
export function configOfSeries(measurement: Measurement, tags: Tags): string | null {
  return measurement === 'test_result' ? tagsIdentity(configurationOf(tags)) : null;
}

export interface GroupPlan {
  /** Parallel arrays: series id -> group index. */
  sids: number[];
  gids: number[];
  groups: Record<string, string | null>[];
}

export class SeriesRegistry {
  // Sharded: up to 200,000 series (RESULTANT_MAX_SERIES) are added while requests are served (sharded-map.ts).
  private readonly byKey = new ShardedMap<string, SeriesRecord>();
  private readonly byId = new ShardedMap<number, SeriesRecord>();
  /** tag key -> tag value -> series ids */
  private readonly index = new Map<string, ShardedMap<string, number[]>>();
  private maxId = 0;

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): SeriesRecord | undefined {
    return this.byKey.get(key);
  }

  byIdOrThrow(id: number): SeriesRecord {
    const s = this.byId.get(id);
    if (!s) throw new Error(`series ${id} is not registered`);
    return s;
  }

  nextId(offset: number): number {
    return this.maxId + 1 + offset;
  }

  add(rec: SeriesRecord): void {
    this.byKey.set(rec.key, rec);
    this.byId.set(rec.id, rec);
    if (rec.id > this.maxId) this.maxId = rec.id;
    for (const [k, v] of Object.entries(rec.tags)) {
      let values = this.index.get(k);
      if (!values) this.index.set(k, (values = new ShardedMap()));
      const ids = values.get(v);
      if (ids) ids.push(rec.id);
      else values.set(v, [rec.id]);
    }
  }

  /** Forgets series; a series with the same tags that comes back later gets a new id. */
  remove(ids: readonly number[]): void {
    for (const id of ids) {
      const rec = this.byId.get(id);
      if (!rec) continue;
      this.byId.delete(id);
      this.byKey.delete(rec.key);
      for (const [k, v] of Object.entries(rec.tags)) {
        const values = this.index.get(k);
        const left = values?.get(v)?.filter((x) => x !== id);
        if (!values || !left) continue;
        if (left.length) values.set(v, left);
        else values.delete(v);
        if (values.size === 0) this.index.delete(k);
      }
    }
  }

  /** Series of `measurement` matching every filter key (any of its values). */
  match(filters: TagFilters, measurement: Measurement | undefined): SeriesRecord[] {
    const keys = Object.keys(filters);
    let candidates: Iterable<SeriesRecord>;
    if (keys.length === 0) {
      candidates = this.byId.values();
    } else {
      // Start from the most selective filter key, then check the rest on each candidate.
      let best: number[] | null = null;
      for (const k of keys) {
        const values = this.index.get(k);
        const ids: number[] = [];
        for (const v of filters[k]!) ids.push(...(values?.get(v) ?? []));
        if (best === null || ids.length < best.length) best = ids;
      }
      candidates = (best ?? []).map((id) => this.byId.get(id)!);
    }
    const out: SeriesRecord[] = [];
    for (const s of candidates) {
      if (measurement && s.measurement !== measurement) continue;
      let ok = true;
      for (const k of keys) {
        const v = s.tags[k];
        if (v === undefined || !filters[k]!.includes(v)) {
          ok = false;
          break;
        }
      }
      if (ok) out.push(s);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Matching series and their group index under `groupBy` (a missing tag groups as null, or leaves the series out). */
  plan(filters: TagFilters, groupBy: string[], measurement: Measurement, skipUntagged = false): GroupPlan {
    let matched = this.match(filters, measurement);
    if (skipUntagged) matched = matched.filter((s) => groupBy.every((k) => s.tags[k] !== undefined));
    const groupIndex = new Map<string, number>();
    const groups: Record<string, string | null>[] = [];
    const sids: number[] = [];
    const gids: number[] = [];
    for (const s of matched) {
      const g: Record<string, string | null> = {};
      for (const k of groupBy) g[k] = s.tags[k] ?? null;
      const gk = JSON.stringify(groupBy.map((k) => g[k]));
      let gi = groupIndex.get(gk);
      if (gi === undefined) {
        gi = groups.length;
        groupIndex.set(gk, gi);
        groups.push(g);
      }
      sids.push(s.id);
      gids.push(gi);
    }
    return { sids, gids, groups };
  }
}
