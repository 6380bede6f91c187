// Shared bits of the benchmarks: the machine, a resident-memory sampler, percentiles, the NAB data's folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { npmStart } from '../test/support/npm-start.js';

export function machine(): string {
  return `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, node ${process.version}`;
}

/** Samples this process's RSS every 100 ms; returns the peak in MB when stopped. */
export function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  return {
    stop() {
      clearInterval(t);
      return Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20);
    },
  };
}

export function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
}

/** A TCP port that was free a moment ago on loopback. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Peak resident memory (VmHWM, kernel-tracked, so no sample misses a spike) of a process, in MB. */
/** Resets a process's peak resident memory (VmHWM) to its current size, so a later reading covers what follows. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** CPU seconds (user and system, all threads) a process has used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  // Fields after the command's closing parenthesis: state is field 3, utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024);
}

/**
 * Runs the built service exactly as `npm start` does (`node bin/resultant.js serve` with its flags, compiled JS) in
 * its own process (callers pass START_ENV with their settings); `stop` reads its peak RSS, then ends it. The bench
 * scripts build first (package.json).
 */
export async function startServiceChild(
  env: Record<string, string>,
  root: URL = new URL('..', import.meta.url),
): Promise<{ url: URL; pid: number; stop(): Promise<number> }> {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof'] : []),
      ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ...START_FLAGS,
      new URL('bin/resultant.js', root).pathname,
      'serve',
    ],
    {
      env: {
        ...process.env,
        RESULTANT_HOST: '127.0.0.1',
        RESULTANT_PORT: String(port),
        RESULTANT_LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', process.env.BENCH_TRACE_GC ? 'inherit' : 'ignore', 'inherit'],
    },
  );
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = new URL(`http://127.0.0.1:${port}`);
  for (;;) {
    if (child.exitCode !== null) throw new Error('the service child exited before it listened');
    const up = await fetch(new URL('/ping', url)).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      const peak = peakRssMb(child.pid!);
      child.kill('SIGTERM');
      await exited;
      return peak;
    },
  };
}

/**
 * The NAB realAWSCloudwatch data the anomaly and forecast benchmarks read (Numenta Anomaly Benchmark, MIT,
 * github.com/numenta/NAB): a folder holding `realAWSCloudwatch/*.csv` (NAB's data/realAWSCloudwatch) and
 * `labels.json` (NAB's labels/combined_windows.json). NAB_DIR names it; else `data/nab` in this repository
 * (data/ is not tracked).
 */
export function nabDir(): string {
  const dir = resolve(process.env.NAB_DIR ?? join(import.meta.dirname, '../data/nab'));
  if (!existsSync(join(dir, 'realAWSCloudwatch')) || !existsSync(join(dir, 'labels.json'))) {
    throw new Error(
      `no NAB data in ${dir}: put NAB's data/realAWSCloudwatch folder and labels/combined_windows.json (as labels.json) there, or set NAB_DIR to a folder that has them`,
    );
  }
  return dir;
}

/** A built checkout of another commit (its bin/ and dist/), for before/after figures; relative paths from here. */
export function checkoutRoot(dir: string): URL {
  return pathToFileURL(`${resolve(dir)}/`);
}

/** BENCH_ROOT: another checkout's service to run instead of this one, or undefined. */
export const BENCH_ROOT: URL | undefined = process.env.BENCH_ROOT ? checkoutRoot(process.env.BENCH_ROOT) : undefined;

/**
 * How `npm start` runs the service, read from this checkout's package.json (`VAR=value ... node --flag ...
 * bin/resultant.js serve`): its environment (MALLOC_ARENA_MAX) and Node's flags (the young generation's size);
 * docs/performance.md says why each is there. BENCH_START_ENV=none runs the service without either, as `npm start`
 * did before (for an older checkout).
 */
function startCommand(): { env: Record<string, string>; flags: string[] } {
  if (process.env.BENCH_START_ENV === 'none') return { env: {}, flags: [] };
  const start = npmStart(resolve(import.meta.dirname, '..'));
  return { env: Object.fromEntries(start.settings.map((w) => w.split('=') as [string, string])), flags: start.flags };
}

const START = startCommand();
export const START_ENV: Record<string, string> = START.env;
export const START_FLAGS: readonly string[] = START.flags;
