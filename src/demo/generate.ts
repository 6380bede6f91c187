// Realistic demo data for a fleet: network probes of 50 endpoints from 4 regions by 20 workers every minute,
// functional tests, and benchmarks on 3 hardware types, with a daily cycle and planted incidents that later
// analyses should find. Deterministic for a seed. Emits line protocol, minute by minute.
import { gauss, mulberry32 } from './random.js';

export interface DemoOptions {
  /** ms, inclusive */
  start: number;
  /** ms, exclusive */
  stop: number;
  seed: number;
  endpoints: number;
  regions: number;
  workersPerRegion: number;
}

export interface Incident {
  kind: 'latency_regression' | 'outage' | 'flaky_test' | 'bad_worker' | 'breaker_flapping';
  description: string;
  tags: Record<string, string>;
  /** ms */
  start: number;
  stop: number;
}

const ENDPOINT_NAMES = [
  'auth',
  'billing',
  'cart',
  'catalog',
  'checkout',
  'search',
  'profile',
  'orders',
  'payments',
  'inventory',
  'shipping',
  'reviews',
  'recommendations',
  'notifications',
  'media',
  'gateway',
  'sessions',
  'pricing',
  'coupons',
  'wishlist',
  'analytics',
  'reports',
  'export',
  'import',
  'webhooks',
  'ledger',
  'invoices',
  'tax',
  'fraud',
  'kyc',
  'chat',
  'support',
  'status',
  'docs',
  'cdn',
  'images',
  'thumbnails',
  'uploads',
  'downloads',
  'feeds',
  'graphql',
  'rest-v1',
  'rest-v2',
  'admin',
  'audit',
  'billing-v2',
  'metrics',
  'logs',
  'tracing',
  'config',
];
const REGION_NAMES = ['us-east', 'us-west', 'eu-west', 'ap-south', 'sa-east', 'af-south'];
const FUNCTIONAL_TESTS = [
  'login_flow',
  'checkout_flow',
  'search_results',
  'add_to_cart',
  'password_reset',
  'profile_update',
  'order_history',
  'refund_request',
  'coupon_apply',
  'invoice_pdf',
  'export_csv',
  'webhook_delivery',
];
const HARDWARE = ['gpu-a100', 'gpu-t4', 'cpu-xeon'];
const MODELS = [
  { model: 'resnet50', test: 'resnet50_inference', base: { 'gpu-a100': 4.1, 'gpu-t4': 11.5, 'cpu-xeon': 58 } },
  { model: 'bert-base', test: 'bert_inference', base: { 'gpu-a100': 6.3, 'gpu-t4': 19.8, 'cpu-xeon': 121 } },
  { model: 'llama-7b', test: 'llm_tokens', base: { 'gpu-a100': 21, 'gpu-t4': 88, 'cpu-xeon': 940 } },
] as const;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const esc = (s: string): string => s.replace(/[ ,=\\]/g, (c) => `\\${c}`);
const str = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export class DemoFleet {
  readonly endpoints: string[];
  readonly regions: string[];
  readonly workers: { name: string; region: string }[];
  readonly incidents: Incident[];
  private readonly r: () => number;
  private readonly endpointBase: number[];

  constructor(o: DemoOptions) {
    this.r = mulberry32(o.seed);
    this.endpoints = Array.from({ length: o.endpoints }, (_, i) =>
      i < ENDPOINT_NAMES.length ? ENDPOINT_NAMES[i]! : `service-${i + 1}`,
    );
    this.regions = REGION_NAMES.slice(0, Math.max(1, Math.min(o.regions, REGION_NAMES.length)));
    this.workers = this.regions.flatMap((region) =>
      Array.from({ length: o.workersPerRegion }, (_, i) => ({ name: `w-${region}-${i + 1}`, region })),
    );
    this.endpointBase = this.endpoints.map(() => 20 + this.r() * 180);
    const span = o.stop - o.start;
    const at = (fraction: number): number => Math.floor((o.start + span * fraction) / MINUTE) * MINUTE;
    const ep = (i: number): string => this.endpoints[i % this.endpoints.length]!;
    const badWorker = this.workers[Math.min(this.workers.length - 1, 2)]!;
    this.incidents = [
      {
        kind: 'latency_regression',
        description: `latency of ${ep(6)} rises 45 % from a deploy and stays`,
        tags: { endpoint: ep(6) },
        start: at(0.72),
        stop: o.stop,
      },
      {
        kind: 'outage',
        description: `${ep(22)} is down in ${this.regions[Math.min(2, this.regions.length - 1)]} for 40 minutes`,
        tags: { endpoint: ep(22), region: this.regions[Math.min(2, this.regions.length - 1)]! },
        start: at(0.55),
        stop: at(0.55) + 40 * MINUTE,
      },
      {
        kind: 'flaky_test',
        description: 'checkout_flow fails about 12 % of runs at random',
        tags: { test: 'checkout_flow' },
        start: o.start,
        stop: o.stop,
      },
      {
        kind: 'bad_worker',
        description: `${badWorker.name} fails 20 % of its probes and adds ~80 ms`,
        tags: { worker: badWorker.name },
        start: o.start,
        stop: o.stop,
      },
      {
        kind: 'breaker_flapping',
        description: `the circuit breaker of ${ep(30)} opens and closes again and again`,
        tags: { breaker: `${ep(30)}-client` },
        start: at(0.35),
        stop: at(0.35) + 3 * HOUR,
      },
    ];
  }

  private active(kind: Incident['kind'], t: number, tags: Record<string, string>): boolean {
    return this.incidents.some(
      (i) => i.kind === kind && t >= i.start && t < i.stop && Object.entries(i.tags).every(([k, v]) => tags[k] === v),
    );
  }

  /** Line protocol for the minute starting at `t` (ms). */
  minute(t: number): string[] {
    const r = this.r;
    const lines: string[] = [];
    const ns = (ms: number): string => `${Math.round(ms)}000000`;
    // Daily cycle in UTC, peaking at 15:00: +/- 25 %.
    const hourOfDay = ((t % DAY) / HOUR + 24) % 24;
    const daily = 1 + 0.25 * Math.sin((2 * Math.PI * (hourOfDay - 9)) / 24);
    this.endpoints.forEach((endpoint, ei) => {
      this.regions.forEach((region, ri) => {
        const regional = this.workers.filter((w) => w.region === region);
        const worker = regional[(ei + Math.floor(t / MINUTE)) % regional.length]!;
        const tags = { endpoint, region, worker: worker.name };
        const when = t + (ei * 7 + ri * 13) * 100 + Math.floor(r() * 1000);
        let latency = this.endpointBase[ei]! * daily * (1 + 0.08 * ri) * Math.exp(0.15 * gauss(r));
        let ok = r() > 0.004;
        let error: [string, string] | null = null;
        if (this.active('latency_regression', t, tags)) latency *= 1.45;
        if (this.active('bad_worker', t, tags)) {
          latency += 80;
          if (r() < 0.2) ok = false;
        }
        if (this.active('outage', t, tags)) ok = false;
        if (!ok) {
          const kind = r();
          if (kind < 0.5) {
            error = ['timeout', `timeout after 5000 ms connecting to 10.${ri}.${ei}.${1 + Math.floor(r() * 250)}:443`];
            latency = 5000;
          } else if (kind < 0.8) {
            error = ['connection', `connection refused by ${endpoint}.internal:443`];
          } else
            error = [
              'http',
              `HTTP 503 from https://${endpoint}.example.com/health (request id ${Math.floor(r() * 1e9).toString(16)})`,
            ];
        }
        const fields = [`success=${ok}`];
        if (ok || error?.[0] === 'timeout') fields.push(`latency_ms=${latency.toFixed(3)}`);
        if (error) fields.push(`error_type=${str(error[0])}`, `error=${str(error[1])}`);
        lines.push(
          `test_result,endpoint=${esc(endpoint)},region=${esc(region)},test=http_probe,type=network,worker=${esc(worker.name)} ${fields.join(',')} ${ns(when)}`,
        );
      });
    });
    // Functional tests: every 15 minutes, each test on one worker.
    if (t % (15 * MINUTE) === 0) {
      FUNCTIONAL_TESTS.forEach((test, ti) => {
        const w = this.workers[(ti + Math.floor(t / (15 * MINUTE))) % this.workers.length]!;
        const tags = { test, worker: w.name };
        let ok = r() > 0.01;
        if (this.active('flaky_test', t, tags) && r() < 0.12) ok = false;
        if (this.active('bad_worker', t, tags) && r() < 0.2) ok = false;
        const duration = (800 + ti * 150) * Math.exp(0.2 * gauss(r));
        const fields = [`success=${ok}`, `latency_ms=${duration.toFixed(1)}`];
        if (!ok) {
          fields.push(
            `error_type=${str('assertion')}`,
            `error=${str(`expected status 200 but got 500 at step ${1 + Math.floor(r() * 6)} of ${test}`)}`,
          );
        }
        lines.push(
          `test_result,branch=main,region=${esc(w.region)},test=${test},type=functional,worker=${esc(w.name)} ${fields.join(',')} ${ns(t + 2000 + ti * 500)}`,
        );
      });
    }
    // Benchmarks: hourly, every model on every hardware type.
    if (t % HOUR === 0) {
      MODELS.forEach((m, mi) => {
        HARDWARE.forEach((hw, hi) => {
          const w = this.workers[(mi * 3 + hi) % this.workers.length]!;
          const latency = m.base[hw as keyof typeof m.base] * Math.exp(0.05 * gauss(r));
          const throughput = 1000 / latency;
          const memory = (hi === 2 ? 2400 : 1800) * (1 + mi) * Math.exp(0.02 * gauss(r));
          lines.push(
            `test_result,hardware=${hw},model=${m.model},region=${esc(w.region)},test=${m.test},type=benchmark,worker=${esc(w.name)} success=true,latency_ms=${latency.toFixed(3)},throughput=${throughput.toFixed(3)},memory_mb=${memory.toFixed(1)} ${ns(t + 30_000 + mi * 1000 + hi * 100)}`,
          );
        });
      });
    }
    lines.push(...this.breakerEvents(t));
    return lines;
  }

  /** Circuit-breaker transitions: the outage trips its endpoint's breaker; another one flaps. */
  private breakerEvents(t: number): string[] {
    const out: string[] = [];
    const ns = (ms: number): string => `${Math.round(ms)}000000`;
    for (const inc of this.incidents) {
      if (inc.kind === 'outage') {
        const breaker = `${inc.tags.endpoint}-client`;
        const base = `circuit_breaker,breaker=${esc(breaker)},endpoint=${esc(inc.tags.endpoint!)},region=${esc(inc.tags.region!)}`;
        const rel = t - inc.start;
        if (rel === MINUTE) out.push(`${base} state="open",failures=5i ${ns(t + 5000)}`);
        // Half-open probes every 10 minutes fail until the outage ends, then one succeeds.
        if (rel > MINUTE && rel % (10 * MINUTE) === MINUTE && t < inc.stop + 10 * MINUTE) {
          out.push(`${base} state="half_open" ${ns(t)}`);
          const recovered = t >= inc.stop;
          out.push(
            `${base} state="${recovered ? 'closed' : 'open'}"${recovered ? '' : ',failures=1i'} ${ns(t + 3000)}`,
          );
        }
      }
      if (inc.kind === 'breaker_flapping' && t >= inc.start && t < inc.stop) {
        const rel = (t - inc.start) / MINUTE;
        const base = `circuit_breaker,breaker=${esc(inc.tags.breaker!)},endpoint=${esc(inc.tags.breaker!.replace(/-client$/, ''))}`;
        if (rel % 20 === 0) out.push(`${base} state="open",failures=5i ${ns(t + 1000)}`);
        if (rel % 20 === 2) out.push(`${base} state="half_open" ${ns(t)}`, `${base} state="closed" ${ns(t + 2000)}`);
      }
    }
    return out;
  }
}
