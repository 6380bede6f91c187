// Every setting of the service, parsed once at the edge from environment variables (docs/configuration.md, generated
// from ConfigSchema and CONFIG_DOCS by `npm run docs`). No other module reads process.env. `resultant serve` flags
// are mapped onto the same names.

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

/** Variables the schema gives no default value: unset, each means what its `default` words say. */
type WithoutDefault = { [K in keyof Raw]-?: undefined extends Raw[K] ? K : never }[keyof Raw];

/**
 * What a user reads about a variable (docs/configuration.md is generated from it: `npm run docs`). `description`
 * is Markdown: what the variable does and the values it takes. `default` is Markdown that says in words what
 * applies when the variable is unset; required where the schema has no default value, and otherwise it replaces
 * the schema's value (e.g. an empty list that means "any").
 */
export type VariableDoc = { description: string; default?: string };

export const CONFIG_DOCS: {
  [K in keyof Raw]-?: K extends WithoutDefault ? { description: string; default: string } : VariableDoc;
} = {
  RESULTANT_PORT: { description: 'TCP port the HTTP service listens on, `0` to `65535` (`0`: any free port).' },
  RESULTANT_HOST: {
    description:
      'Address the HTTP service listens on: `127.0.0.1` accepts connections from this machine only, `0.0.0.0` from every network interface. The commands find a running service that holds the database file at this host and `RESULTANT_PORT`.',
  },
  RESULTANT_DB_PATH: {
    description:
      "Path of the DuckDB database file; `:memory:` for a throwaway store that is lost when the process ends. With `RESULTANT_STORE=influxdb` this file holds only the service's own state (notification rules and history, the anomaly log).",
  },
  RESULTANT_STORE: {
    description:
      'Where the data is kept: `duckdb` (the file at `RESULTANT_DB_PATH`) or `influxdb` (InfluxDB 2; needs `INFLUX_URL`, `INFLUX_TOKEN`, `INFLUX_ORG` and `INFLUX_BUCKET`; docs/influxdb.md).',
  },
  RESULTANT_TIMEZONE: {
    description:
      'IANA time zone, e.g. `UTC` or `Europe/Berlin`: the default `tz` of reads, reports and charts, and the zone whose days the daily rollups follow.',
  },
  RESULTANT_AUTH_TOKENS: {
    description:
      "Comma-separated tokens, each at least 8 characters long. When set, every request needs one of them (or, to read, one of `RESULTANT_READ_TOKENS`) in the header `Authorization: Token <token>` or `Authorization: Bearer <token>`, except the built-in dashboard's files (`GET /`), `/ping`, `/health`, `/openapi.json` and CORS preflight requests (docs/http-api.md).",
    default: 'none: the service is open to anyone who can reach it, and says so in its log at start',
  },
  RESULTANT_READ_TOKENS: {
    description:
      'Comma-separated tokens, each at least 8 characters long, that may only read (dashboards, Grafana, report readers): writes, deletes, rule changes, evaluations, acknowledgements and provisioning answer `403`. Needs `RESULTANT_AUTH_TOKENS` too; a token may not be in both lists.',
  },
  RESULTANT_PUBLIC_READ: {
    description: '`true`: reads need no token, writes still do. Takes `true` or `false` (also `1`/`0`, `yes`/`no`).',
  },
  RESULTANT_CORS_ORIGINS: {
    description:
      'Comma-separated browser origins (scheme, host and port, no path, e.g. `https://dash.example.com`) whose pages may call the API, or `*` for any origin. Preflight requests are answered without a token.',
    default: 'none: no browser page of another origin may read the answers',
  },
  RESULTANT_WEBHOOK_HOSTS: {
    description:
      'Comma-separated host names that notification webhooks may be sent to; `.example.com` allows `example.com` and its subdomains. A rule whose webhook names another host is refused with `400`.',
    default: 'any host',
  },
  RESULTANT_RETENTION_RAW_DAYS: {
    description:
      'Days raw results are kept, `2` to `36500`: the retention task deletes older ones, and a write of older points is refused.',
  },
  RESULTANT_RETENTION_HOURLY_DAYS: {
    description:
      'Days hourly rollups (and the anomaly log) are kept, `2` to `36500`; at least `RESULTANT_RETENTION_RAW_DAYS`.',
  },
  RESULTANT_RETENTION_DAILY_DAYS: {
    description: 'Days daily rollups are kept, `0` to `36500`; `0` keeps them forever.',
  },
  RESULTANT_MAX_BODY_BYTES: {
    description:
      "Largest request body, counted after decompression; a larger one answers `413`. A size: a number of bytes, or a number with a unit `B`, `KB`, `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), e.g. `25MB`. The default is InfluxDB's own limit.",
  },
  RESULTANT_INGEST_MAX_BYTES: {
    description:
      'Decoded bytes that the writes being read may hold together, at least `1MiB` (a size, as `RESULTANT_MAX_BODY_BYTES`); a write that would pass it answers `503` before its body is read.',
    default: 'the value of `RESULTANT_MAX_BODY_BYTES`',
  },
  RESULTANT_QUEUE_MAX_POINTS: {
    description:
      'Points waiting to be written that the ingest queue holds, `1000` to `50000000`; a write beyond it answers `503`.',
  },
  RESULTANT_MAX_SERIES: {
    description:
      'Distinct series (tag sets) the DuckDB store holds, `1` to `10000000`; a write that would create more answers `400` and writes nothing. Keep unique ids out of tags. The InfluxDB store does not apply it.',
  },
  RESULTANT_ROLLUP_CRON: {
    description:
      'When the hourly and daily rollups catch up with new data: a node-cron expression (5 fields, or 6 with seconds first).',
  },
  RESULTANT_NOTIFY_CRON: {
    description:
      'When the notification rules are evaluated: a node-cron expression (5 fields, or 6 with seconds first).',
  },
  RESULTANT_RETENTION_CRON: {
    description:
      'When data older than the retention settings is deleted: a node-cron expression (5 fields, or 6 with seconds first).',
  },
  RESULTANT_DUCKDB_MEMORY_LIMIT: {
    description:
      "DuckDB's buffer limit (not a cap on the process), at least `64MB`, with a unit: `KB`, `MB`, `GB`, `KiB`, `MiB` or `GiB`, e.g. `256MB`. Each query keeps to a share of it; queries that outgrow memory spill into `<database file>.tmp` beside the file (at most four times the limit), and one that still runs out answers `503` naming this setting.",
    default: "a sixteenth of the machine's memory, at least 64 MB and at most 96 MB",
  },
  RESULTANT_DUCKDB_THREADS: {
    description: 'Threads DuckDB runs its queries on, `1` to `256`.',
    default: "DuckDB's own: one per CPU core",
  },
  RESULTANT_DUCKDB_CHECKPOINT_THRESHOLD: {
    description:
      "Size of DuckDB's write-ahead log at which a commit checkpoints it into the database file, at least `64KiB` (a size, as `RESULTANT_MAX_BODY_BYTES`); smaller means a shorter log to replay at start.",
    default: "DuckDB's own: 16 MiB",
  },
  RESULTANT_PARSE_WORKERS: {
    description: 'Threads that parse line protocol beside the main thread, `0` to `64`; `0` parses on the main thread.',
    default: 'the number of CPU cores minus one, at most 4',
  },
  RESULTANT_MEASUREMENT_MAPPINGS: {
    description:
      'Mappings of other measurements onto test results: inline JSON (starting with `{`) or the path of a JSON file. They replace built-in mappings of the same measurement; `null` removes one (docs/telegraf.md#mappings-of-your-own).',
    default: 'none: only the built-in mappings',
  },
  RESULTANT_TELEGRAF_MAPPINGS: {
    description:
      "`true`: map Telegraf's `http_response`, `ping` and `net_response` measurements onto test results (docs/telegraf.md). Takes `true` or `false` (also `1`/`0`, `yes`/`no`).",
  },
  RESULTANT_UNKNOWN_MEASUREMENTS: {
    description:
      'Points of measurements that are neither `test_result`, `circuit_breaker` nor mapped: `skip` stores the rest of the write and answers `422` naming them (counted in `resultant_points_skipped_total`); `refuse` refuses the whole write with `400`.',
  },
  RESULTANT_LOG_LEVEL: {
    description:
      'The lowest level written to the log (JSON lines on standard output): `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent` (nothing). At `info`, one line per request, with its request id.',
  },
  INFLUX_URL: {
    description: 'URL of the InfluxDB 2 server (`http` or `https`), with `RESULTANT_STORE=influxdb`.',
    default: 'none; required with `RESULTANT_STORE=influxdb`',
  },
  INFLUX_TOKEN: {
    description: 'InfluxDB API token, with `RESULTANT_STORE=influxdb`.',
    default: 'none; required with `RESULTANT_STORE=influxdb`',
  },
  INFLUX_ORG: {
    description: 'InfluxDB organization, with `RESULTANT_STORE=influxdb`.',
    default: 'none; required with `RESULTANT_STORE=influxdb`',
  },
  INFLUX_BUCKET: {
    description:
      'InfluxDB bucket of the raw data, with `RESULTANT_STORE=influxdb`; the rollups go to `<bucket>_hourly` and `<bucket>_daily`, created at start when missing.',
    default: 'none; required with `RESULTANT_STORE=influxdb`',
  },
  GRAFANA_URL: {
    description:
      'URL of the Grafana server that `POST /api/v1/grafana/provision` pushes the dashboards to, with `GRAFANA_TOKEN`.',
    default: 'none: provisioning answers `503`',
  },
  GRAFANA_TOKEN: {
    description:
      'Token of a Grafana service account that may write dashboards (the Editor role, or write access to the folder "Resultant"), sent to `GRAFANA_URL` when provisioning.',
    default: 'none: provisioning answers `503`',
  },
};

/** The value each variable takes when unset, as the schema defaults it (undefined: no default value). */
export function configDefaults(): Readonly<Partial<Raw>> {
  return ConfigSchema.parse({});
}

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
 * DuckDB's buffer limit when none is set: a sixteenth of the machine's memory, at least 64 MB and at most 96 MB.
 * The store keeps each query's own memory to a share of it (exact percentiles in slices, larger buckets ranked by
 * counting), so no request takes the whole buffer from the others; beyond that, a larger buffer mostly caches more
 * of the file, and the cache is what the service's resident memory grows by. Measured on 30 days of the demo
 * fleet (10.4 M results, 2026-12-07, the service started on the file, every analysis then every report, two runs
 * each, in turn): with 160 MB the service peaked at 600 MB resident, with 96 MB at 495 MB, the comprehensive
 * report taking 13.3 and 14.3 s (within the machine's noise); writing that month over HTTP peaked at 515 MB with
 * 160 MB and 442 MB with 96 MB, in the same time (248-253 s).
 */
export function defaultMemoryLimit(totalBytes: number = totalmem()): number {
  return Math.min(96 * 1024 ** 2, Math.max(64 * 1024 ** 2, Math.floor(totalBytes / 16)));
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
