// Test configurations: what ran, without who or which run ran it. The same test on the same hardware, model,
// branch and region is one configuration whichever worker or build ran it, so flaky-test analysis follows its
// outcomes across workers. Stores keep run summaries per configuration and hour under the default definition.
import type { Tags } from './result.js';

/** Tags that name one run rather than what ran; left out of a configuration by default. */
export const RUN_TAGS: readonly string[] = ['worker', 'commit', 'build', 'run', 'run_id', 'job', 'job_id'];

/** How a configuration is made from a result's tags: every tag except `ignore`, or exactly the `only` tags. */
export type ConfigurationRule = { ignore: readonly string[] } | { only: readonly string[] };

export const DEFAULT_CONFIGURATION: ConfigurationRule = { ignore: RUN_TAGS };

/** The configuration's tags (keys sorted) of a tag set; keys of `only` that the tags lack are left out. */
export function configurationOf(tags: Readonly<Tags>, rule: ConfigurationRule = DEFAULT_CONFIGURATION): Tags {
  const keys = 'only' in rule ? [...rule.only] : Object.keys(tags).filter((k) => !rule.ignore.includes(k));
  const out: Tags = {};
  for (const k of keys.sort()) if (tags[k] !== undefined) out[k] = tags[k]!;
  return out;
}

/** The identity of a tag set: its entries sorted by key, as JSON (one string per distinct set). */
export function tagsIdentity(tags: Readonly<Record<string, string | null>>): string {
  return JSON.stringify(
    Object.keys(tags)
      .sort()
      .map((k) => [k, tags[k]]),
  );
}

/**
 * tagsIdentity, remembered per tags object: the stores hand every row of a series or configuration the same
 * object, so a month of hourly rows computes each identity once.
 */
export function identityByObject(): (tags: Readonly<Record<string, string | null>>) => string {
  const held = new WeakMap<object, string>();
  return (tags) => {
    let id = held.get(tags);
    if (id === undefined) {
      id = tagsIdentity(tags);
      held.set(tags, id);
    }
    return id;
  };
}

/** True when `rule` is the default definition, the one stores keep summaries for. */
export function isDefaultConfiguration(rule: ConfigurationRule): boolean {
  if ('only' in rule) return false;
  return rule.ignore.length === RUN_TAGS.length && RUN_TAGS.every((t) => rule.ignore.includes(t));
}
