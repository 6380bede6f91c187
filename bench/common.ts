// Shared bits of the benchmarks: the machine, a resident-memory sampler, percentiles.
import os from 'node:os';

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

/** Runs the service (bench/serve-child.ts) in its own process; `stop` ends it and returns its peak RSS in MB. */
export async function startServiceChild(env: Record<string, string>): Promise<{ url: URL; stop(): Promise<number> }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof'] : []), '--import', 'tsx', new URL('./serve-child.ts', import.meta.url).pathname],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  while (!/URL (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error('the service child exited before it listened');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: new URL(/URL (\S+)/.exec(out)![1]!),
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return Number(/PEAK_RSS_MB (\d+)/.exec(out)?.[1] ?? NaN);
    },
  };
}
