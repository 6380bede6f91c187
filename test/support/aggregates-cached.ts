// For tests: queryAggregates with one cache per store, as the service keeps one (service.ts), so that repeated
// reads in a test go through the cache as they do in the service.
import { FragmentCache, queryAggregates } from '../../src/aggregates/index.js';

const caches = new WeakMap<object, FragmentCache>();

export function aggregatesCached(
  ...[store, p, now]: Parameters<typeof queryAggregates>
): ReturnType<typeof queryAggregates> {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new FragmentCache()));
  return queryAggregates(store, p, now, cache);
}
