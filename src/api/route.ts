// Routes declared once: method, path, token, words, query-parameter schema, request and response schemas, handler.
// mountRoutes() mounts the declarations (token check, query validation, handler): the query is parsed with the
// route's zod schema by parseQuery (params.ts), whose first problem is the 400 `parameter "<name>" <problem>` with
// `parameter` in the body. A JSON body declared with `read` is read (within its size bound) and parsed with the declared
// schema here too, its problems a 400 in the API's own words with every one listed in `errors`; other bodies (line
// protocol, streamed JSON writes) are read by their handlers. openapi.ts describes the same declarations, so the
// document and the service cannot disagree; routes.test.ts checks real answers against the declared response schemas.
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { type BodyError, checkBody } from '../errors.js';
import type { WriteAdmission } from '../ingest/index.js';
import type { Auth } from './auth.js';
import { readJson } from './body.js';
import type { AppDeps } from './deps.js';
import { parseQuery } from './params.js';

/** The token a route checks: none, any, one that may write; the -v1 kinds also take InfluxDB 1.x's ?p= and basic auth. */
export type RouteAuth = 'none' | 'read' | 'write' | 'read-v1' | 'write-v1';

export type Method = 'get' | 'head' | 'post' | 'delete';

/** A JSON Schema written out (for what zod does not describe: line protocol, path patterns, headers). */
export type JsonSchema = Record<string, unknown>;

/** One possible answer: a JSON body described by a zod schema, an error body, or other media types. */
export interface ResponseDecl {
  description: string;
  /** The JSON body (application/json). */
  body?: z.ZodType;
  /** The body is the error object of errors.ts (components/schemas/Error). */
  error?: true;
  /** Media types of a body that is not (only) JSON, each with its schema if it has one. */
  media?: Record<string, JsonSchema | null>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

/** The error answer of a status (errors.ts): a description and the Error body. */
export const errorResponse = (description: string): ResponseDecl => ({ description, error: true });

/**
 * How the mount function reads a JSON body before the handler: its size bound (a 413 beyond it), what a body of
 * only whitespace stands for (all defaults; without it such a body is a 400), and the 400's message from the
 * problems the schema found (each API keeps its own words; `errors` lists every problem with its path).
 */
export interface JsonBodyRead {
  maxBytes: number;
  emptyAs?: unknown;
  refusal(errors: BodyError[]): string;
}

/**
 * What a request body holds: JSON described by a zod schema (read and parsed before the handler when `read` is
 * given), or another media type described in JSON Schema and read by the handler.
 */
export type BodyDecl<B extends z.ZodType = z.ZodType> =
  | { media: 'application/json'; schema: B; required: boolean; name?: string; read?: JsonBodyRead }
  | { media: string; json: JsonSchema; required: boolean };

/**
 * What a handler is given: the request and response, the validated query, the parsed body (for a body declared
 * with `read`; otherwise undefined, and the handler reads the request itself), and what the routes serve from.
 */
export interface RouteContext<Q extends z.ZodObject, B extends z.ZodType = z.ZodUnknown> {
  req: Request;
  res: Response;
  query: z.output<Q>;
  body: z.output<B>;
  env: RouteEnv;
}

/** What the application gives every route (app.ts builds it once). */
export interface RouteEnv {
  deps: AppDeps;
  auth: Auth;
  admission: WriteAdmission;
  /** The OpenAPI document the service serves. */
  openapi: object;
}

export interface RouteDecl<Q extends z.ZodObject, B extends z.ZodType = z.ZodUnknown> {
  method: Method;
  /** Express syntax (`:id`); the document writes `{id}`. */
  path: string;
  auth: RouteAuth;
  summary: string;
  description?: string;
  /** Path parameters, for the document (the handler checks them: a bad one may be a 404 rather than a 400). */
  pathParams?: Record<string, { description?: string; schema: JsonSchema }>;
  /** The query parameters; any other is refused with a 400 unless `otherParameters` is 'allowed'. */
  query?: Q;
  /** 'allowed': other parameters are the handler's (InfluxDB's write and delete APIs, analysis options). */
  otherParameters?: 'refused' | 'allowed';
  body?: BodyDecl<B>;
  responses: Record<string, ResponseDecl>;
  /** Middleware run after the token check, before the query is validated (e.g. collectAfter). */
  before?: (env: RouteEnv) => RequestHandler[];
  handler(ctx: RouteContext<Q, B>): Promise<void> | void;
}

/** A declaration with its handler bound to its query schema: what mountRoutes and the document take. */
export interface Route extends Omit<RouteDecl<z.ZodObject, z.ZodType>, 'handler'> {
  handle(req: Request, res: Response, env: RouteEnv): Promise<void> | void;
}

/**
 * Declares a route; the handler's `query` and `body` have the types of the declared schemas' outputs. The query is
 * checked first, then a body declared with `read` is read and parsed.
 */
export function route<Q extends z.ZodObject = typeof NO_PARAMETERS, B extends z.ZodType = z.ZodUnknown>(
  decl: RouteDecl<Q, B>,
): Route {
  const { handler, ...rest } = decl;
  const schema = (decl.query ?? NO_PARAMETERS) as Q;
  const body = decl.body && 'schema' in decl.body && decl.body.read ? { ...decl.body, read: decl.body.read } : null;
  return {
    ...rest,
    handle: async (req, res, env) => {
      const query = parseQuery(schema, req.query, decl.otherParameters !== 'allowed');
      const parsed = body
        ? checkBody(body.schema, await readJson(req, body.read.maxBytes, body.read.emptyAs), body.read.refusal)
        : undefined;
      return handler({ req, res, env, query, body: parsed as z.output<B> });
    },
  };
}

/** The query schema of a route that takes no parameters. */
const NO_PARAMETERS = z.object({});

/** Mounts routes on a router: the token check, the route's own middleware, then validation and the handler. */
export function mountRoutes(router: Router, routes: readonly Route[], env: RouteEnv): void {
  for (const r of routes) {
    const checks: RequestHandler[] =
      r.auth === 'none'
        ? []
        : [env.auth.require(r.auth.startsWith('read') ? 'read' : 'write', { v1: r.auth.endsWith('-v1') })];
    router[r.method](r.path, ...checks, ...(r.before?.(env) ?? []), (req: Request, res: Response) =>
      r.handle(req, res, env),
    );
  }
}
