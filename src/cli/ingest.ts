// `resultant ingest <file|->`: line protocol or JSON lines into the database file or a running server.
// A file is checked whole first, so a bad line stops the command before anything is written (as the HTTP API
// does for one request); standard input cannot be read twice and is checked and written batch by batch.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeJsonResults, decodeLineProtocol, type IngestRules, MAX_SKIPPED_NAMES } from '../ingest/index.js';
import { CliError, progress, type Sink, type Skipped, usage } from './common.js';

export type Format = 'auto' | 'lp' | 'json';

interface Chunk {
  format: 'lp' | 'json';
  lines: string[];
  /** 1-based number of the first line in the file. */
  firstLine: number;
  bytes: number;
}

async function* chunks(path: string, format: Format, batchSize: number): AsyncGenerator<Chunk> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input, crlfDelay: Infinity });
  let fmt: 'lp' | 'json' | null = format === 'auto' ? null : format;
  let lines: string[] = [];
  let firstLine = 1;
  let lineNo = 0;
  let bytes = 0;
  for await (const line of rl) {
    lineNo++;
    bytes += Buffer.byteLength(line) + 1;
    const t = line.trim();
    if (fmt === null && t !== '' && !t.startsWith('#')) fmt = t.startsWith('{') || t.startsWith('[') ? 'json' : 'lp';
    if (lines.length === 0) firstLine = lineNo;
    lines.push(line);
    if (lines.length >= batchSize) {
      yield { format: fmt ?? 'lp', lines, firstLine, bytes };
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) yield { format: fmt ?? 'lp', lines, firstLine, bytes };
}

/** JSON lines: one object per line, or a line holding an array. Blank lines are skipped. */
function jsonRecords(c: Chunk): { records: unknown[]; lineOf: number[] } {
  const records: unknown[] = [];
  const lineOf: number[] = [];
  c.lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw new CliError(`line ${c.firstLine + i}: not valid JSON (${e instanceof Error ? e.message : 'parse error'})`);
    }
    for (const r of Array.isArray(v) ? v : [v]) {
      records.push(r);
      lineOf.push(c.firstLine + i);
    }
  });
  return { records, lineOf };
}

function check(c: Chunk, rules: IngestRules): number {
  if (c.format === 'lp') {
    const d = decodeLineProtocol(c.lines.join('\n'), { precision: 'ns', nowUs: Date.now() * 1000, rules });
    if (!d.ok) throw new CliError(`line ${c.firstLine + d.line - 1}: ${d.message.replace(/^line \d+: /, '')}`);
    return d.batch.size;
  }
  const { records, lineOf } = jsonRecords(c);
  if (records.length === 0) return 0;
  const d = decodeJsonResults(records, Date.now() * 1000);
  if (!d.ok) {
    const e = d.errors[0];
    throw new CliError(e ? `line ${lineOf[e.index]}${e.path ? ` field "${e.path}"` : ''}: ${e.message}` : d.message);
  }
  return d.batch.size;
}

async function send(sink: Sink, c: Chunk, skipped: Skipped): Promise<void> {
  if (c.format === 'lp') {
    const s = await sink.lineProtocol(c.lines, c.firstLine);
    skipped.skipped += s.skipped;
    for (const n of s.names)
      if (skipped.names.length < MAX_SKIPPED_NAMES && !skipped.names.includes(n)) skipped.names.push(n);
  } else {
    const { records } = jsonRecords(c);
    if (records.length > 0) {
      // The JSON endpoint takes at most 10,000 records per request.
      for (let i = 0; i < records.length; i += 10_000) await sink.json(records.slice(i, i + 10_000), 0);
    }
  }
}

export async function ingestFile(
  path: string,
  opts: { format: Format; batchSize: number; rules: IngestRules },
  sink: Sink,
): Promise<{ points: number } & Skipped> {
  const skipped: Skipped = { skipped: 0, names: [] };
  if (path !== '-') {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw usage(`cannot read ${path}`);
    }
    let points = 0;
    const checking = progress(size, 'checking');
    let done = 0;
    for await (const c of chunks(path, opts.format, opts.batchSize)) {
      points += check(c, opts.rules);
      checking.update((done += c.bytes));
    }
    checking.stop();
    const writing = progress(size, 'writing ');
    done = 0;
    for await (const c of chunks(path, opts.format, opts.batchSize)) {
      await send(sink, c, skipped);
      writing.update((done += c.bytes));
    }
    writing.stop();
    return { points, ...skipped };
  }
  let points = 0;
  for await (const c of chunks(path, opts.format, opts.batchSize)) {
    const n = check(c, opts.rules);
    try {
      await send(sink, c, skipped);
    } catch (e) {
      throw new CliError(`${e instanceof Error ? e.message : String(e)} (${points} points before it were written)`);
    }
    points += n;
  }
  return { points, ...skipped };
}
