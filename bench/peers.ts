// The peers bench:ingest measures the service against: InfluxDB 1.6 (`influxd`, Debian package `influxdb`) and
// VictoriaMetrics (Debian package `victoria-metrics`). Each runs as a child process on its own temporary data
// folder and on loopback ports picked free (never a package's default port, which a stray daemon could hold).
// A missing binary is installed with apt-get when running as root; otherwise the peer is skipped with the reason.
// Each peer also counts the points it holds, so the bench can check it stores what it acknowledged.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, peakRssMb } from './common.js';

/** A running write target (the service or a peer) as the ingest bench drives it. */
export interface Target {
  url: URL;
  pid: number;
  /** Path and query of its line-protocol write endpoint, nanosecond precision. */
  writePath: string;
  /** The points it holds, counted after the writes. */
  stored(): Promise<number>;
  /** Reads its peak RSS (VmHWM, MB), ends it and removes its data. */
  stop(): Promise<number>;
}

export interface Peer {
  /** As printed: `InfluxDB 1.6` or `VictoriaMetrics`. */
  name: string;
  /** Debian package that ships it. */
  pkg: string;
  /** Binaries that run it, the first found on PATH is used. */
  binaries: string[];
  start(bin: string): Promise<Target>;
}

/** A binary on PATH (or in /usr/bin, /usr/sbin), or undefined. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return undefined;
}

/** The installed version of a Debian package, or ''. */
export function packageVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** Starts `bin args` with stdout and stderr in a log file of `dir`; resolves once `ready` answers true. */
async function startChild(
  name: string,
  bin: string,
  args: string[],
  dir: string,
  ready: () => Promise<boolean>,
): Promise<{ pid: number; stop(): Promise<number> }> {
  const log = join(dir, 'output.log');
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], env: { ...process.env } });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  const tail = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n') : '');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnError) throw new Error(`${name} did not start: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited before it answered (${child.exitCode ?? child.signalCode}): ${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not answer within 60 s: ${tail()}`);
    }
    if (await ready()) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    pid: child.pid!,
    async stop() {
      const peak = peakRssMb(child.pid!);
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      return peak;
    },
  };
}

const answers = (url: URL, status: number) => () =>
  fetch(url).then(
    (r) => r.status === status,
    () => false,
  );

/**
 * InfluxDB 1.6: a generated config with meta, data and WAL folders in a temporary folder, HTTP and the RPC
 * (backup) service bound to free loopback ports, usage reporting, the monitor's self-writes, continuous queries
 * and the access and query logs off (the listeners graphite, collectd, opentsdb and udp are off by default).
 * The database `bench` is created before the writes.
 */
export const influxdb: Peer = {
  name: 'InfluxDB 1.6',
  pkg: 'influxdb',
  binaries: ['influxd'],
  async start(bin) {
    const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-influxdb-'));
    const [http, rpc] = [await freePort(), await freePort()];
    const config = join(dir, 'influxdb.conf');
    writeFileSync(
      config,
      `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
[meta]
  dir = "${join(dir, 'meta')}"
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${http}"
  log-enabled = false
[logging]
  level = "error"
[continuous_queries]
  enabled = false
[[graphite]]
  enabled = false
[[collectd]]
  enabled = false
[[opentsdb]]
  enabled = false
[[udp]]
  enabled = false
`,
    );
    const url = new URL(`http://127.0.0.1:${http}`);
    const child = await startChild('influxd', bin, ['-config', config], dir, answers(new URL('/ping', url), 204));
    const created = await fetch(new URL(`/query?q=${encodeURIComponent('CREATE DATABASE bench')}`, url), {
      method: 'POST',
    });
    if (!created.ok) throw new Error(`InfluxDB: CREATE DATABASE answered ${created.status}`);
    return {
      url,
      pid: child.pid,
      writePath: '/write?db=bench&precision=ns',
      async stored() {
        const q = encodeURIComponent('SELECT count(success) FROM test_result');
        const res = await fetch(new URL(`/query?db=bench&q=${q}`, url));
        const body = (await res.json()) as {
          results?: { series?: { values?: [string, number][] }[]; error?: string }[];
        };
        const r = body.results?.[0];
        if (!res.ok || r?.error) throw new Error(`InfluxDB count: ${res.status} ${r?.error ?? ''}`);
        return r?.series?.[0]?.values?.[0]?.[1] ?? 0;
      },
      stop: () => child.stop(),
    };
  },
};

