// `resultant demo`: writes the demo fleet's history (and with --follow keeps it live, minute by minute).
import { DemoFleet } from '../demo/generate.js';
import { progress, type Sink } from './common.js';

const MINUTE = 60_000;

export interface DemoRun {
  days: number;
  seed: number;
  endpoints: number;
  regions: number;
  workersPerRegion: number;
  follow: boolean;
  now: number;
  log: (line: string) => void;
}

export async function runDemo(o: DemoRun, sink: Sink): Promise<{ points: number; fleet: DemoFleet }> {
  const stop = Math.floor(o.now / MINUTE) * MINUTE;
  const start = stop - Math.round(o.days * 1440) * MINUTE;
  const fleet = new DemoFleet({
    start,
    stop,
    seed: o.seed,
    endpoints: o.endpoints,
    regions: o.regions,
    workersPerRegion: o.workersPerRegion,
  });
  o.log(
    `demo fleet: ${fleet.endpoints.length} endpoints, ${fleet.regions.length} regions, ${fleet.workers.length} workers, ` +
      `${new Date(start).toISOString()} to ${new Date(stop).toISOString()}, into ${sink.describe}`,
  );
  for (const inc of fleet.incidents) {
    o.log(
      `  incident: ${inc.kind}: ${inc.description} (${new Date(inc.start).toISOString()} .. ${new Date(inc.stop).toISOString()})`,
    );
  }
  const minutes = (stop - start) / MINUTE;
  const bar = progress(minutes, 'demo');
  let points = 0;
  let buf: string[] = [];
  for (let i = 0; i < minutes; i++) {
    buf.push(...fleet.minute(start + i * MINUTE));
    if (buf.length >= 5000) {
      await sink.lineProtocol(buf, 1);
      points += buf.length;
      buf = [];
      bar.update(i + 1);
    }
  }
  if (buf.length) {
    await sink.lineProtocol(buf, 1);
    points += buf.length;
  }
  bar.stop();
  o.log(`wrote ${points} points`);
  if (o.follow) {
    o.log('following: one minute of fleet data every minute; Ctrl-C stops');
    let t = stop;
    for (;;) {
      const wait = t + MINUTE - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const lines = fleet.minute(t);
      await sink.lineProtocol(lines, 1);
      points += lines.length;
      t += MINUTE;
    }
  }
  return { points, fleet };
}
