import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMemoryLimit, flagToVariable, loadConfig, variableToFlag } from './config.js';
import { TELEGRAF_MAPPINGS } from './ingest/mapping.js';

describe('configuration', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dbPath: './data/resultant.duckdb',
      store: 'duckdb',
      timezone: 'UTC',
      authTokens: [],
      publicRead: false,
      maxBodyBytes: 25_000_000,
      ingestMaxBytes: 25_000_000,
    });
  });

  it('lets the writes being read hold as much as one largest body unless RESULTANT_INGEST_MAX_BYTES says otherwise', () => {
    expect(loadConfig({ RESULTANT_MAX_BODY_BYTES: '10MiB' }).ingestMaxBytes).toBe(10 * 1024 * 1024);
    expect(loadConfig({ RESULTANT_INGEST_MAX_BYTES: '100MB' }).ingestMaxBytes).toBe(100_000_000);
    expect(() => loadConfig({ RESULTANT_INGEST_MAX_BYTES: '1000' })).toThrow(
      /RESULTANT_INGEST_MAX_BYTES must be at least 1MiB/,
    );
  });

  it('parses every kind of value', () => {
    const c = loadConfig({
      RESULTANT_PORT: '9000',
      RESULTANT_AUTH_TOKENS: ' token-one-123 , token-two-456 ',
      RESULTANT_PUBLIC_READ: 'TRUE',
      RESULTANT_TIMEZONE: 'Asia/Kolkata',
      RESULTANT_MAX_BODY_BYTES: '10MiB',
      RESULTANT_RETENTION_RAW_DAYS: '7',
      RESULTANT_ROLLUP_CRON: '*/10 * * * * *',
    });
    expect(c.port).toBe(9000);
    expect(c.authTokens).toEqual(['token-one-123', 'token-two-456']);
    expect(c.publicRead).toBe(true);
    expect(c.timezone).toBe('Asia/Kolkata');
    expect(c.maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(c.retention.rawDays).toBe(7);
    expect(c.rollupCron).toBe('*/10 * * * * *');
  });

  it.each([
    [{ RESULTANT_PORT: 'http' }, /RESULTANT_PORT must be a whole number/],
    [{ RESULTANT_TIMEZONE: 'Europe/Atlantis' }, /RESULTANT_TIMEZONE must be an IANA time zone/],
    [{ RESULTANT_STORE: 'postgres' }, /RESULTANT_STORE must be duckdb or influxdb/],
    [{ RESULTANT_STORE: 'influxdb' }, /INFLUX_URL is required when RESULTANT_STORE=influxdb/],
    [{ RESULTANT_PUBLIC_READ: 'maybe' }, /RESULTANT_PUBLIC_READ must be true or false/],
    [{ RESULTANT_AUTH_TOKENS: 'short' }, /at least 8 characters/],
    [{ RESULTANT_RETENTION_RAW_DAYS: '1' }, /RESULTANT_RETENTION_RAW_DAYS must be a whole number between 2/],
    [
      { RESULTANT_RETENTION_RAW_DAYS: '90', RESULTANT_RETENTION_HOURLY_DAYS: '30' },
      /must be at least RESULTANT_RETENTION_RAW_DAYS/,
    ],
    [{ INFLUX_URL: 'influx:8086' }, /INFLUX_URL must be an http\(s\) URL/],
    [{ RESULTANT_ROLLUP_CRON: 'every minute' }, /RESULTANT_ROLLUP_CRON must be a cron expression/],
    [{ RESULTANT_DUCKDB_MEMORY_LIMIT: 'lots' }, /RESULTANT_DUCKDB_MEMORY_LIMIT must be a size such as 256MB/],
    [{ RESULTANT_DUCKDB_MEMORY_LIMIT: '10MB' }, /RESULTANT_DUCKDB_MEMORY_LIMIT must be at least 64MB/],
  ])('stops with one message naming the variable: %j', (env, re) => {
    expect(() => loadConfig(env)).toThrow(re);
  });

  it("maps Telegraf's probes and skips unknown measurements by default; either can be turned off", () => {
    expect(loadConfig({}).ingest).toEqual({ mappings: TELEGRAF_MAPPINGS, unknown: 'skip' });
    expect(
      loadConfig({ RESULTANT_TELEGRAF_MAPPINGS: 'false', RESULTANT_UNKNOWN_MEASUREMENTS: 'refuse' }).ingest,
    ).toEqual({ mappings: {}, unknown: 'refuse' });
    expect(() => loadConfig({ RESULTANT_UNKNOWN_MEASUREMENTS: 'drop' })).toThrow(
      /RESULTANT_UNKNOWN_MEASUREMENTS must be skip or refuse \(got "drop"\)/,
    );
  });

  it('reads RESULTANT_MEASUREMENT_MAPPINGS inline or from a file, over the built-ins, naming the key at fault', () => {
    const probe = { success: [{ field: 'ok', equals: true }], tags: { endpoint: '{target}' } };
    const inline = loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: JSON.stringify({ probe, ping: null }) }).ingest
      .mappings;
    expect(Object.keys(inline).sort()).toEqual(['http_response', 'net_response', 'probe']);
    const dir = mkdtempSync(join(tmpdir(), 'resultant-mappings-'));
    try {
      const file = join(dir, 'mappings.json');
      writeFileSync(file, JSON.stringify({ probe }));
      expect(
        loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: file, RESULTANT_TELEGRAF_MAPPINGS: 'no' }).ingest.mappings,
      ).toEqual({
        probe: { ...probe, metrics: [] },
      });
      writeFileSync(file, JSON.stringify({ probe: { ...probe, latency: { field: 't', unit: 'minutes' } } }));
      expect(() => loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: file })).toThrow(
        `invalid configuration: RESULTANT_MEASUREMENT_MAPPINGS (file "${file}"): probe.latency.unit: must be one of s, ms, us, ns`,
      );
      expect(() => loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: join(dir, 'missing.json') })).toThrow(
        /RESULTANT_MEASUREMENT_MAPPINGS names the file ".*missing\.json", which cannot be read \(ENOENT\)/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: '{"probe": {"success": [{"field": "ok"}]}}' })).toThrow(
      'invalid configuration: RESULTANT_MEASUREMENT_MAPPINGS: probe.success[0]: needs exactly one of "equals", "below" or "above"',
    );
    expect(() => loadConfig({ RESULTANT_MEASUREMENT_MAPPINGS: '{"probe": ' })).toThrow(
      /RESULTANT_MEASUREMENT_MAPPINGS: is not valid JSON/,
    );
  });

  it("sizes DuckDB's memory from the machine (a sixteenth, 64 MB to 96 MB) unless RESULTANT_DUCKDB_MEMORY_LIMIT is set", () => {
    const GiB = 1024 ** 3;
    expect(defaultMemoryLimit(1.25 * GiB)).toBe(Math.floor((1.25 * GiB) / 16));
    expect(defaultMemoryLimit(0.5 * GiB)).toBe(64 * 1024 ** 2);
    expect(defaultMemoryLimit(24 * GiB)).toBe(96 * 1024 ** 2);
    expect(loadConfig({}, { totalMemory: 1.25 * GiB }).duckdb.memoryLimit).toBe(Math.floor((1.25 * GiB) / 16));
    expect(loadConfig({ RESULTANT_DUCKDB_MEMORY_LIMIT: '1GB' }, { totalMemory: 6 * GiB }).duckdb.memoryLimit).toBe(
      1_000_000_000,
    );
    expect(loadConfig({ RESULTANT_DUCKDB_MEMORY_LIMIT: '1GiB' }).duckdb.memoryLimit).toBe(GiB);
  });

  it('reads read-only tokens beside the full ones, and refuses them alone or twice', () => {
    expect(
      loadConfig({ RESULTANT_AUTH_TOKENS: 'full-token-1', RESULTANT_READ_TOKENS: 'read-token-1, read-token-2' })
        .readTokens,
    ).toEqual(['read-token-1', 'read-token-2']);
    expect(() => loadConfig({ RESULTANT_READ_TOKENS: 'read-token-1' })).toThrow(
      /RESULTANT_READ_TOKENS needs RESULTANT_AUTH_TOKENS/,
    );
    expect(() => loadConfig({ RESULTANT_AUTH_TOKENS: 'same-token-1', RESULTANT_READ_TOKENS: 'same-token-1' })).toThrow(
      /in both/,
    );
    expect(() => loadConfig({ RESULTANT_AUTH_TOKENS: 'full-token-1', RESULTANT_READ_TOKENS: 'short' })).toThrow(
      /RESULTANT_READ_TOKENS every token must be at least 8/,
    );
  });

  it('reads the webhook hosts, and refuses what is not a host name', () => {
    expect(loadConfig({ RESULTANT_WEBHOOK_HOSTS: 'hooks.example.com, .corp.example' }).webhookHosts).toEqual([
      'hooks.example.com',
      '.corp.example',
    ]);
    expect(loadConfig({}).webhookHosts).toEqual([]);
    expect(() => loadConfig({ RESULTANT_WEBHOOK_HOSTS: 'http://x.example/path' })).toThrow(
      /RESULTANT_WEBHOOK_HOSTS must be host names/,
    );
  });

  it('reads CORS origins, and refuses what is not an origin', () => {
    expect(
      loadConfig({ RESULTANT_CORS_ORIGINS: 'https://dash.example.com, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://dash.example.com', 'http://localhost:5173']);
    expect(loadConfig({ RESULTANT_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(() => loadConfig({ RESULTANT_CORS_ORIGINS: 'https://dash.example.com/app' })).toThrow(
      /RESULTANT_CORS_ORIGINS must be origins/,
    );
  });

  it('never echoes a token in the message', () => {
    expect(() => loadConfig({ RESULTANT_AUTH_TOKENS: 'tiny' })).toThrow(/^(?!.*tiny).*$/);
  });

  it('maps serve flags to variables and back', () => {
    expect(flagToVariable('--db-path')).toBe('RESULTANT_DB_PATH');
    expect(flagToVariable('--influx-url')).toBe('INFLUX_URL');
    expect(variableToFlag('RESULTANT_RETENTION_RAW_DAYS')).toBe('retention-raw-days');
    expect(variableToFlag('GRAFANA_TOKEN')).toBe('grafana-token');
  });
});
