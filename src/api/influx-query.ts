// InfluxDB 1.x's /query (declared as routes, route.ts), for what clients send when they start: InfluxDB client libraries and
// Telegraf's influxdb output ask SHOW DATABASES or CREATE DATABASE before they write. Those (and SHOW RETENTION
// POLICIES, SHOW MEASUREMENTS) are answered as InfluxDB 1.x answers them; the service keeps no databases, so every
// name is accepted and writes go to the one store whatever their `db`. Any other statement is a 400 that points to
// the API that reads data. Answers use InfluxDB's shape ({"results": [...]}, {"error": "..."}), which clients parse.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { readBody } from './body.js';
import { described } from './params.js';
import { errorResponse, type Route, type RouteEnv, route } from './route.js';

/** The database name SHOW DATABASES lists. */
export const DATABASE_NAME = 'resultant';
const MAX_QUERY_CHARS = 10_000;

type StatementResult = { series?: { name?: string; columns: string[]; values: unknown[][] }[] };

const NAME = String.raw`(?:"(?:[^"\\]|\\.)+"|[A-Za-z_][\w.-]*)`;
const STATEMENTS: [RegExp, () => StatementResult][] = [
  [/^SHOW\s+DATABASES$/i, () => ({ series: [{ name: 'databases', columns: ['name'], values: [[DATABASE_NAME]] }] })],
  [new RegExp(String.raw`^CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?${NAME}(?:\s+WITH\s+.*)?$`, 'is'), () => ({})],
  [
    new RegExp(String.raw`^SHOW\s+RETENTION\s+POLICIES(?:\s+ON\s+${NAME})?$`, 'i'),
    () => ({
      series: [
        {
          columns: ['name', 'duration', 'shardGroupDuration', 'replicaN', 'default'],
          values: [['autogen', '0s', '168h0m0s', 1, true]],
        },
      ],
    }),
  ],
  [
    new RegExp(String.raw`^SHOW\s+MEASUREMENTS(?:\s+ON\s+${NAME})?$`, 'i'),
    () => ({ series: [{ name: 'measurements', columns: ['name'], values: [['circuit_breaker'], ['test_result']] }] }),
  ],
];

const UNSUPPORTED =
  'Resultant answers SHOW DATABASES, CREATE DATABASE, SHOW RETENTION POLICIES and SHOW MEASUREMENTS on /query (what clients send at start); read data with GET /api/v1/aggregates (statistics per bucket) or GET /api/v1/results (raw results)';

/** Statements split at semicolons outside double quotes, trimmed, empty ones left out. */
export function splitStatements(q: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (c === '\\' && quoted && i + 1 < q.length) {
      cur += c + q[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The answer to `q`, or the error of the first statement not understood. */
export function answerQuery(q: string, allowWrite: boolean): { status: number; body: unknown } {
  const statements = splitStatements(q);
  if (statements.length === 0) return { status: 400, body: { error: 'missing required parameter "q"' } };
  const results: unknown[] = [];
  for (const [i, st] of statements.entries()) {
    const found = STATEMENTS.find(([re]) => re.test(st));
    if (!found) return { status: 400, body: { error: `statement ${i + 1} is not supported: ${UNSUPPORTED}` } };
    if (!allowWrite && /^CREATE/i.test(st)) {
      return { status: 405, body: { error: `statement ${i + 1}: CREATE DATABASE must be sent with POST` } };
    }
    results.push({ statement_id: i, ...found[1]() });
  }
  return { status: 200, body: { results } };
}

/** Answers /query: the statements of `q` (or, for a POST, of a form body). */
const answer = (post: boolean) => async (req: Request, res: Response, env: RouteEnv) => {
  let q = typeof req.query.q === 'string' ? req.query.q : undefined;
  if (post && q === undefined && /application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
    const body = (await readBody(req, MAX_QUERY_CHARS * 4)).toString('utf8');
    q = new URLSearchParams(body).get('q') ?? undefined;
  }
  if (q === undefined || q.trim() === '') {
    res.status(400).json({ error: 'missing required parameter "q"' });
    return;
  }
  if (q.length > MAX_QUERY_CHARS) {
    res.status(400).json({ error: `parameter "q" is longer than ${MAX_QUERY_CHARS} characters` });
    return;
  }
  const a = answerQuery(q, post);
  res.setHeader('X-Influxdb-Version', `resultant-${env.deps.version}`);
  res.status(a.status).json(a.body);
};

/** InfluxDB 1.x's answers: results per statement, or an error. */
const Results = z.object({
  results: z.array(
    z.object({
      statement_id: z.number().int(),
      series: z
        .array(
          z.object({
            name: z.string().optional(),
            columns: z.array(z.string()),
            values: z.array(z.array(z.union([z.string(), z.number(), z.boolean()]))),
          }),
        )
        .optional(),
    }),
  ),
});
const InfluxError = z.object({ error: z.string() });
const token = described('token (InfluxDB 1.x clients)');

export const influxQueryRoutes: Route[] = [
  route({
    method: 'get',
    path: '/query',
    auth: 'read-v1',
    summary: 'InfluxDB 1.x start-up statements: SHOW DATABASES, SHOW RETENTION POLICIES, SHOW MEASUREMENTS',
    // The handler answers a missing q in InfluxDB's words ({"error": ...}).
    query: z.object({
      q: described('InfluxQL statements separated by ;', true),
      db: described('accepted and ignored'),
      p: token,
    }),
    otherParameters: 'allowed',
    responses: {
      '200': { description: 'as InfluxDB 1.x answers', body: Results },
      '400': { description: 'any other statement; read data with /api/v1/aggregates', body: InfluxError },
      '401': errorResponse('token missing or invalid'),
      '405': { description: 'CREATE DATABASE sent with GET', body: InfluxError },
    },
    handler: ({ req, res, env }) => answer(false)(req, res, env),
  }),
  route({
    method: 'post',
    path: '/query',
    auth: 'write-v1',
    summary: 'The same, and CREATE DATABASE (accepted; the service keeps one store)',
    query: z.object({ q: described('InfluxQL statements separated by ; (or in a form body)'), p: token }),
    otherParameters: 'allowed',
    responses: {
      '200': { description: 'as InfluxDB 1.x answers', body: Results },
      '400': { description: 'a statement not answered here', body: InfluxError },
      '401': errorResponse('token missing or invalid'),
      '403': errorResponse('a read-only token'),
    },
    handler: ({ req, res, env }) => answer(true)(req, res, env),
  }),
];
