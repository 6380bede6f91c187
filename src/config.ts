// Every setting of the service, parsed once at the edge from environment variables (docs/configuration.md).
// No other module reads process.env. `resultant serve` flags are mapped onto the same names.

import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import cron from 'node-cron';
import { z } from 'zod';
import { type MappingSpecs, parseMappings, TELEGRAF_MAPPINGS, type UnknownMeasurements } from './ingest/index.js';
import { isValidTimeZone } from './time/zone.js';

const intInRange = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((s) => ['true', 'false', '1', '0', 'yes', 'no'].includes(s), 'must be true or false')
  .transform((s) => s === 'true' || s === '1' || s === 'yes');

const url = z
  .string()
  .trim()
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

const cronExpr = z
  .string()
  .trim()
  .refine((s) => cron.validate(s), 'must be a cron expression such as "* * * * *"');

const byteSize = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb|kib|mib|gib)?$/i, 'must be a size such as 25MB or 1048576')
  .transform(parseByteSize);

/** A comma-separated list: items trimmed, empty ones left out; unset is the empty list. */
const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
  );
const tokenList = commaList.refine(
  (ts) => ts.every((t) => t.length >= 8),
  'every token must be at least 8 characters long',
);

const ConfigSchema = z.object({
  RESULTANT_PORT: intInRange(0, 65535).default(8080),
  RESULTANT_HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  RESULTANT_DB_PATH: z.string().trim().min(1, 'must not be empty').default('./data/resultant.duckdb'),
  RESULTANT_STORE: z.enum(['duckdb', 'influxdb'], { message: 'must be duckdb or influxdb' }).default('duckdb'),
  RESULTANT_TIMEZONE: z
    .string()
    .trim()
    .refine(isValidTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
    .default('UTC'),
  RESULTANT_AUTH_TOKENS: tokenList,
  // Tokens that may only read (dashboards, Grafana, report readers).
  RESULTANT_READ_TOKENS: tokenList,
  RESULTANT_PUBLIC_READ: bool.default(false),
  // Browser origins allowed to call the API: "https://dash.example.com", comma-separated, or "*".
  RESULTANT_CORS_ORIGINS: commaList.refine(
    (os) => os.every((o) => o === '*' || (URL.canParse(o) && new URL(o).origin === o)),
    'must be origins such as https://dash.example.com (scheme, host and port, no path), comma-separated, or *',
  ),
  // Hosts notification webhooks may be sent to: "example.com", or ".example.com" for it and its subdomains.
  RESULTANT_WEBHOOK_HOSTS: commaList.refine(
    (hs) => hs.every((h) => /^\.?[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(h)),
    'must be host names, comma-separated (".example.com" allows subdomains)',
  ),
  RESULTANT_RETENTION_RAW_DAYS: intInRange(2, 36500).default(30),
  RESULTANT_RETENTION_HOURLY_DAYS: intInRange(2, 36500).default(400),
  // 0 keeps daily rollups forever.
  RESULTANT_RETENTION_DAILY_DAYS: intInRange(0, 36500).default(0),
  // InfluxDB's own default limit (max-body-size 25000000).
  RESULTANT_MAX_BODY_BYTES: byteSize.default(25_000_000),
  // Decoded body bytes of the writes being read at once; default: RESULTANT_MAX_BODY_BYTES.
  RESULTANT_INGEST_MAX_BYTES: byteSize.refine((n) => n >= 1024 * 1024, 'must be at least 1MiB').optional(),
  RESULTANT_QUEUE_MAX_POINTS: intInRange(1000, 50_000_000).default(500_000),
  RESULTANT_MAX_SERIES: intInRange(1, 10_000_000).default(200_000),
  // node-cron expressions (5 fields, or 6 with seconds first).
  RESULTANT_ROLLUP_CRON: cronExpr.default('* * * * *'),
  RESULTANT_NOTIFY_CRON: cronExpr.default('* * * * *'),
  RESULTANT_RETENTION_CRON: cronExpr.default('17 3 * * *'),
  // Default: sized from the machine's memory (defaultMemoryLimit).
  RESULTANT_DUCKDB_MEMORY_LIMIT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'must be a size such as 256MB')
    .refine((v) => !(parseByteSize(v) < 64 * 1024 ** 2), 'must be at least 64MB')
    .optional(),
  RESULTANT_DUCKDB_THREADS: intInRange(1, 256).optional(),
  // Write-ahead log size at which a commit checkpoints it into the file; default DuckDB's (16 MiB).
  RESULTANT_DUCKDB_CHECKPOINT_THRESHOLD: byteSize.refine((n) => n >= 64 * 1024, 'must be at least 64KiB').optional(),
  // Threads that parse line protocol beside the main thread; default: cores - 1 (at most 4).
  RESULTANT_PARSE_WORKERS: intInRange(0, 64).optional(),
  // Other measurements onto test results: inline JSON (starting with "{") or the path of a JSON file (docs/telegraf.md).
  RESULTANT_MEASUREMENT_MAPPINGS: z.string().trim().optional(),
  // The built-in mappings of Telegraf's http_response, ping and net_response.
  RESULTANT_TELEGRAF_MAPPINGS: bool.default(true),
  // Points of measurements neither ours nor mapped: skipped (the rest is stored; 422 names them) or the whole write refused.
  RESULTANT_UNKNOWN_MEASUREMENTS: z.enum(['skip', 'refuse'], { message: 'must be skip or refuse' }).default('skip'),
  RESULTANT_LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
      message: 'must be one of trace, debug, info, warn, error, fatal, silent',
    })
    .default('info'),
  INFLUX_URL: url.optional(),
  INFLUX_TOKEN: z.string().optional(),
  INFLUX_ORG: z.string().optional(),
  INFLUX_BUCKET: z.string().optional(),
  GRAFANA_URL: url.optional(),
  GRAFANA_TOKEN: z.string().optional(),
});

