// `resultant visualize --type T --output FILE.svg|.png`: the chart GET /api/v1/charts/<type> draws, into a file.

import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { chartRequest } from '../api/charts.js';
import { loadChart } from '../charts/load.js';
import { renderChart } from '../charts/render.js';
import { CHART_TYPES, type ChartType } from '../charts/types.js';
import { cliConfig, usage } from './common.js';
import { asCli, closeReader, openReader, queryString, request, tagQuery } from './read.js';

interface VisualizeOptions {
  type: ChartType;
  output: string;
  start?: string;
  stop?: string;
  tz?: string;
  period?: string;
  groupBy?: string;
  metric?: string;
  tag: string[];
  limit?: string;
  statistic?: string;
  horizon?: string;
  url?: string;
  token?: string;
  db?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function addVisualizeCommand(program: Command): void {
  program
    .command('visualize')
    .description('draw a chart (SVG or PNG by the output name) from the database file or a running server')
    .addOption(new Option('--type <type>', 'chart type').choices(CHART_TYPES).makeOptionMandatory())
    .requiredOption('--output <path>', 'file to write: *.svg or *.png')
    .option('--start <time>', 'RFC 3339 or epoch ms (default: as the matching read)')
    .option('--stop <time>', 'RFC 3339 or epoch ms (default: now)')
    .option('--tz <zone>', 'IANA time zone of the time axis (default: RESULTANT_TIMEZONE)')
    .option('--period <period>', 'bucket: hour, day, week, month (forecast: hour or day)')
    .option('--group-by <keys>', 'comma-separated tag keys, e.g. endpoint,region')
    .option('--metric <name>', 'metric (default latency_ms)')
    .option('--tag <key=value>', 'filter, repeatable', collect, [])
    .option('--limit <n>', 'series drawn at most (1-8)')
    .option('--statistic <s>', 'forecast: mean, p95, availability_pct, test_count')
    .option('--horizon <n>', 'forecast: periods ahead')
    .option('--url <url>', 'read from a running server instead of the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .option('--json', 'print what was written as JSON')
    .action(async (o: VisualizeOptions) => {
      const format = /\.svg$/i.test(o.output) ? 'svg' : /\.png$/i.test(o.output) ? 'png' : null;
      if (!format) throw usage(`--output must end in .svg or .png (got "${o.output}")`);
      const q: Record<string, string | string[] | undefined> = {
        start: o.start,
        stop: o.stop,
        tz: o.tz,
        period: o.period,
        group_by: o.groupBy,
        metric: o.metric,
        limit: o.limit,
        statistic: o.statistic,
        horizon: o.horizon,
        ...tagQuery(o.tag),
      };
      for (const k of Object.keys(q)) if (q[k] === undefined) delete q[k];
      const config = cliConfig({ RESULTANT_DB_PATH: o.db });
      // Arguments are checked before any database or server is touched.
      const req = await asCli(async () => chartRequest(o.type, q, config.timezone));
      const reader = await openReader(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
      let body: Buffer;
      try {
        if (reader.kind === 'http') {
          const res = await request(reader, `/api/v1/charts/${o.type}.${format}${queryString(q)}`);
          body = Buffer.from(await res.arrayBuffer());
        } else {
          body = await asCli(async () => renderChart(await loadChart(reader.sources, req), format));
        }
      } finally {
        await closeReader(reader);
      }
      await writeFile(o.output, body);
      if (o.json)
        process.stdout.write(`${JSON.stringify({ type: o.type, format, output: o.output, bytes: body.length })}\n`);
      else process.stderr.write(`wrote the ${o.type} chart to ${o.output} (${body.length} bytes)\n`);
    });
}
