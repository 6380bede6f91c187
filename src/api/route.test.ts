// The mount function reads and checks a JSON body declared with `read` before the handler: the handler gets the
// parsed value, and a bad body never reaches it (a 400 in the route's words listing every problem, a 413 past the
// size bound, a 415 for another media type). A real express app on loopback, no service around it.
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError, codeToStatus, errorBody, isAppError } from '../errors.js';
import { mountRoutes, type RouteEnv, route } from './route.js';

const Body = z.strictObject({
  name: z.string().min(1),
  tries: z.int().min(1).max(5).default(3),
  tags: z.record(z.string(), z.string()).optional(),
});

const seen: unknown[] = [];
const routes = [
  route({
    method: 'post',
    path: '/things',
    auth: 'none',
    summary: 'a thing',
    body: {
      media: 'application/json',
      schema: Body,
      required: true,
      read: {
        maxBytes: 200,
        emptyAs: { name: 'default' },
        refusal: (errors) => `invalid thing: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      },
    },
    responses: { '200': { description: 'the thing', body: Body } },
    handler({ res, body }) {
      seen.push(body);
      res.json(body);
    },
  }),
];

let base = '';
let close: () => void = () => undefined;

beforeAll(async () => {
  const app = express();
  const router = express.Router();
  mountRoutes(router, routes, {} as RouteEnv); // no route here checks a token or uses the service
  app.use(router);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = isAppError(err) ? err : new AppError('internal error', 'internal error');
    res.status(codeToStatus(e.code)).json(errorBody(e));
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

const post = (body: string, type = 'application/json') =>
  fetch(`${base}/things`, { method: 'POST', headers: { 'Content-Type': type }, body });

describe('a JSON body declared with read', () => {
  it('reaches the handler parsed, defaults applied; a blank body stands for emptyAs', async () => {
    seen.length = 0;
    const res = await post(JSON.stringify({ name: 'a' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'a', tries: 3 });
    expect(await (await post('  ')).json()).toEqual({ name: 'default', tries: 3 });
    expect(seen).toEqual([
      { name: 'a', tries: 3 },
      { name: 'default', tries: 3 },
    ]);
  });

  it('is refused before the handler: every problem listed at its path, unknown fields by name', async () => {
    seen.length = 0;
    const res = await post(JSON.stringify({ name: '', tries: 9, tags: { a: 1 }, colour: 'red', size: 2 }));
    expect(res.status).toBe(400);
    const b = (await res.json()) as { code: string; message: string; errors: { path: string; message: string }[] };
    expect(b.code).toBe('invalid');
    expect(b.errors.map((e) => e.path).sort()).toEqual(['colour', 'name', 'size', 'tags.a', 'tries']);
    expect(b.message).toMatch(/^invalid thing: /);
    for (const e of b.errors) expect(b.message).toContain(`${e.path}: ${e.message}`);
    expect((await post('[1, 2]')).status).toBe(400);
    expect((await post('{"name": ')).status).toBe(400);
    expect((await post(JSON.stringify({ name: 'x'.repeat(300) }))).status).toBe(413);
    expect((await post('{"name":"a"}', 'text/plain')).status).toBe(415);
    expect(seen).toEqual([]);
  });
});
