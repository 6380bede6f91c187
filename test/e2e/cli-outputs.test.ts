// `resultant visualize`, `resultant report` and `resultant export` as real child processes, against a database file and a server.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Every case starts the command in a child process (a few seconds each on a loaded machine).
const SLOW = 240_000;

import { DuckDBStore } from '../../src/store/duckdb/index.js';
import { type Child, cli, serve } from '../support/child.js';
import { batchOf, HOUR, type Row } from '../support/helpers.js';
import { decodePng, linePaths, parseXml, textsIn } from '../support/svg.js';

const dir = mkdtempSync(join(tmpdir(), 'resultant-out-'));
const db = join(dir, 'data.duckdb');
const stop = Math.floor(Date.now() / HOUR) * HOUR;
const start = stop - 6 * HOUR;

beforeAll(async () => {
  const rows: Row[] = [];
  for (let h = 0; h < 6; h++) {
    for (let i = 0; i < 10; i++) {
      rows.push({ t: start + h * HOUR + i * 60_000, latency: 10 + i, tags: { endpoint: 'api', region: 'eu' } });
      rows.push({
        t: start + h * HOUR + i * 60_000,
        latency: 50 + i,
        success: i !== 0,
        tags: { endpoint: 'checkout', region: 'us' },
      });
    }
  }
  const s = await DuckDBStore.open({ path: db, timezone: 'UTC', rawRetentionDays: 3650 });
  await s.write(batchOf(rows));
  await s.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const range = ['--start', new Date(start).toISOString(), '--stop', new Date(stop).toISOString()];
const env = { RESULTANT_DB_PATH: db };

/** Runs `fn` against a server on the same database file, and stops the server however `fn` ends. */
async function withServer(fn: (server: Child & { url: string }) => Promise<void>): Promise<void> {
  const server = await serve({ RESULTANT_DB_PATH: db });
  try {
    await fn(server);
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
}

/** Each command exits 2 (a usage error) with a message matching its pattern; the arguments label a failure. */
async function expectUsageErrors(cases: [string[], RegExp][]): Promise<void> {
  for (const [args, re] of cases) {
    const r = await cli(args, env);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(re);
  }
}

describe('resultant visualize', () => {
  it(
    'writes an SVG chart from the database file',
    async () => {
      const out = join(dir, 'latency.svg');
      const r = await cli(
        ['visualize', '--type', 'latency', '--output', out, '--group-by', 'endpoint', ...range, '--json'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ type: 'latency', format: 'svg', output: out });
      const root = parseXml(readFileSync(out, 'utf8'));
      expect(linePaths(root)).toHaveLength(4);
      expect(textsIn(root, 'role-legend-label')).toEqual(expect.arrayContaining(['api', 'checkout']));
    },
    SLOW,
  );

  it(
    'writes a PNG, and from a running server with --url the same picture',
    async () => {
      const local = join(dir, 'a-local.png');
      expect((await cli(['visualize', '--type', 'availability', '--output', local, ...range], env)).code).toBe(0);
      await withServer(async (server) => {
        const remote = join(dir, 'a-remote.png');
        const r = await cli(['visualize', '--type', 'availability', '--output', remote, '--url', server.url, ...range]);
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(remote).equals(readFileSync(local))).toBe(true);
        expect(decodePng(readFileSync(remote)).width).toBeGreaterThan(1000);
        // An analysis chart, drawn from the server's analyses.
        const t = await cli([
          'visualize',
          '--type',
          'trends',
          '--output',
          join(dir, 't.svg'),
          '--url',
          server.url,
          ...range,
        ]);
        expect(t.code, t.stderr).toBe(0);
        expect(readFileSync(join(dir, 't.svg'), 'utf8')).toMatch(/^<svg/);
      });
    },
    SLOW,
  );

  it(
    'exits 2 with a message on bad arguments',
    async () => {
      await expectUsageErrors([
        [['visualize', '--output', 'x.svg'], /--type/],
        [['visualize', '--type', 'pie', '--output', 'x.svg'], /Allowed choices are/],
        [['visualize', '--type', 'latency', '--output', 'x.gif'], /must end in \.svg or \.png/],
        [
          ['visualize', '--type', 'latency', '--output', 'x.svg', '--period', 'fortnight'],
          /parameter "period" must be one of/,
        ],
        [['visualize', '--type', 'latency', '--output', 'x.svg', '--tag', 'novalue'], /--tag must be key=value/],
        [['visualize', '--type', 'latency', '--output', 'x.svg', '--url', 'ftp://x'], /--url must be an http/],
      ]);
      const help = await cli(['visualize', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('--output <path>');
    },
    SLOW,
  );
});

describe('resultant report', () => {
  it(
    'writes the report in the format of the output name, from the file and from a server alike',
    async () => {
      const md = join(dir, 'r.md');
      const r = await cli(['report', '--type', 'availability', '--output', md, '--days', '1', '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ type: 'availability', format: 'markdown', output: md });
      const text = readFileSync(md, 'utf8');
      expect(text).toContain('## Availability against the SLA target');
      expect(text).toContain('- **Tests run**: 120');
      expect(text).toContain('- **Failures**: 6');

      const local = await cli(['report', '--type', 'summary', '--format', 'json', '--output', '-', '--days', '1'], env);
      expect(local.code, local.stderr).toBe(0);
      await withServer(async (server) => {
        const remote = await cli([
          'report',
          '--type',
          'summary',
          '--format',
          'json',
          '--output',
          '-',
          '--days',
          '1',
          '--url',
          server.url,
        ]);
        expect(remote.code, remote.stderr).toBe(0);
        const strip = (s: string) => ({ ...(JSON.parse(s) as Record<string, unknown>), generated_at: null });
        expect(strip(remote.stdout)).toEqual(strip(local.stdout));
        const csv = await cli(['report', '--output', join(dir, 'r.csv'), '--url', server.url, '--days', '1']);
        expect(csv.code, csv.stderr).toBe(0);
        expect(readFileSync(join(dir, 'r.csv'), 'utf8').split('\r\n')[0]).toBe('section,table,row,column,value');
      });
    },
    SLOW,
  );

  it(
    'exits 2 with a message on bad arguments',
    async () => {
      await expectUsageErrors([
        [['report'], /--output/],
        [['report', '--output', 'x.md', '--type', 'weekly'], /Allowed choices are/],
        [['report', '--output', 'x.md', '--days', 'ten'], /--days must be a positive number/],
        [['report', '--output', 'x.md', '--days', '1000'], /--days: /],
        [['report', '--output', 'x.md', '--filter', '{region:'], /--filter must be JSON/],
        [['report', '--output', 'x.md', '--filter', '{"_x":"y"}'], /--filter \(_x\)/],
        [['report', '--output', 'x.md', '--tz', 'Mars/Olympus'], /--tz: must be an IANA time zone/],
        [['report', '--output', 'x.md', '--sla-target', '100'], /--sla-target/],
      ]);
      const help = await cli(['report', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--type <type>[\s\S]*--format <format>[\s\S]*--output <path>/);
    },
    SLOW,
  );
});

describe('resultant export', () => {
  it(
    'exports the range from the database file as CSV into a file, and filtered NDJSON to standard output',
    async () => {
      const out = join(dir, 'results.csv');
      const r = await cli(['export', ...range, '--output', out], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`wrote the results (csv) to ${out}`);
      const lines = readFileSync(out, 'utf8').split('\r\n');
      expect(lines[0]).toBe('time,success,latency_ms,error,error_type,tags,metrics');
      expect(lines.at(-1)).toBe('');
      const rows = lines.slice(1, -1);
      expect(rows).toHaveLength(120);
      // Newest first: the two series' results of the last minute of the last hour.
      const newest = new Date(start + 5 * HOUR + 9 * 60_000).toISOString().replace('.000Z', 'Z');
      expect(rows.slice(0, 2).sort()).toEqual(
        [
          `${newest},true,19,,,"{""endpoint"":""api"",""region"":""eu""}",`,
          `${newest},true,59,,,"{""endpoint"":""checkout"",""region"":""us""}",`,
        ].sort(),
      );

      const nd = await cli(
        ['export', ...range, '--format', 'ndjson', '--tag', 'endpoint=checkout', '--success', 'false'],
        env,
      );
      expect(nd.code, nd.stderr).toBe(0);
      const failures = nd.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { success: boolean; latency_ms: number; tags: Record<string, string> });
      expect(failures).toHaveLength(6);
      expect(failures.every((f) => !f.success && f.latency_ms === 50 && f.tags.endpoint === 'checkout')).toBe(true);
    },
    SLOW,
  );

  it(
    'exports from a running server with --url the same bytes as from the file, CSV and filtered NDJSON',
    async () => {
      const local = join(dir, 'local.csv');
      expect((await cli(['export', ...range, '--output', local], env)).code).toBe(0);
      const localNd = await cli(['export', ...range, '--format', 'ndjson', '--tag', 'endpoint=checkout'], env);
      await withServer(async (server) => {
        const remote = join(dir, 'remote.csv');
        const r = await cli(['export', ...range, '--output', remote, '--url', server.url]);
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(remote, 'utf8').split('\r\n')).toHaveLength(122);
        expect(readFileSync(remote).equals(readFileSync(local))).toBe(true);
        const nd = await cli([
          'export',
          ...range,
          '--format',
          'ndjson',
          '--tag',
          'endpoint=checkout',
          '--url',
          server.url,
        ]);
        expect(nd.code, nd.stderr).toBe(0);
        expect(nd.stdout.trim().split('\n')).toHaveLength(60);
        expect(nd.stdout).toBe(localNd.stdout);
      });
    },
    SLOW,
  );

  it(
    'exits 2 with a message on bad arguments',
    async () => {
      await expectUsageErrors([
        [['export', '--start', range[1]!], /--stop/],
        [['export', ...range, '--format', 'xml'], /Allowed choices are/],
        [['export', '--start', 'yesterday', '--stop', range[3]!], /parameter "start" must be an RFC 3339 timestamp/],
        [['export', ...range, '--tag', 'novalue'], /--tag must be key=value/],
      ]);
      const help = await cli(['export', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--start <time>[\s\S]*--stop <time>[\s\S]*--format <format>[\s\S]*--output <path>/);
    },
    SLOW,
  );
});
