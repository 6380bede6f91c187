// docker-compose.yml, the Dockerfile and the Grafana provisioning files, checked as files: there is no Docker
// engine on the development and CI machines, so `docker compose up` itself is not run here (see
// docs/grafana-compose.md). What can be checked is: services, pinned images, the environment wiring between
// them, the configuration Resultant would start with (through the real loadConfig), and the mounted paths.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { API_DATASOURCE, INFLUX_DATASOURCE } from '../../src/grafana/index.js';
import { npmStart } from '../support/npm-start.js';

const root = new URL('../..', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(root, p), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
}
const compose = parse(read('docker-compose.yml')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const svc = (name: string) => compose.services[name]!;

/** What compose does with `${VAR:-default}` when VAR is unset: the default. */
const resolve = (s: string) => s.replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _v: string, d: string) => d);
const envOf = (name: string) =>
  Object.fromEntries(Object.entries(svc(name).environment ?? {}).map(([k, v]) => [k, resolve(String(v))]));

describe('docker-compose.yml', () => {
  it('has InfluxDB, Resultant and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['grafana', 'influxdb', 'resultant']);
  });

  it('pins every image to a version (no latest, InfluxDB 2.7 because InfluxDB 3 has no Flux)', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (!s.image || s.build) continue;
      const tag = s.image.split(':')[1];
      expect(tag, `${name} image ${s.image}`).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(svc('influxdb').image).toMatch(/^influxdb:2\.7\.\d+$/);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('initialises InfluxDB through its setup variables', () => {
    const env = envOf('influxdb');
    expect(env.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    for (const k of ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET', 'ADMIN_TOKEN']) {
      expect(env[`DOCKER_INFLUXDB_INIT_${k}`], k).toBeTruthy();
    }
    // InfluxDB refuses passwords under 8 characters at setup.
    expect(env.DOCKER_INFLUXDB_INIT_PASSWORD!.length).toBeGreaterThanOrEqual(8);
  });

  it('configures Resultant for that InfluxDB: same org, bucket and token, reachable by service name', () => {
    const influx = envOf('influxdb');
    const env = envOf('resultant');
    const config = loadConfig(env);
    expect(config.store).toBe('influxdb');
    expect(config.host).toBe('0.0.0.0');
    expect(config.influx).toEqual({
      url: 'http://influxdb:8086',
      token: influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
      org: influx.DOCKER_INFLUXDB_INIT_ORG,
      bucket: influx.DOCKER_INFLUXDB_INIT_BUCKET,
    });
    // The raw compose text, not just the defaults: the same variable feeds both sides.
    expect(svc('resultant').environment!.INFLUX_TOKEN).toBe(
      svc('influxdb').environment!.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN,
    );
    expect(config.authTokens.length).toBeGreaterThan(0);
    expect(svc('resultant').ports).toContain(`${config.port}:${config.port}`);
    expect(svc('resultant').depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
    expect(svc('resultant').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    // Its own state (rules, history, anomalies) must outlive the container.
    expect((svc('resultant') as { volumes?: string[] }).volumes).toContain('resultant-data:/app/data');
  });

  it('installs the Infinity plugin in Grafana and gives it every variable the provisioning files use', () => {
    const env = envOf('grafana');
    const plugins = env.GF_PLUGINS_PREINSTALL_SYNC ?? env.GF_PLUGINS_PREINSTALL ?? env.GF_INSTALL_PLUGINS ?? '';
    expect(plugins).toMatch(new RegExp(`(^|,)${API_DATASOURCE.type}@\\d+\\.\\d+\\.\\d+($|,)`));
    const dir = join(root, 'grafana/provisioning/datasources');
    const text = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f), 'utf8').replace(/^\s*#.*$/gm, ''))
      .join('\n');
    const used = [...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(4);
    for (const v of used) expect(env[v], `grafana environment ${v}`).toBeTruthy();
    expect(env.RESULTANT_TOKEN).toBe(envOf('resultant').RESULTANT_AUTH_TOKENS);
    expect(env.INFLUX_TOKEN).toBe(envOf('influxdb').DOCKER_INFLUXDB_INIT_ADMIN_TOKEN);
  });

  it('mounts provisioning and dashboards from paths that exist, where the dashboard provider looks', () => {
    const mounts = (svc('grafana').volumes ?? []).map((v) => v.split(':')).filter(([src]) => src!.startsWith('./'));
    expect(mounts.map(([, dst]) => dst)).toContain('/etc/grafana/provisioning');
    for (const [src] of mounts) expect(existsSync(join(root, src!)), src).toBe(true);
    const provider = parse(read('grafana/provisioning/dashboards/resultant.yaml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const dashboardsMount = mounts.find(([src]) => src === './grafana/dashboards');
    expect(dashboardsMount?.[1]).toBe(provider.providers[0]!.options.path);
    expect(readdirSync(join(root, 'grafana/dashboards')).filter((f) => f.endsWith('.json')).length).toBe(6);
  });

  it('.env.example names every variable the compose file reads', () => {
    const example = new Set(
      read('.env.example')
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => l.split('=')[0]!),
    );
    const used = [...read('docker-compose.yml').matchAll(/\$\{(\w+):-/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(5);
    for (const v of used) expect(example.has(v), v).toBe(true);
  });

  it('is valid for Compose v1 as well as v2: no top-level name (docker-compose config runs where installed)', () => {
    expect(Object.keys(parse(read('docker-compose.yml')) as object)).not.toContain('name');
    expect(read('.env.example')).toMatch(/^COMPOSE_PROJECT_NAME=resultant$/m);
    const v1 = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));
    if (!v1) return;
    const check = spawnSync(v1, ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('declares every named volume it uses', () => {
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const src = v.split(':')[0]!;
        if (!src.startsWith('.') && !src.startsWith('/')) expect(Object.keys(compose.volumes), src).toContain(src);
      }
    }
  });
});

describe('grafana/provisioning', () => {
  it('provisions the two datasources with the uids the dashboards use', () => {
    const ds = parse(read('grafana/provisioning/datasources/resultant.yaml')) as {
      apiVersion: number;
      datasources: {
        uid: string;
        type: string;
        url: string;
        jsonData: Record<string, unknown>;
        secureJsonData: Record<string, string>;
      }[];
    };
    expect(ds.apiVersion).toBe(1);
    const influx = ds.datasources.find((d) => d.uid === INFLUX_DATASOURCE.uid)!;
    expect(influx.type).toBe(INFLUX_DATASOURCE.type);
    expect(influx.jsonData.version).toBe('Flux');
    expect(influx.jsonData.defaultBucket).toBe('${INFLUX_BUCKET}');
    expect(influx.secureJsonData.token).toBe('${INFLUX_TOKEN}');
    const api = ds.datasources.find((d) => d.uid === API_DATASOURCE.uid)!;
    expect(api.type).toBe(API_DATASOURCE.type);
    expect(api.jsonData.allowedHosts).toEqual([api.url]);
    expect(api.jsonData.auth_method).toBe('bearerToken');
  });
});

describe('Dockerfile and .dockerignore', () => {
  const docker = read('Dockerfile');
  const lines = docker.split('\n').filter((l) => !l.trim().startsWith('#'));

  it('builds on node:20-slim in two stages and prunes dev dependencies', () => {
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBe(2);
    for (const f of froms) expect(f).toMatch(/^FROM node:20-slim\b/);
    expect(docker).toMatch(/RUN npm ci\b/);
    expect(docker).toMatch(/npm run build && npm prune --omit=dev/);
  });

  it('runs as a non-root user with a healthcheck on /ping', () => {
    const user = lines.filter((l) => l.startsWith('USER '));
    expect(user.length).toBe(1);
    expect(user[0]).not.toMatch(/USER (root|0)\b/);
    const cmdAt = lines.findIndex((l) => l.startsWith('CMD '));
    expect(lines.findIndex((l) => l.startsWith('USER '))).toBeLessThan(cmdAt);
    expect(docker).toMatch(/HEALTHCHECK[\s\S]*\/ping[\s\S]*204/);
  });

  it('runs the service as `npm start` does: its Node flags and its environment', () => {
    const start = npmStart(root);
    const cmd = JSON.parse(lines.find((l) => l.startsWith('CMD '))!.replace(/^CMD\s+/, '')) as string[];
    expect(cmd).toEqual(['node', ...start.flags, ...start.args]);
    for (const setting of start.settings) expect(docker).toContain(setting);
  });

  it('copies only paths that exist, and everything the package ships (the dashboard page, the Flux tasks)', () => {
    const sources = lines
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) =>
        l
          .replace(/^COPY\s+/, '')
          .split(/\s+/)
          .slice(0, -1),
      );
    expect(sources).toContain('src');
    expect(sources.filter((s) => !existsSync(join(root, s)))).toEqual([]);
    const shipped = (JSON.parse(read('package.json')) as { files: string[] }).files;
    // dist is built in the image and bin copied from the build stage; README.md is not needed to run.
    for (const f of shipped.filter((x) => !['dist', 'bin', 'README.md'].includes(x))) expect(sources, f).toContain(f);
  });

  it('keeps local state and secrets out of the build context, but not what the build needs', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', 'node_modules', 'dist', 'data', '.env']) expect(ignored).toContain(p);
    for (const p of ['src', 'bin', 'flux', 'package.json', 'package-lock.json']) expect(ignored).not.toContain(p);
  });
});
