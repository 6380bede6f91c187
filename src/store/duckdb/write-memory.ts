// What the write path remembers between writes, and how a write's series become ids: each series' latest stored
// result time (a write later than all of them skips the lookup of rows it would replace), the failure fingerprints
// known to be stored, and the new series a write brings.
import { nextTurn } from '../../event-loop.js';
import type { FailureKind } from '../../model/fingerprint.js';
import type { SeriesRef, WriteBatch } from '../../model/result.js';
import { configOfSeries, type SeriesRecord, type SeriesRegistry } from './series-registry.js';
import { ShardedMap } from './sharded-map.js';

/** Fingerprints remembered as stored (each write skips their INSERT OR IGNORE). */
const MAX_KNOWN_FINGERPRINTS = 100_000;

/** `xs.map(f)`, giving the event loop a turn every 256 items (a write may bring 100,000 new series). */
export async function mapYielding<T, U>(xs: readonly T[], f: (x: T) => U): Promise<U[]> {
  const out: U[] = new Array<U>(xs.length);
  for (let i = 0; i < xs.length; i++) {
    if (i > 0 && i % 256 === 0) await nextTurn();
    out[i] = f(xs[i]!);
  }
  return out;
}

/**
 * The series ids of a write's results (per row) and breaker events, and the series it creates (ids after the
 * registry's, not yet registered: the store registers them inside the write's transaction). Results are resolved
 * once per series of the batch (`idOfIndex`), then per row by index.
 */
export async function seriesOfBatch(
  batch: WriteBatch,
  reg: SeriesRegistry,
): Promise<{ idOfIndex: Int32Array; resultIds: Int32Array; breakerIds: number[]; fresh: SeriesRecord[] }> {
  const ids = new Map<SeriesRef, number>();
  const fresh: SeriesRecord[] = [];
  /** New series of this write by key (a batch may hold several SeriesRef objects of one series). */
  const pending = new Map<string, number>();
  const resolve = (s: SeriesRef): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = reg.get(s.key)?.id ?? pending.get(s.key);
      if (id === undefined) {
        id = reg.nextId(fresh.length);
        pending.set(s.key, id);
        fresh.push({
          id,
          key: s.key,
          measurement: s.measurement,
          tags: s.tags,
          config: configOfSeries(s.measurement, s.tags),
        });
      }
      ids.set(s, id);
    }
    return id;
  };
  const idOfIndex = Int32Array.from(await mapYielding(batch.series, resolve));
  const index = batch.results.seriesIndex;
  const resultIds = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) resultIds[i] = idOfIndex[index[i]!]!;
  const breakerIds = await mapYielding(batch.breakers.series, resolve);
  return { idOfIndex, resultIds, breakerIds, fresh };
}

export class WriteMemory {
  /**
   * Per series id, the latest result time (µs) stored, read at open and kept by writes (scan). Retention and
   * cleanup leave it as it was: a later time than the stored one only makes a write look its rows up.
   */
  latest = new ShardedMap<number, number>();
  private readonly fingerprints = new Set<string>();

  /**
   * The latest time per series of a write, and whether the write may replace results (one per series and
   * timestamp): not when every point is later than its series' latest stored result and than the points before it
   * of its series in the write, as with a live writer's points, which then skip the lookup of the rows they would
   * replace. Yields to the event loop every few thousand rows (a write may hold 100,000 series).
   */
  async scan(batch: WriteBatch, idOfIndex: Int32Array): Promise<{ replacing: boolean; latest: Map<number, number> }> {
    const time = batch.results.time;
    const index = batch.results.seriesIndex;
    // A series may be listed twice in a batch (two objects of one key): rows are followed per id, at its first index.
    const first = new Map<number, number>();
    const canon = new Int32Array(idOfIndex.length);
    for (let s = 0; s < idOfIndex.length; s++) {
      const id = idOfIndex[s]!;
      let c = first.get(id);
      if (c === undefined) first.set(id, (c = s));
      canon[s] = c;
    }
    // Per series: the latest time of the write so far, NaN before its first row.
    const last = new Float64Array(idOfIndex.length).fill(NaN);
    let replacing = false;
    for (let i = 0; i < time.length; i++) {
      if (i > 0 && i % 65_536 === 0) await nextTurn();
      const s = canon[index[i]!]!;
      const t = time[i]!;
      const before = last[s]!;
      if (Number.isNaN(before)) {
        if (t <= (this.latest.get(idOfIndex[s]!) ?? -Infinity)) replacing = true;
        last[s] = t;
      } else if (t <= before) replacing = true;
      else last[s] = t;
    }
    const latest = new Map<number, number>();
    for (const [id, s] of first) if (!Number.isNaN(last[s]!)) latest.set(id, last[s]!);
    return { replacing, latest };
  }

  /** After a commit: the latest result time of each series the write wrote to. */
  async rememberLatest(latest: Map<number, number>): Promise<void> {
    let n = 0;
    for (const [id, t] of latest) {
      if (++n % 4096 === 0) await nextTurn();
      if (t > (this.latest.get(id) ?? -Infinity)) this.latest.set(id, t);
    }
  }

  /** Fingerprints of the batch not yet known to be in the `fingerprints` table. */
  newFingerprints(batch: WriteBatch): FailureKind[] {
    return [...batch.failureKinds.values()].filter((k) => !this.fingerprints.has(k.fingerprint));
  }

  /** After a commit: the batch's fingerprints are stored (a bounded memo; forgetting one only costs an INSERT OR IGNORE). */
  rememberFingerprints(batch: WriteBatch): void {
    if (this.fingerprints.size + batch.failureKinds.size > MAX_KNOWN_FINGERPRINTS) this.fingerprints.clear();
    for (const fp of batch.failureKinds.keys()) this.fingerprints.add(fp);
  }

  /** After rows were deleted or the file reloaded: fingerprints may no longer be stored. */
  forgetFingerprints(): void {
    this.fingerprints.clear();
  }
}