type Raw = z.infer<typeof ConfigSchema>;

export interface Config {
  port: number;
  host: string;
  dbPath: string;
  store: 'duckdb' | 'influxdb';
  timezone: string;
  authTokens: string[];
  /** Tokens that may only read. */
  readTokens: string[];
  publicRead: boolean;
  /** Hosts webhooks may be sent to; empty: any. */
  webhookHosts: string[];
  /** Browser origins allowed to call the API (CORS); empty: none. */
  corsOrigins: string[];
  retention: { rawDays: number; hourlyDays: number; dailyDays: number };
  maxBodyBytes: number;
  /** Decoded body bytes the writes being read may hold together; beyond, new writes get 503 before being read. */
  ingestMaxBytes: number;
  queueMaxPoints: number;
  maxSeries: number;
  rollupCron: string;
  notifyCron: string;
  retentionCron: string;
  /**
   * memoryLimit: DuckDB's buffer limit in bytes (RESULTANT_DUCKDB_MEMORY_LIMIT, or sized from the machine);
   * checkpointThreshold: bytes of write-ahead log that make a commit checkpoint (absent: DuckDB's default).
   */
  duckdb: { memoryLimit: number; threads: number | undefined; checkpointThreshold: number | undefined };
  parseWorkers: number | undefined;
  /** Mappings of other measurements onto test results (built-ins and RESULTANT_MEASUREMENT_MAPPINGS), and what becomes of the rest. */
  ingest: { mappings: MappingSpecs; unknown: UnknownMeasurements };
  logLevel: Raw['RESULTANT_LOG_LEVEL'];
  influx: { url?: string; token?: string; org?: string; bucket?: string };
  grafana: { url?: string; token?: string };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The variables a `resultant serve` flag can set: `--db-path` sets RESULTANT_DB_PATH, `--influx-url` INFLUX_URL. */
export const CONFIG_VARIABLES = Object.keys(ConfigSchema.shape) as (keyof Raw)[];

export function flagToVariable(flag: string): string {
  const name = flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase();
  return name.startsWith('INFLUX_') || name.startsWith('GRAFANA_') ? name : `RESULTANT_${name}`;
}

export function variableToFlag(variable: string): string {
  const bare = variable.startsWith('RESULTANT_') ? variable.slice('RESULTANT_'.length) : variable;
  return bare.toLowerCase().replace(/_/g, '-');
}

/**
 * DuckDB's buffer limit when none is set: a sixteenth of the machine's memory, at least 128 MB and at most 160 MB.
 * The store keeps each query's own memory to a share of it (exact percentiles in slices, by groups within a
 * bucket), so no request takes the whole buffer from the others; beyond that, a larger buffer mostly caches more
 * of the file, and the cache is what the service's resident memory grows by. Measured on 30 days of the demo
 * fleet (10.4 M results, 2026-12-07, every analysis then every report, two runs each, in turn): with 256 MB the
 * reports peaked at 475-586 MB resident, with 160 MB at 429-531 MB, in the same times (the comprehensive report
 * 8.9-10.8 s and 8.9-11.4 s). On 2 M results (2026-12-06) ingest peaked at 345 MB with 256 MB and 436 MB with 2 GB.
 */
export function defaultMemoryLimit(totalBytes: number = totalmem()): number {
  return Math.min(160 * 1024 ** 2, Math.max(128 * 1024 ** 2, Math.floor(totalBytes / 16)));
}

/** Parses the settings; an invalid value throws ConfigError with one message that names the variable. */
export function loadConfig(env: Record<string, string | undefined>, machine: { totalMemory?: number } = {}): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const v = env[key];
    // An empty variable counts as unset, as shells and compose files often export VAR= .
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'configuration');
    const got = input[variable];
    const shown = got === undefined || /TOKEN/.test(variable) ? '' : ` (got ${JSON.stringify(got)})`;
    throw new ConfigError(`invalid configuration: ${variable} ${issue.message}${shown}`);
  }
  const r = parsed.data;
  if (r.RESULTANT_STORE === 'influxdb') {
    for (const v of ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET'] as const) {
      if (!r[v]) throw new ConfigError(`invalid configuration: ${v} is required when RESULTANT_STORE=influxdb`);
    }
  }
  if (r.RESULTANT_READ_TOKENS.length > 0 && r.RESULTANT_AUTH_TOKENS.length === 0) {
    throw new ConfigError(
      'invalid configuration: RESULTANT_READ_TOKENS needs RESULTANT_AUTH_TOKENS too (without a full token nothing could write)',
    );
  }
  const overlap = r.RESULTANT_READ_TOKENS.filter((t) => r.RESULTANT_AUTH_TOKENS.includes(t));
  if (overlap.length > 0) {
    throw new ConfigError(
      'invalid configuration: a token is in both RESULTANT_AUTH_TOKENS and RESULTANT_READ_TOKENS; list it once',
    );
  }
  if (r.RESULTANT_RETENTION_HOURLY_DAYS < r.RESULTANT_RETENTION_RAW_DAYS) {
    throw new ConfigError(
      `invalid configuration: RESULTANT_RETENTION_HOURLY_DAYS (${r.RESULTANT_RETENTION_HOURLY_DAYS}) must be at least RESULTANT_RETENTION_RAW_DAYS (${r.RESULTANT_RETENTION_RAW_DAYS})`,
    );
  }
  return {
    port: r.RESULTANT_PORT,
    host: r.RESULTANT_HOST,
    dbPath: r.RESULTANT_DB_PATH,
    store: r.RESULTANT_STORE,
    timezone: r.RESULTANT_TIMEZONE,
    authTokens: r.RESULTANT_AUTH_TOKENS,
    readTokens: r.RESULTANT_READ_TOKENS,
    publicRead: r.RESULTANT_PUBLIC_READ,
    webhookHosts: r.RESULTANT_WEBHOOK_HOSTS,
    corsOrigins: r.RESULTANT_CORS_ORIGINS,
    retention: {
      rawDays: r.RESULTANT_RETENTION_RAW_DAYS,
      hourlyDays: r.RESULTANT_RETENTION_HOURLY_DAYS,
      dailyDays: r.RESULTANT_RETENTION_DAILY_DAYS,
    },
    maxBodyBytes: r.RESULTANT_MAX_BODY_BYTES,
    ingestMaxBytes: r.RESULTANT_INGEST_MAX_BYTES ?? r.RESULTANT_MAX_BODY_BYTES,
    queueMaxPoints: r.RESULTANT_QUEUE_MAX_POINTS,
    maxSeries: r.RESULTANT_MAX_SERIES,
    rollupCron: r.RESULTANT_ROLLUP_CRON,
    notifyCron: r.RESULTANT_NOTIFY_CRON,
    retentionCron: r.RESULTANT_RETENTION_CRON,
    duckdb: {
      memoryLimit: r.RESULTANT_DUCKDB_MEMORY_LIMIT
        ? parseByteSize(r.RESULTANT_DUCKDB_MEMORY_LIMIT)
        : defaultMemoryLimit(machine.totalMemory),
      threads: r.RESULTANT_DUCKDB_THREADS,
      checkpointThreshold: r.RESULTANT_DUCKDB_CHECKPOINT_THRESHOLD,
    },
    parseWorkers: r.RESULTANT_PARSE_WORKERS,
    ingest: {
      mappings: loadMappings(r.RESULTANT_MEASUREMENT_MAPPINGS, r.RESULTANT_TELEGRAF_MAPPINGS ? TELEGRAF_MAPPINGS : {}),
      unknown: r.RESULTANT_UNKNOWN_MEASUREMENTS,
    },
    logLevel: r.RESULTANT_LOG_LEVEL,
    influx: { url: r.INFLUX_URL, token: r.INFLUX_TOKEN, org: r.INFLUX_ORG, bucket: r.INFLUX_BUCKET },
    grafana: { url: r.GRAFANA_URL, token: r.GRAFANA_TOKEN },
  };
}

/** RESULTANT_MEASUREMENT_MAPPINGS over `base`: inline JSON when it starts with "{", else a JSON file's path. */
function loadMappings(setting: string | undefined, base: MappingSpecs): MappingSpecs {
  if (setting === undefined) return base;
  const inline = setting.startsWith('{');
  let text = setting;
  if (!inline) {
    try {
      text = readFileSync(setting, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      throw new ConfigError(
        `invalid configuration: RESULTANT_MEASUREMENT_MAPPINGS names the file ${JSON.stringify(setting)}, which cannot be read (${why})`,
      );
    }
  }
  try {
    return parseMappings(text, base);
  } catch (e) {
    const where = inline ? '' : ` (file ${JSON.stringify(setting)})`;
    throw new ConfigError(
      `invalid configuration: RESULTANT_MEASUREMENT_MAPPINGS${where}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Bytes of a size such as 256MB or 1.5GiB; NaN when it is not one. */
export function parseByteSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s.trim());
  if (!m || !(m[2]!.toLowerCase() in BYTE_UNITS)) return NaN;
  return Math.floor(Number(m[1]) * BYTE_UNITS[m[2]!.toLowerCase()]!);
}
