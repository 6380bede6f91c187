// The logger port: what the service needs from a logger. pino satisfies it; tests can pass a silent one.
import { pino } from 'pino';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'resultant' },
    // Never log credentials, even if a caller passes request headers by mistake.
    redact: ['headers.authorization', 'authorization', 'token', '*.token'],
  });
}

export const silentLogger: Logger = createLogger('silent');
