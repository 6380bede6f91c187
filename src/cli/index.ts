// The `resultant` command line (docs/cli.md, generated from buildProgram() by `npm run docs`). Every command has
// --help; bad arguments exit with code 2.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CONFIG_VARIABLES, type Config, ConfigError, flagToVariable, loadConfig, variableToFlag } from '../config.js';
import { rulesOf } from '../ingest/index.js';
import { createLogger } from '../logger.js';
import { startServer, VERSION } from '../main.js';
import { parseTimeValue } from '../time/parse.js';
import { type AnalyzeArgs, runAnalyzeCommand, summarize } from './analyze.js';
import { CliError, cliConfig, openCliStore, openSink, parseDays, usage } from './common.js';
import { addDeleteCommand } from './delete.js';
import { runDemo } from './demo.js';
import { addExportCommand } from './export.js';
import { type ForecastCliOptions, formatForecast, runForecast } from './forecast.js';
import { type Format, ingestFile } from './ingest.js';
import { addReportCommand } from './report.js';
import { addVisualizeCommand } from './visualize.js';

const int = (name: string, min: number, max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return Number(v);
};

const time = (v: string): number => {
  const us = parseTimeValue(v);
  if (us === null) throw new InvalidArgumentError('must be an RFC 3339 timestamp or epoch milliseconds');
  return us / 1000;
};

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const err = (s: string): void => {
  process.stderr.write(`${s}\n`);
};

