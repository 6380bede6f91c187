// Tag filters as JSON bodies give them (`{"endpoint": "api", "region": ["eu", "us"]}`): one zod schema that checks
// keys and values as tags are checked everywhere, and the conversion to the stores' TagFilters.
import { z } from 'zod';
import { checkTagKey, checkTagValue } from './result.js';

/** Tag filters: key -> accepted values (any of); different keys must all match. */
export type TagFilters = Record<string, string[]>;

export const TagFilterBody = z
  .record(z.string(), z.union([z.string(), z.array(z.string()).min(1).max(1000)]))
  .default({})
  .superRefine((f, ctx) => {
    for (const [k, v] of Object.entries(f)) {
      const keyProblem = checkTagKey(k);
      if (keyProblem) ctx.addIssue({ code: 'custom', path: [k], message: keyProblem });
      for (const value of Array.isArray(v) ? v : [v]) {
        const valueProblem = keyProblem ? null : checkTagValue(k, value);
        if (valueProblem) ctx.addIssue({ code: 'custom', path: [k], message: valueProblem });
      }
    }
  });
export type TagFilterBody = z.output<typeof TagFilterBody>;

/** Key -> any of the values. */
export function tagFiltersOf(body: TagFilterBody): TagFilters {
  const out: TagFilters = {};
  for (const [k, v] of Object.entries(body)) out[k] = [...new Set(Array.isArray(v) ? v : [v])];
  return out;
}
