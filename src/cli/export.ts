// `resultant export --start T --stop T [--format csv|ndjson] [--tag k=v ...] [--output PATH|-]`: raw results as
// GET /api/v1/results?format=csv|ndjson streams them, from the database file or a running server, written as they
// are read (into PATH.partial, renamed to PATH when complete).

import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { type ExportFormat, exportPieces, resultSelection } from '../api/export.js';
import { cliConfig } from './common.js';
import { asCli, closeReader, openReader, queryString, request, tagQuery } from './read.js';

interface ExportOptions {
  start: string;
  stop: string;
  format?: ExportFormat;
  tag: string[];
  success?: 'true' | 'false';
  output: string;
  url?: string;
  token?: string;
  db?: string;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** --format, else from the --output extension (.ndjson or .jsonl: NDJSON), else CSV. */
function formatOf(o: ExportOptions): ExportFormat {
  if (o.format) return o.format;
  return /\.(ndjson|jsonl)$/i.test(o.output) ? 'ndjson' : 'csv';
}

/** Where the export goes: standard output, or a file beside the target that replaces it when complete. */
function openOutput(path: string): {
  write(piece: string | Uint8Array): Promise<void>;
  finish(): Promise<void>;
  abandon(): Promise<void>;
} {
  const partial = path === '-' ? null : `${path}.partial`;
  const sink = partial ? createWriteStream(partial) : process.stdout;
  return {
    async write(piece) {
      if (!sink.write(piece)) await once(sink, 'drain');
    },
    async finish() {
      if (!partial) return;
      await new Promise<void>((resolve, reject) =>
        (sink as WriteStream).end((e?: Error | null) => (e ? reject(e) : resolve())),
      );
      await rename(partial, path);
    },
    async abandon() {
      if (!partial) return;
      (sink as WriteStream).destroy();
      await rm(partial, { force: true });
    },
  };
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'export raw results over [start, stop) as CSV or NDJSON, newest first, from the database file or a running server',
    )
    .requiredOption('--start <time>', 'RFC 3339 or epoch ms (inclusive)')
    .requiredOption('--stop <time>', 'RFC 3339 or epoch ms (exclusive)')
    .addOption(
      new Option('--format <format>', 'csv or ndjson (default: from the --output extension, else csv)').choices([
        'csv',
        'ndjson',
      ]),
    )
    .option('--tag <key=value>', 'filter, repeatable (one key repeated: any of its values)', collect, [])
    .addOption(new Option('--success <bool>', 'only successes (true) or failures (false)').choices(['true', 'false']))
    .option('--output <path>', 'file to write, or - for standard output', '-')
    .option('--url <url>', 'read from a running server instead of the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .action(async (o: ExportOptions) => {
      const format = formatOf(o);
      const q = { start: o.start, stop: o.stop, ...(o.success ? { success: o.success } : {}), ...tagQuery(o.tag) };
      // Arguments are checked as the API checks them, before any database or server is touched.
      const sel = await asCli(async () => resultSelection(q));
      const config = cliConfig({ RESULTANT_DB_PATH: o.db });
      const reader = await openReader(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
      const out = openOutput(o.output);
      try {
        if (reader.kind === 'http') {
          const res = await request(reader, `/api/v1/results${queryString({ ...q, format })}`);
          if (res.body) for await (const chunk of res.body) await out.write(chunk as Uint8Array);
        } else {
          for await (const piece of exportPieces(reader.store, sel, format)) await out.write(piece);
        }
        await out.finish();
      } catch (e) {
        await out.abandon();
        throw e;
      } finally {
        await closeReader(reader);
      }
      if (o.output !== '-') process.stderr.write(`wrote the results (${format}) to ${o.output}\n`);
    });
}