/**
 * VictoriaMetrics: `-storageDataPath` in a temporary folder, HTTP on a free loopback port. Its line protocol
 * makes one series per field (`test_result_success`, `test_result_latency_ms`, ...), millisecond timestamps.
 */
export const victoriaMetrics: Peer = {
  name: 'VictoriaMetrics',
  pkg: 'victoria-metrics',
  binaries: ['victoria-metrics', 'victoria-metrics-prod'],
  async start(bin) {
    const dir = mkdtempSync(join(tmpdir(), 'resultant-bench-victoriametrics-'));
    const port = await freePort();
    const url = new URL(`http://127.0.0.1:${port}`);
    const args = [
      '-storageDataPath',
      join(dir, 'data'),
      '-httpListenAddr',
      `127.0.0.1:${port}`,
      '-loggerLevel',
      'ERROR',
      '-retentionPeriod',
      '100y',
    ];
    const child = await startChild('victoria-metrics', bin, args, dir, answers(new URL('/health', url), 200));
    return {
      url,
      pid: child.pid,
      writePath: '/write?db=bench&precision=ns',
      // Every point has one `test_result_success` sample: their number in the raw export, after the buffered rows
      // are flushed (VictoriaMetrics acknowledges a write once its rows are in memory buffers). Without
      // -dedup.minScrapeInterval it keeps samples of equal timestamps, and the bench's points never share a
      // millisecond anyway.
      async stored() {
        const flushed = await fetch(new URL('/internal/force_flush', url));
        if (!flushed.ok) throw new Error(`VictoriaMetrics force_flush: ${flushed.status}`);
        const res = await fetch(
          new URL(`/api/v1/export?${new URLSearchParams({ 'match[]': 'test_result_success', start: '0' })}`, url),
        );
        if (!res.ok) throw new Error(`VictoriaMetrics export: ${res.status} ${await res.text()}`);
        let n = 0;
        for (const line of (await res.text()).split('\n'))
          if (line) n += (JSON.parse(line) as { timestamps: number[] }).timestamps.length;
        return n;
      },
      stop: () => child.stop(),
    };
  },
};

export const PEERS: Peer[] = [influxdb, victoriaMetrics];

/**
 * The peers to run, each with its binary, and the ones skipped with why. BENCH_PEERS=none skips all; a
 * comma-separated list of package names (influxdb, victoria-metrics) picks some. Missing binaries are installed
 * with `apt-get install -y` (DEBIAN_FRONTEND=noninteractive) when running as root and apt-get exists.
 */
export function resolvePeers(): { ready: { peer: Peer; bin: string }[]; skipped: { name: string; why: string }[] } {
  const want = (process.env.BENCH_PEERS ?? 'all').trim();
  if (want === 'none') return { ready: [], skipped: PEERS.map((p) => ({ name: p.name, why: 'BENCH_PEERS=none' })) };
  const picked =
    want === 'all'
      ? PEERS
      : PEERS.filter((p) =>
          want
            .split(',')
            .map((s) => s.trim())
            .includes(p.pkg),
        );
  const skipped = PEERS.filter((p) => !picked.includes(p)).map((p) => ({
    name: p.name,
    why: `not in BENCH_PEERS=${want}`,
  }));
  const find = (p: Peer) => p.binaries.map(which).find((b) => b !== undefined);
  const missing = picked.filter((p) => !find(p));
  let installNote = '';
  if (missing.length > 0) {
    const aptGet = which('apt-get');
    if (process.getuid?.() !== 0) installNote = 'not installed, and not running as root to install it';
    else if (!aptGet) installNote = 'not installed, and no apt-get to install it';
    else {
      const pkgs = missing.map((p) => p.pkg);
      console.log(`installing ${pkgs.join(', ')} with apt-get ...`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const install = () =>
        spawnSync(aptGet, ['install', '-y', '-q', ...pkgs], {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
        });
      let r = install();
      if (r.status !== 0) {
        // An old or empty package list: update it once and try again.
        spawnSync(aptGet, ['update', '-q'], { env, stdio: 'ignore' });
        r = install();
      }
      if (r.status !== 0)
        installNote = `apt-get install ${pkgs.join(' ')} failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`;
      else installNote = 'apt-get installed the package but none of its binaries is on PATH';
    }
  }
  const ready: { peer: Peer; bin: string }[] = [];
  for (const p of picked) {
    const bin = find(p);
    if (bin) ready.push({ peer: p, bin });
    else skipped.push({ name: p.name, why: `${p.binaries.join(' or ')} ${installNote} (Debian package ${p.pkg})` });
  }
  return { ready, skipped };
}
