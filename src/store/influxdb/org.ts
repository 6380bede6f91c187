// The organisation lookup that the bucket setup (index.ts) and the task installer (flux-tasks.ts) both need.
import type { InfluxDB } from '@influxdata/influxdb-client';
import { OrgsAPI } from '@influxdata/influxdb-client-apis';

/** The id of organisation `org` (INFLUX_ORG). */
export async function findOrgID(influx: InfluxDB, org: string): Promise<string> {
  const id = (await new OrgsAPI(influx).getOrgs({ org })).orgs?.[0]?.id;
  if (!id) throw new Error(`InfluxDB organisation ${JSON.stringify(org)} not found (INFLUX_ORG)`);
  return id;
}
