// Composition root: configuration once, the store adapter and the service's own state, the service (service.ts)
// served on the configured port.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { buildService, serviceSettings } from './service.js';
import { openServiceState, openStore } from './store/index.js';

/** The package version, read from package.json (found from src/ when run by tsx/vitest, dist/src/ when built). */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'resultant') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
})();

export interface Running {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const store = await openStore(config, logger);
  const state = await openServiceState(config, store, logger);
  const service = buildService(serviceSettings(config), {
    store,
    state,
    clock,
    logger,
    version: VERSION,
    deliver: { allowedHosts: config.webhookHosts },
  });
  if (config.authTokens.length === 0) {
    logger.warn(
      'no RESULTANT_AUTH_TOKENS configured: the service accepts writes and reads from anyone who can reach it',
    );
  }
  service.start();
  const server = await new Promise<Server>((resolve, reject) => {
    const s = service.app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  // Bounded bodies are enforced while reading; this bounds slow clients that never finish sending.
  server.requestTimeout = 120_000;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, store: config.store, db: config.dbPath, tz: config.timezone }, 'listening');
  let stopping: Promise<void> | null = null;
  return {
    server,
    url,
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await service.stop();
      })()),
  };
}
