// The Store contract suite (test/support/store-contract.ts) against a real InfluxDB 2: the server at INFLUX_URL
// (with INFLUX_TOKEN and INFLUX_ORG) when set, else a pinned influxdb:2.7 container through testcontainers when a
// Docker engine is reachable, else the suite is SKIPPED, and says so loudly: a skipped test named with the reason
// shows in every run and a warning is printed. It never passes without having run. `npm run test:influx`.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BucketsAPI, OrgsAPI } from '@influxdata/influxdb-client-apis';
import { afterAll, describe, it } from 'vitest';
import { runStoreContract } from '../../../test/support/store-contract.js';
import { InfluxStore } from './index.js';

const IMAGE = 'influxdb:2.7';

interface Target {
  url: string;
  token: string;
  org: string;
  stop?: () => Promise<void>;
}

function dockerSocket(): string | null {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  for (const p of ['/var/run/docker.sock', join(homedir(), '.docker/run/docker.sock')]) if (existsSync(p)) return p;
  return null;
}

async function resolveTarget(): Promise<Target | { skip: string } | { fail: string }> {
  const { INFLUX_URL: url, INFLUX_TOKEN: token, INFLUX_ORG: org } = process.env;
  if (url) {
    // Asked for a server but cannot use it: a failure, not a skip.
    if (!token || !org) return { fail: 'INFLUX_URL is set but INFLUX_TOKEN or INFLUX_ORG is missing' };
    return { url, token, org };
  }
  const docker = dockerSocket();
  if (!docker) return { skip: 'no INFLUX_URL and no Docker engine' };
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const token = `contract-${randomUUID()}`;
    const c = await new GenericContainer(IMAGE)
      .withEnvironment({
        DOCKER_INFLUXDB_INIT_MODE: 'setup',
        DOCKER_INFLUXDB_INIT_USERNAME: 'contract',
        DOCKER_INFLUXDB_INIT_PASSWORD: `pw-${randomUUID()}`,
        DOCKER_INFLUXDB_INIT_ORG: 'contract',
        DOCKER_INFLUXDB_INIT_BUCKET: 'contract',
        DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
      })
      .withExposedPorts(8086)
      .withWaitStrategy(Wait.forHttp('/health', 8086).forStatusCode(200))
      .start();
    return {
      url: `http://${c.getHost()}:${c.getMappedPort(8086)}`,
      token,
      org: 'contract',
      stop: async () => void (await c.stop()),
    };
  } catch (e) {
    return {
      skip: `a Docker engine looked reachable (${docker}) but starting ${IMAGE} failed: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

const target = await resolveTarget();

if ('fail' in target) {
  const reason = target.fail;
  describe('InfluxDB contract suite', () => {
    it(`cannot run: ${reason}`, () => {
      throw new Error(reason);
    });
  });
} else if ('skip' in target) {
  const reason = target.skip;
  console.warn(`\n*** InfluxDB contract suite SKIPPED: ${reason}. Nothing was run against a real InfluxDB. ***\n`);
  describe(`InfluxDB contract suite — skipped: ${reason}`, () => {
    it.skip(`InfluxDB contract suite — skipped: ${reason}`, () => undefined);
  });
} else {
  const created: string[] = [];
  afterAll(async () => {
    // Remove the buckets the suite made (each store got its own), then the container if we started one.
    const probe = await InfluxStore.open({
      url: target.url,
      token: target.token,
      org: target.org,
      bucket: 'contract_cleanup_probe',
      timezone: 'UTC',
      retention: { rawDays: 0, hourlyDays: 0, dailyDays: 0 },
      setupBuckets: false,
    });
    const orgID = (await new OrgsAPI(probe.influx).getOrgs({ org: target.org })).orgs?.[0]?.id;
    const api = new BucketsAPI(probe.influx);
    for (const name of created) {
      const b = (await api.getBuckets({ orgID: orgID!, name })).buckets?.[0];
      if (b?.id) await api.deleteBucketsID({ bucketID: b.id });
    }
    await probe.close();
    await target.stop?.();
  }, 120_000);
  describe(`InfluxDB contract suite (${target.url})`, () => {
    runStoreContract({
      retention: 'bucket',
      newStore: async ({ timezone }) => {
        const bucket = `resultant_contract_${randomUUID().slice(0, 8)}`;
        created.push(bucket, `${bucket}_hourly`, `${bucket}_daily`);
        // Infinite retention: the suite writes data months in the past and in the near future.
        return InfluxStore.open({
          url: target.url,
          token: target.token,
          org: target.org,
          bucket,
          timezone,
          retention: { rawDays: 0, hourlyDays: 0, dailyDays: 0 },
        });
      },
    });
  });
}
