// `resultant delete --start T --stop T [--predicate P | --measurement M --tag k=v ...] [--url URL] [--json]`:
// deletes the points a predicate selects over [start, stop] (both inclusive, as InfluxDB's `influx delete`), and
// everything made from them, on the database file or a running server (POST /api/v2/delete). No confirmation:
// the range is required and the selection explicit; with neither --predicate nor --tag, everything in the range
// goes. Prints how many results, circuit-breaker events and emptied series were deleted when the store can tell.
import { type Command, Option } from 'commander';
import { DELETED_HEADERS, deleteSelection } from '../api/delete.js';
import { formatDeletePredicate } from '../model/delete-predicate.js';
import { MEASUREMENTS, type Tags } from '../model/result.js';
import type { DeleteReport } from '../store/types.js';
import { formatMicros, parseTimeValue } from '../time/parse.js';
import { cliConfig, usage } from './common.js';
import { asCli, closeReader, openReader, request } from './read.js';

interface DeleteOptions {
  start: string;
  stop: string;
  predicate?: string;
  measurement?: string;
  tag: string[];
  json?: boolean;
  url?: string;
  token?: string;
  db?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** RFC 3339 or epoch ms -> RFC 3339 (what the API takes). */
function rfc3339(v: string, name: string): string {
  const us = parseTimeValue(v);
  if (us === null) throw usage(`${name} must be an RFC 3339 time or epoch milliseconds (got "${v.slice(0, 60)}")`);
  return formatMicros(us);
}

/** The predicate: --predicate as given, or made from --measurement and --tag (checked by the same parser after). */
function predicateOf(o: DeleteOptions): string {
  if (o.predicate !== undefined) {
    if (o.measurement !== undefined || o.tag.length > 0)
      throw usage('give either --predicate or --measurement/--tag, not both');
    return o.predicate;
  }
  const tags: Tags = {};
  for (const t of o.tag) {
    const i = t.indexOf('=');
    if (i <= 0) throw usage(`--tag must be key=value (got "${t.slice(0, 60)}")`);
    const key = t.slice(0, i);
    if (key in tags) throw usage(`--tag ${key} is given twice: a delete matches one value per key`);
    tags[key] = t.slice(i + 1);
  }
  return formatDeletePredicate({ ...(o.measurement !== undefined ? { measurement: o.measurement } : {}), tags });
}

const count = (n: number | null, what: string): string | null => (n === null ? null : `${n} ${what}`);

function describe(r: DeleteReport): string {
  const parts = [count(r.resultsDeleted, 'results'), count(r.breakerEventsDeleted, 'circuit-breaker events')].filter(
    (x) => x !== null,
  );
  const series = r.seriesDeleted ? `; ${r.seriesDeleted} series left with no data were removed` : '';
  return parts.length ? `deleted ${parts.join(' and ')}${series}` : 'deleted (the store does not say how many points)';
}

/** A count header of the server's answer; null when absent (the store cannot tell). */
const header = (res: Response, name: string): number | null => {
  const v = res.headers.get(name);
  return v === null ? null : Number(v);
};

export function addDeleteCommand(program: Command): void {
  program
    .command('delete')
    .description(
      'delete the points a predicate selects over [start, stop] (both inclusive), with their rollups and summaries, on the database file or a running server',
    )
    .requiredOption('--start <time>', 'RFC 3339 or epoch ms (inclusive)')
    .requiredOption('--stop <time>', 'RFC 3339 or epoch ms (inclusive)')
    .option(
      '--predicate <expr>',
      'InfluxDB delete predicate: key="value" terms joined by AND, e.g. \'_measurement="test_result" AND endpoint="api"\'',
    )
    .addOption(new Option('--measurement <name>', 'only this measurement').choices([...MEASUREMENTS]))
    .option('--tag <key=value>', 'only series with this tag value, repeatable (all must match)', collect, [])
    .option('--json', 'print the counts as JSON (null where the store cannot tell)')
    .option('--url <url>', 'delete on a running server instead of the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .action(async (o: DeleteOptions) => {
      const body = { start: rfc3339(o.start, '--start'), stop: rfc3339(o.stop, '--stop'), predicate: predicateOf(o) };
      // Checked as the API checks it, before any database or server is touched.
      const sel = await asCli(async () => deleteSelection(body));
      const config = cliConfig({ RESULTANT_DB_PATH: o.db });
      const reader = await openReader(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
      let report: DeleteReport;
      try {
        if (reader.kind === 'http') {
          const res = await request(reader, '/api/v2/delete', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
          report = {
            resultsDeleted: header(res, DELETED_HEADERS.results),
            breakerEventsDeleted: header(res, DELETED_HEADERS.breakerEvents),
            seriesDeleted: header(res, DELETED_HEADERS.series),
          };
        } else {
          report = sel
            ? await asCli(() => reader.store.delete({ ...sel, nowMs: Date.now() }))
            : { resultsDeleted: 0, breakerEventsDeleted: 0, seriesDeleted: 0 };
        }
      } finally {
        await closeReader(reader);
      }
      process.stdout.write(`${o.json ? JSON.stringify(report) : describe(report)}\n`);
    });
}