export function buildProgram(): Command {
  const program = new Command('resultant')
    .description('Test-result analytics: ingest, rollups and aggregates over an embedded DuckDB or InfluxDB 2')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const serve = program
    .command('serve')
    .description(
      'run the HTTP service; each option sets a configuration variable and wins over the environment (--db-path sets RESULTANT_DB_PATH)',
    );
  for (const v of CONFIG_VARIABLES) serve.addOption(new Option(`--${variableToFlag(v)} <value>`, `sets ${v}`));
  serve.action(async (flags: Record<string, string>) => {
    const overrides: Record<string, string> = {};
    for (const [k, v] of Object.entries(flags))
      overrides[flagToVariable(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))] = v;
    let config: Config;
    try {
      config = loadConfig({ ...process.env, ...overrides });
    } catch (e) {
      if (e instanceof ConfigError) throw usage(e.message);
      throw e;
    }
    const logger = createLogger(config.logLevel);
    let running: Awaited<ReturnType<typeof startServer>>;
    try {
      running = await startServer(config, logger);
    } catch (e) {
      throw new CliError(`cannot start: ${e instanceof Error ? e.message : String(e)}`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'stopping: draining writes and closing the store');
        void running.stop().then(resolve, (e: unknown) => {
          logger.error({ err: e }, 'stop failed');
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
  });

  program
    .command('ingest')
    .description('write line protocol or JSON lines from a file (or - for standard input)')
    .argument('<file>', 'path, or - for standard input')
    .option('--url <url>', 'send to a running server instead of opening the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .addOption(
      new Option(
        '--format <format>',
        'lp: line protocol; json: JSON lines (an object or an array a line); auto: json when the first line that is not blank or a # comment starts with { or [, else lp',
      )
        .choices(['auto', 'lp', 'json'])
        .default('auto'),
    )
    .option('--batch-size <n>', 'lines per write, 1 to 100000', int('--batch-size', 1, 100_000), 5000)
    .action(
      async (file: string, o: { url?: string; token?: string; db?: string; format: Format; batchSize: number }) => {
        const config = cliConfig({ RESULTANT_DB_PATH: o.db });
        const sink = await openSink(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
        try {
          const r = await ingestFile(
            file,
            { format: o.format, batchSize: o.batchSize, rules: rulesOf(config.ingest) },
            sink,
          );
          err(`wrote ${r.points} points to ${sink.describe}`);
          if (r.skipped > 0)
            err(
              `skipped ${r.skipped} points of measurements that are neither results nor mapped (${r.names.join(', ')}); RESULTANT_UNKNOWN_MEASUREMENTS=refuse refuses them instead`,
            );
        } finally {
          await sink.close();
        }
      },
    );

  program
    .command('demo')
    .description('write realistic data for a fleet of workers, endpoints and regions, with incidents to find')
    .option('--days <n>', 'days of history, less than RESULTANT_RETENTION_RAW_DAYS', '7')
    .option('--seed <n>', 'random seed, 0 to 2147483648', int('--seed', 0, 2 ** 31), 42)
    .option('--endpoints <n>', 'endpoints probed, 1 to 1000', int('--endpoints', 1, 1000), 50)
    .option('--regions <n>', 'regions, 1 to 6', int('--regions', 1, 6), 4)
    .option('--workers-per-region <n>', 'workers per region, 1 to 100', int('--workers-per-region', 1, 100), 5)
    .option('--follow', 'keep writing one minute of data every minute')
    .option('--url <url>', 'send to a running server instead of opening the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .action(
      async (o: {
        days: string;
        seed: number;
        endpoints: number;
        regions: number;
        workersPerRegion: number;
        follow?: boolean;
        url?: string;
        token?: string;
        db?: string;
      }) => {
        const days = parseDays(o.days, '--days');
        const config = cliConfig({ RESULTANT_DB_PATH: o.db });
        if (days >= config.retention.rawDays) {
          throw usage(
            `--days must be less than the raw retention (RESULTANT_RETENTION_RAW_DAYS=${config.retention.rawDays})`,
          );
        }
        const sink = await openSink(config, o.url, o.token ?? process.env.RESULTANT_TOKEN);
        try {
          await runDemo(
            {
              days,
              seed: o.seed,
              endpoints: o.endpoints,
              regions: o.regions,
              workersPerRegion: o.workersPerRegion,
              follow: o.follow === true,
              now: Date.now(),
              log: err,
            },
            sink,
          );
        } finally {
          await sink.close();
        }
      },
    );

  program
    .command('rollup')
    .description(
      'bring the hourly and daily rollups up to date, and with --start rebuild them from raw data over [start, stop)',
    )
    .option('--start <time>', 'rebuild from this time: RFC 3339 or epoch ms', time)
    .option('--stop <time>', 'rebuild until this time: RFC 3339 or epoch ms (default: now; needs --start)', time)
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { start?: number; stop?: number; db?: string; json?: boolean }) => {
      if (o.stop !== undefined && o.start === undefined) throw usage('--stop needs --start');
      const stop = o.stop ?? Date.now();
      if (o.start !== undefined && stop <= o.start) throw usage('--stop must be after --start');
      const store = await openCliStore(cliConfig({ RESULTANT_DB_PATH: o.db }));
      try {
        const caughtUp = await store.rollup(Date.now());
        const rebuilt = o.start === undefined ? null : await store.rebuildRollups(o.start, stop);
        const report = { caught_up: caughtUp, rebuilt };
        if (o.json) out(JSON.stringify(report));
        else {
          out(`rolled up ${caughtUp.hoursRolledUp} new hours and ${caughtUp.daysRolledUp} new days`);
          if (rebuilt) out(`rebuilt ${rebuilt.hoursRolledUp} hours and ${rebuilt.daysRolledUp} days from raw data`);
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('cleanup')
    .description('delete data older than the retention of each level, or than --keep-days at every level')
    .option(
      '--keep-days <n>',
      'keep this many days of raw data and rollups, 1 to 36500 (default: the retention setting of each level)',
      int('--keep-days', 1, 36500),
    )
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { keepDays?: number; db?: string; json?: boolean }) => {
      const config = cliConfig({ RESULTANT_DB_PATH: o.db });
      const policy =
        o.keepDays === undefined
          ? config.retention
          : { rawDays: o.keepDays, hourlyDays: o.keepDays, dailyDays: o.keepDays };
      const store = await openCliStore(config);
      try {
        const r = await store.cleanup(policy, Date.now());
        if (o.json) out(JSON.stringify(r));
        else {
          out(
            `deleted ${r.rawDeleted} raw results, ${r.breakerEventsDeleted} breaker events, ${r.hourlyDeleted} hourly and ${r.dailyDeleted} daily rollup rows, ${r.seriesDeleted} series with no data left`,
          );
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('forecast')
    .description('forecast an hourly or daily statistic of a series, with the model chosen by backtest')
    .option('--metric <name>', 'field (default latency_ms)')
    .option('--statistic <s>', 'mean, p95, availability_pct or test_count (default mean)')
    .option('--period <p>', 'hour or day (default hour)')
    .option('--horizon <n>', 'buckets ahead (default 24 hourly, 14 daily)')
    .option('--level <n>', 'prediction interval, 80 or 95 (default 95)')
    .option('--model <name>', 'auto, seasonal_naive, mstl_ets, ets or arima (default auto)')
    .option('--tz <zone>', 'IANA time zone of the buckets (default RESULTANT_TIMEZONE)')
    .option('--start <time>', 'history from (default: 30 days hourly, 365 days daily)')
    .option('--stop <time>', 'history until (default: now)')
    .option(
      '--tag <key=value>',
      'series filter, repeatable',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--json', 'print the response as JSON')
    .option('--url <url>', 'ask a running server instead of opening the database file')
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .action(async (o: ForecastCliOptions & { json?: boolean }) => {
      const f = await runForecast({ ...o, token: o.token ?? process.env.RESULTANT_TOKEN });
      out(o.json ? JSON.stringify(f) : formatForecast(f));
    });

  program
    .command('analyze')
    .description('run analyses (trends, regressions, anomalies, ...) over the last N days and print what they found')
    .option('--days <n>', 'days back from now', '30')
    .option('--filter <json>', 'tag filter as a JSON object, e.g. \'{"endpoint":"api"}\'')
    .option(
      '--types <list>',
      'comma-separated analysis types (default: every one this build has; comparison only with --dimension)',
    )
    .option('--metric <name>', 'field to analyse (default latency_ms)')
    .option('--group-by <keys>', 'comma-separated tag keys (default: test,endpoint,hardware,model)')
    .option(
      '--dimension <keys>',
      'tag key(s) comparison compares by, e.g. hardware (adds comparison to the default types)',
    )
    .option('--json', 'print the full result as JSON')
    .option(
      '--url <url>',
      'ask a running server instead of opening the database file (default: the server holding it, if any)',
    )
    .option('--token <token>', 'token for --url (default: RESULTANT_TOKEN)')
    .option('--db <path>', 'database file (default: RESULTANT_DB_PATH)')
    .action(async (o: AnalyzeArgs) => {
      const result = await runAnalyzeCommand({ ...o, token: o.token ?? process.env.RESULTANT_TOKEN });
      out(o.json ? JSON.stringify(result) : summarize(result));
    });
  addReportCommand(program);
  addExportCommand(program);
  addDeleteCommand(program);
  addVisualizeCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return 2;
    }
    if (e instanceof CliError) {
      err(`error: ${e.message}`);
      return e.exitCode;
    }
    err(`error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
