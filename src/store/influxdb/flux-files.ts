// The Flux programs in flux/*.flux (the hourly and daily rollups, and the hourly analysis summaries), read once
// and rendered for their two uses: as InfluxDB tasks (bucket names and zone filled in) and as one-off queries
// with explicit aligned bounds (rollup, rebuild).
// Only the marked blocks change, and every value goes in as a Flux literal built by the client's escaping
// functions, so a bucket or zone name can never change the program.
import { readFileSync } from 'node:fs';
import { fluxDateTime, fluxString } from '@influxdata/influxdb-client';

export type RollupLevel = 'hourly' | 'daily';
/** Every program: the two rollups, and the analysis summaries (hourly, into the hourly bucket). */
export type FluxProgram = RollupLevel | 'analysis';

export const FLUX_FILES: Record<FluxProgram, string> = {
  hourly: 'rollup_hourly__v1.flux',
  daily: 'rollup_daily__v1.flux',
  analysis: 'analysis_hourly__v1.flux',
};

const cache = new Map<string, string>();

/** The flux/ directory: from src/store/influxdb when run by tsx/vitest, from dist/src/store/influxdb when built. */
export function readFluxFile(name: string): string {
  let text = cache.get(name);
  if (text !== undefined) return text;
  const errors: string[] = [];
  for (const rel of ['../../../flux/', '../../../../flux/']) {
    try {
      text = readFileSync(new URL(rel + name, import.meta.url), 'utf8');
      break;
    } catch (e) {
      errors.push(String(e));
    }
  }
  if (text === undefined) throw new Error(`cannot read flux/${name}: ${errors.join('; ')}`);
  cache.set(name, text);
  return text;
}

/** The task name declared in a program's `option task` (what the installer finds tasks by). */
export function taskName(source: string): string {
  const m = /^option task = \{name: "([^"\\]+)"/m.exec(source);
  if (!m) throw new Error('the Flux program has no option task with a name');
  return m[1]!;
}

export interface RollupParams {
  srcBucket: string;
  dstBucket: string;
  /** IANA zone of the daily rollup (only the daily program has one). */
  timezone?: string;
}

function replaceBlock(source: string, marker: string, body: string): string {
  const start = source.indexOf(`// @${marker}\n`);
  const end = start < 0 ? -1 : source.indexOf('// @end\n', start);
  if (start < 0 || end < 0) throw new Error(`the Flux program has no @${marker} block`);
  return `${source.slice(0, start)}// @${marker}\n${body}${source.slice(end)}`;
}

/** The program with the @params block filled in. */
export function renderParams(source: string, p: RollupParams): string {
  const lines: string[] = [];
  if (/^option location = /m.test(source.slice(source.indexOf('// @params')))) {
    lines.push(`option location = timezone.location(name: ${fluxString(p.timezone ?? 'UTC').toString()})`);
  }
  lines.push(`src_bucket = ${fluxString(p.srcBucket).toString()}`);
  lines.push(`dst_bucket = ${fluxString(p.dstBucket).toString()}`);
  return replaceBlock(source, 'params', `${lines.join('\n')}\n`);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * A one-off query: the task option removed (a query is not a task) and the @bounds block replaced by explicit
 * bounds. `level` decides the names: the hourly programs (rollup and analysis) recompute [start, stop) (whole UTC
 * hours), the daily one the single day [start, stop) (local midnights, from time/buckets.ts).
 */
export function renderBounded(
  source: string,
  level: FluxProgram,
  p: RollupParams,
  startMs: number,
  stopMs: number,
): string {
  if (!(startMs < stopMs)) throw new Error(`empty rollup range ${iso(startMs)}..${iso(stopMs)}`);
  const withParams = renderParams(source, p).replace(/^option task = .*$/m, '// (task option removed: run as a query)');
  const body =
    level !== 'daily'
      ? `start = ${fluxDateTime(iso(startMs)).toString()}\nstop = ${fluxDateTime(iso(stopMs)).toString()}\n`
      : `dayStart = ${fluxDateTime(iso(startMs)).toString()}\ndayStop = ${fluxDateTime(iso(stopMs)).toString()}\ndue = true\n`;
  return replaceBlock(withParams, 'bounds', body);
}
