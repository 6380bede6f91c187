// The HTTP application: routers, one log line and metrics per request, and the one error middleware that maps
// error codes to statuses and hides the internals of 500s.

import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isCancelled, withCancellation } from '../cancellation.js';
import { AppError, codeToStatus, errorBody, isAppError } from '../errors.js';
import { WriteAdmission } from '../ingest/index.js';
import { createAuth } from './auth.js';
import { isClientAbort } from './body.js';
import { unknownChart } from './charts.js';
import { dashboardRouter } from './dashboard.js';
import type { AppDeps } from './deps.js';
import { openApiDocument } from './openapi.js';
import { mountRoutes } from './route.js';
import { ROUTES } from './routes.js';

export type { AppConfig, AppDeps } from './deps.js';
export { diskStatus, STORAGE_FULL_MESSAGE } from './service-routes.js';

/**
 * CORS for browser clients of the listed origins (RESULTANT_CORS_ORIGINS): their requests get the headers that let
 * the page read the answer, and preflights a 204; other origins get no CORS headers (the browser then refuses).
 */
function cors(origins: ReadonlySet<string>): express.RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || (!origins.has(origin) && !origins.has('*'))) return next();
    res.setHeader('Access-Control-Allow-Origin', origins.has('*') ? '*' : origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, Location, Content-Disposition');
    if (req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Content-Encoding, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Hashing every (possibly 25 MB) body for an ETag costs more than clients that never revalidate gain.
  app.set('etag', false);
  const auth = createAuth(deps.config.authTokens, deps.config.publicRead, deps.config.readTokens ?? []);
  const admission = new WriteAdmission(deps.queue, {
    maxBytes: deps.config.ingestMaxBytes ?? deps.config.maxBodyBytes,
  });

  // A client that disconnects before its answer is sent stops the request's work (cancellation.ts).
  app.use((_req, res, next) => {
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    withCancellation(gone.signal, next);
  });

  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.path);
      deps.metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      deps.metrics.latency.observe({ method: req.method, route }, seconds);
      // The path only: query strings may carry tokens (?p= on /write).
      deps.logger.info(
        { req_id: id, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 },
        'request',
      );
    });
    next();
  });

  const corsOrigins = new Set(deps.config.corsOrigins ?? []);
  if (corsOrigins.size > 0) app.use(cors(corsOrigins));

  const declared = express.Router();
  mountRoutes(declared, ROUTES, { deps, auth, admission, openapi: openApiDocument(deps.version) });
  app.use(declared);

  app.use(dashboardRouter());

  app.use((req, _res, next) => {
    const chart = /^\/api\/v1\/charts\/([^/]+)$/.exec(req.path);
    next(chart ? unknownChart(chart[1]!) : new AppError('not found', `no route for ${req.method} ${req.path}`));
  });

  // Express recognises error middleware by its four parameters.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let e: AppError;
    if (isAppError(err)) e = err;
    else if (isCancelled(err)) {
      deps.metrics.requestsCancelled.inc();
      deps.logger.info({ path: req.path }, 'request stopped: the client went away');
      res.destroy();
      return;
    } else if (isClientAbort(err)) {
      res.status(400).end();
      return;
    } else {
      deps.logger.error({ err, path: req.path }, 'unhandled error');
      e = new AppError('internal error', 'internal error');
    }
    if (e.retryAfter !== undefined) res.setHeader('Retry-After', String(e.retryAfter));
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(codeToStatus(e.code)).json(errorBody(e));
  });
  return app;
}
