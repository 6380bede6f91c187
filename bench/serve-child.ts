// The service in its own process for bench/ingest.ts: prints its URL, and its peak RSS when told to stop.
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startServer } from '../src/main.js';
import { rssSampler } from './common.js';

const config = loadConfig({ ...process.env, RESULTANT_PORT: '0', RESULTANT_LOG_LEVEL: 'warn' });
const rss = rssSampler();
const running = await startServer(config, createLogger('warn'));
process.stdout.write(`URL ${running.url}\n`);
process.on('SIGTERM', () => {
  void running.stop().then(() => {
    process.stdout.write(`PEAK_RSS_MB ${rss.stop()}\n`);
    process.exit(0);
  });
});
