// The OpenAPI 3.1 description served at /openapi.json (and rendered into docs/http-api.md by `npm run docs`),
// generated from the route declarations (route.ts, routes.ts): their query-parameter, request-body and response
// schemas are the zod schemas the service validates with, so the document cannot drift from the code; each
// operation's `security` names the token it needs (src/docs/reference.test.ts checks it and the paths against the
// mounted routes).
import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { paramDocs, TAGS } from './params.js';
import type { BodyDecl, JsonSchema, ResponseDecl, Route, RouteAuth } from './route.js';
import { ROUTES } from './routes.js';

const errorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'one of the error codes' },
    message: {
      type: 'string',
      description: 'what went wrong, for people; an internal error says only "internal error"',
    },
    line: { type: 'integer', description: 'first bad line of a line-protocol body (1-based)' },
    errors: {
      type: 'array',
      description: 'each problem of a request body',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer', description: 'the record (0-based) of a JSON results body' },
          path: { type: 'string', description: 'the field, dotted, e.g. filter.region' },
          message: { type: 'string' },
          column: { type: 'integer', description: 'where the problem starts in a delete predicate (1-based)' },
        },
      },
    },
    parameter: { type: 'string', description: 'the query parameter at fault' },
    limit: { type: 'integer', description: '413: the largest body accepted, in bytes, after decompression' },
    written: { type: 'integer', description: '422: points written' },
    skipped: { type: 'integer', description: '422: points skipped' },
    skipped_measurements: {
      type: 'array',
      items: { type: 'string' },
      description: '422: up to 10 names of the measurements skipped',
    },
    minimum_history: { type: 'integer', description: 'a forecast with too little history: the buckets it needs' },
    found: { type: 'integer', description: 'a forecast with too little history: the buckets with data' },
    grafana_status: { type: 'integer', description: "provisioning: Grafana's HTTP status" },
  },
};

/** The token an operation needs (the security scheme's roles): any, one that may write, or none at all. */
const READ = [{ token: ['read'] }];
const WRITE = [{ token: ['write'] }];
const OPEN: never[] = [];

const SECURITY: Record<RouteAuth, typeof READ | typeof OPEN> = {
  none: OPEN,
  read: READ,
  'read-v1': READ,
  write: WRITE,
  'write-v1': WRITE,
};

/** A zod schema as JSON Schema: what a response holds (io output) or a request sends (io input). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    // An integer is an integer: the safe-integer bounds zod writes for every z.int() say nothing.
    override: ({ jsonSchema: s }) => {
      if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
      if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
    },
  });
  return rest;
}

function response(r: ResponseDecl): object {
  const content: Record<string, object> = {};
  if (r.error) content['application/json'] = { schema: { $ref: '#/components/schemas/Error' } };
  if (r.body) content['application/json'] = { schema: jsonSchema(r.body, 'output') };
  for (const [media, schema] of Object.entries(r.media ?? {})) content[media] = schema ? { schema } : {};
  return {
    description: r.description,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

function parameters(r: Route): object[] {
  const inPath = Object.entries(r.pathParams ?? {}).map(([name, p]) => ({
    name,
    in: 'path',
    required: true,
    ...(p.description ? { description: p.description } : {}),
    schema: p.schema,
  }));
  const inQuery = Object.entries(r.query?.shape ?? {}).map(([name, schema]) => {
    const doc = paramDocs.get(schema as z.ZodType);
    return {
      name: name === TAGS ? 'tag.{key}' : name,
      in: 'query',
      ...(doc?.required ? { required: true } : {}),
      ...(doc?.description ? { description: doc.description } : {}),
      schema: doc?.schema ?? { type: 'string' },
    };
  });
  return [...inPath, ...inQuery];
}

function requestBody(b: BodyDecl, schemas: Record<string, object>): object {
  if (!('schema' in b)) return { required: b.required, content: { [b.media]: { schema: b.json } } };
  const schema = jsonSchema(b.schema, 'input');
  if (b.name) schemas[b.name] = schema;
  return {
    required: b.required,
    content: { [b.media]: { schema: b.name ? { $ref: `#/components/schemas/${b.name}` } : schema } },
  };
}

/** A unique name for an operation, from its method and path: GET /api/v1/analysis/{kind} is getApiV1AnalysisByKind. */
export function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((w) => w !== '')
    .map((w) => (w.startsWith('{') ? `by-${w.slice(1, -1)}` : w));
  const camel = words
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  return `${method}${camel || 'Root'}`;
}

/** The paths of the declared routes, in their order; named request-body schemas go to `schemas`. */
function declaredPaths(
  routes: readonly Route[],
  schemas: Record<string, object>,
): Record<string, Record<string, object>> {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = parameters(r);
    paths[path] ??= {};
    paths[path][r.method] = {
      operationId: operationId(r.method, path),
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      security: SECURITY[r.auth],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(r.body ? { requestBody: requestBody(r.body, schemas) } : {}),
      responses: Object.fromEntries(Object.entries(r.responses).map(([status, d]) => [status, response(d)])),
    };
  }
  return paths;
}

/** GET /: the dashboard's static files (dashboard.ts, express.static), described beside the routes. */
const DASHBOARD = {
  get: {
    operationId: 'getDashboard',
    summary: 'The built-in dashboard (HTML)',
    security: OPEN,
    responses: { '200': { description: 'text/html' } },
  },
};

/** The document of the declared routes (and the dashboard). */
export function openApiDocument(version: string, routes: readonly Route[] = ROUTES): object {
  const schemas: Record<string, object> = { Error: errorSchema };
  const paths = declaredPaths(routes, schemas);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Resultant',
      version,
      description:
        'Test-result analytics: ingest, hourly/daily rollups and aggregates, analyses, forecasts, notifications, reports and charts. docs/http-api.md in the repository is generated from this document.',
    },
    // Relative: the service's own address, wherever this document was fetched from.
    servers: [{ url: '/', description: 'this service' }],
    components: {
      securitySchemes: {
        token: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            '"Token <t>" or "Bearer <t>"; /write and /query also take the token as the p query parameter or as the password of basic authentication, as InfluxDB 1.x clients send it. Roles: read (a token of RESULTANT_AUTH_TOKENS or RESULTANT_READ_TOKENS; none with RESULTANT_PUBLIC_READ=true) and write (a token of RESULTANT_AUTH_TOKENS). Without RESULTANT_AUTH_TOKENS no operation needs a token.',
        },
      },
      schemas,
    },
    security: READ,
    paths: { ...paths, '/': DASHBOARD },
  };
}
