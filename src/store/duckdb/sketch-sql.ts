// The sketch key of model/stats.ts computed inside DuckDB, for the rollups and the reads that merge sketch bins.
import { INV_LN_GAMMA, KEY_OFFSET } from '../../model/stats.js';

/** SQL expression for the sketch key of the DOUBLE expression `v` (constants only, no user input). */
export function sketchKeySql(v: string): string {
  return `(CASE WHEN ${v} > 0 THEN (${KEY_OFFSET} + ceil(ln(${v}) * ${INV_LN_GAMMA}))::INTEGER
    WHEN ${v} < 0 THEN (-(${KEY_OFFSET} + ceil(ln(-(${v})) * ${INV_LN_GAMMA})))::INTEGER
    ELSE 0 END)`;
}
