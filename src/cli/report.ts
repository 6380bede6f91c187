// `resultant report --type T --format F --output PATH`: the document POST /api/v1/reports returns, into a file
// (or standard output with --output -), written section by section as it is built.

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  REPORT_FORMATS,
  REPORT_TYPES,
  type ReportFormat,
  ReportRequest,
  type ReportType,
  streamReport,
} from '../report/index.js';
import { cliConfig, parseDays, progress, usage } from './common.js';
import { closeReader, openReader, request } from './read.js';

interface ReportOptions {
  type: ReportType;
  format?: ReportFormat;
  output: string;
  days: string;
  filter?: string;
  tz?: string;
  slaTarget?: string;
  url?: string;
  token?: string;
  db?: string;
  json?: boolean;
}

const EXT_FORMAT: Record<string, ReportFormat> = {
  md: 'markdown',
  markdown: 'markdown',
  html: 'html',
  htm: 'html',
  json: 'json',
  csv: 'csv',
};

export function addReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a report (Markdown, HTML, JSON or CSV) from the database file or a running server')
    .addOption(new Option('--type <type>', 'report type').choices(REPORT_TYPES).default('comprehensive'))
    .addOption(
      new Option('--format <format>', 'document format (default: from the --output extension, else html)').choices(
        REPORT_FORMATS,
      ),
    )
    .requiredOption('--output <path>', 'file to write, or - for standard output')
    .option('--days <n>', 'days back from now', '7')
    .option('--filter <json>', 'tag filter as JSON, e.g. {"region":"eu-west"}')
    .option('--tz <zone>', 'IANA time zone for days and times (default: RESULTANT_TIMEZONE)')
    .option('--sla-target <pct>', 'availability target in % (default 99.9)')
    .option('--url <url>', 'read from a running server instead of the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .option('--json', 'print what was written as JSON')
    .action(async (o: ReportOptions) => {
      const ext = /\.([a-z]+)$/i.exec(o.output)?.[1]?.toLowerCase();
      const format = o.format ?? (ext ? EXT_FORMAT[ext] : undefined) ?? 'html';
      let filter: unknown = {};
      if (o.filter !== undefined) {
        try {
          filter = JSON.parse(o.filter);
        } catch {
          throw usage(`--filter must be JSON such as {"region":"eu-west"} (got "${o.filter.slice(0, 60)}")`);
        }
      }
      const config = cliConfig({ RESULTANT_DB_PATH: o.db });
      const body = {
        type: o.type,
        format,
        days: parseDays(o.days, '--days'),
        filter,
        tz: o.tz ?? config.timezone,
        ...(o.slaTarget === undefined ? {} : { sla_target_pct: Number(o.slaTarget) }),
      };
      const parsed = ReportRequest.safeParse(body);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        const flag =
          { filter: '--filter', tz: '--tz', sla_target_pct: '--sla-target', days: '--days' }[String(i.path[0])] ??
          String(i.path[0]);
        throw usage(`${flag}${i.path.length > 1 ? ` (${i.path.slice(1).join('.')})` : ''}: ${i.message}`);
      }
      const reader = await openReader(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
      // Written as it comes (a section at a time), into a file beside the target that replaces it when complete.
      const out = o.output === '-' ? null : `${o.output}.partial`;
      const sink = out ? createWriteStream(out) : process.stdout;
      let bytes = 0;
      const write = async (piece: string | Uint8Array): Promise<void> => {
        bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
        if (!sink.write(piece)) await once(sink, 'drain');
      };
      try {
        if (reader.kind === 'http') {
          const res = await request(reader, '/api/v1/reports', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(parsed.data),
          });
          if (res.body) for await (const chunk of res.body) await write(chunk as Uint8Array);
        } else {
          const bar = progress(100, 'report');
          try {
            const { pieces } = await streamReport(reader.sources, parsed.data, {
              onProgress: (done, total) => bar.update(Math.round((100 * done) / total)),
            });
            for await (const piece of pieces) await write(piece);
          } finally {
            bar.stop();
          }
        }
        if (out) {
          await new Promise<void>((resolve, reject) =>
            (sink as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())),
          );
          await rename(out, o.output);
        }
      } catch (e) {
        if (out) {
          (sink as WriteStream).destroy();
          await rm(out, { force: true });
        }
        throw e;
      } finally {
        await closeReader(reader);
      }
      if (o.json && o.output !== '-') {
        process.stdout.write(`${JSON.stringify({ type: o.type, format, output: o.output, bytes })}\n`);
      } else if (o.output !== '-') process.stderr.write(`wrote the ${o.type} report (${format}) to ${o.output}\n`);
    });
}
