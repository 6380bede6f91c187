// Test support: how long the service takes to answer /ping while other work runs, with the share that is the
// machine's doing (the main thread waiting for a CPU) told apart from the service's own (its event loop busy).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const PING_EVERY_MS = 20;

/**
 * The main thread's time spent running and spent runnable but waiting for a CPU (ns), from the kernel's scheduler
 * statistics; zeros where there are none (not Linux).
 */
export function mainThreadSched(): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { run: run!, wait: wait! };
  } catch {
    return { run: 0, wait: 0 };
  }
}

/**
 * Polls /ping every ~20 ms and keeps the worst latency, counted from when the ping was due, so that a stall of the
 * event loop between two pings counts too (as it would for a client outside). It also keeps the worst latency less
 * the time the kernel kept the main thread waiting for a CPU meanwhile: on a machine busy with other work, that
 * wait is the other work's doing, while a slow synchronous handler of ours runs on the main thread and stays counted.
 */
export class PingWatch {
  private worst = 0;
  private worstOwn = 0;
  private count = 0;
  private readonly failures: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly url: string) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let due = performance.now();
    let previous = mainThreadSched();
    while (!this.stopped) {
      const sent = performance.now();
      const atSend = mainThreadSched();
      const res = await fetch(`${this.url}/ping`);
      await res.arrayBuffer();
      const answered = performance.now();
      const atAnswer = mainThreadSched();
      if (res.status !== 204) this.failures.push(`status ${res.status}`);
      const latency = answered - due;
      // The wait before the ping was sent counts only up to how late it was sent (an overcount of at most the
      // wait in the ~20 ms before it was due).
      const waited =
        (atAnswer.wait - atSend.wait) / 1e6 + Math.min((atSend.wait - previous.wait) / 1e6, Math.max(0, sent - due));
      this.worst = Math.max(this.worst, latency);
      this.worstOwn = Math.max(this.worstOwn, latency - waited);
      previous = atAnswer;
      this.count++;
      due = Math.max(due + PING_EVERY_MS, answered);
      await sleep(Math.max(0, due - performance.now()));
    }
  }

  async stop(): Promise<{ worstMs: number; worstOwnMs: number; pings: number; failures: string[] }> {
    this.stopped = true;
    await this.loop;
    return { worstMs: this.worst, worstOwnMs: this.worstOwn, pings: this.count, failures: this.failures };
  }
}
