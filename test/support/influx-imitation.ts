// A loopback HTTP server that imitates the parts of InfluxDB 2's API the adapter and the task installer use
// (/api/v2/write, /api/v2/query, /api/v2/orgs, /api/v2/buckets, /api/v2/tasks), with scripted answers. It is an
// imitation written from the API reference, not InfluxDB: it checks what we send and how we react to answers.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** Milliseconds since the imitation started when the request had arrived completely. */
  at: number;
}

export type Handler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

export interface Task {
  id: string;
  orgID: string;
  name: string;
  flux: string;
  status: string;
  description?: string;
  lastRunStatus?: string;
  lastRunError?: string;
  latestCompleted?: string;
}

export class InfluxImitation {
  readonly requests: Recorded[] = [];
  /** Answers for /api/v2/write, used in order; when empty, 204. */
  readonly writeAnswers: Handler[] = [];
  /** Answer for /api/v2/query (default: an empty result). */
  queryAnswer: Handler = (_q, res) => csv(res, '');
  /** Consulted first for every request: return true when it answered (e.g. a 503 while "starting"). */
  intercept: (req: Recorded, res: ServerResponse) => boolean = () => false;
  readonly tasks: Task[] = [];
  readonly buckets: {
    id: string;
    orgID: string;
    name: string;
    retentionRules: { type: string; everySeconds: number }[];
  }[] = [];
  private server: Server | null = null;
  private readonly t0 = Date.now();
  private nextId = 1;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let buf = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
    const u = new URL(req.url ?? '/', 'http://x');
    const r: Recorded = {
      method: req.method ?? '',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: buf.toString('utf8'),
      at: Date.now() - this.t0,
    };
    this.requests.push(r);
    if (this.intercept(r, res)) return;
    if (req.headers.authorization !== 'Token test-token')
      return json(res, 401, { code: 'unauthorized', message: 'unauthorized access' });
    const id = (): string => (this.nextId++).toString(16).padStart(16, '0');
    try {
      if (r.path === '/api/v2/write' && r.method === 'POST') {
        const h = this.writeAnswers.shift();
        if (h) return await h(r, res);
        res.writeHead(204).end();
        return;
      }
      if (r.path === '/api/v2/query' && r.method === 'POST') return await this.queryAnswer(r, res);
      if (r.path === '/api/v2/orgs' && r.method === 'GET')
        return json(res, 200, { orgs: [{ id: 'org0000000000001', name: r.query.get('org') }] });
      if (r.path === '/api/v2/buckets' && r.method === 'GET') {
        return json(res, 200, { buckets: this.buckets.filter((b) => b.name === r.query.get('name')) });
      }
      if (r.path === '/api/v2/buckets' && r.method === 'POST') {
        const b = { id: id(), ...(JSON.parse(r.body) as Omit<InfluxImitation['buckets'][number], 'id'>) };
        this.buckets.push(b);
        return json(res, 201, b);
      }
      const bm = /^\/api\/v2\/buckets\/([^/]+)$/.exec(r.path);
      if (bm && r.method === 'PATCH') {
        const b = this.buckets.find((x) => x.id === bm[1]);
        if (!b) return json(res, 404, { code: 'not found', message: 'bucket not found' });
        Object.assign(b, JSON.parse(r.body));
        return json(res, 200, b);
      }
      if (r.path === '/api/v2/tasks' && r.method === 'GET') {
        const name = r.query.get('name');
        return json(res, 200, {
          tasks: this.tasks.filter((t) => (!name || t.name === name) && t.orgID === r.query.get('orgID')),
        });
      }
      if (r.path === '/api/v2/tasks' && r.method === 'POST') {
        const body = JSON.parse(r.body) as { orgID: string; flux: string; status?: string; description?: string };
        const name = /option task = \{name: "([^"]+)"/.exec(body.flux)?.[1];
        if (!name) return json(res, 400, { code: 'invalid', message: 'task must have a name option' });
        const t: Task = {
          id: id(),
          orgID: body.orgID,
          name,
          flux: body.flux,
          status: body.status ?? 'active',
          ...(body.description ? { description: body.description } : {}),
        };
        this.tasks.push(t);
        return json(res, 201, t);
      }
      const tm = /^\/api\/v2\/tasks\/([^/]+)$/.exec(r.path);
      if (tm && r.method === 'PATCH') {
        const t = this.tasks.find((x) => x.id === tm[1]);
        if (!t) return json(res, 404, { code: 'not found', message: 'task not found' });
        Object.assign(t, JSON.parse(r.body));
        return json(res, 200, t);
      }
      json(res, 404, { code: 'not found', message: `path not found: ${r.path}` });
    } catch (e) {
      json(res, 500, { code: 'internal error', message: String(e) });
    }
  }
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

export function csv(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' }).end(text);
}

/** One table of an annotated-CSV answer: its result (yield) name, columns and rows. */
export interface CsvTable {
  result: string;
  /** [name, datatype (string, long, double, boolean, dateTime:RFC3339), in the group key]. */
  columns: [string, string, boolean][];
  rows: (string | number | boolean | null)[][];
}

/**
 * InfluxDB's annotated CSV (docs.influxdata.com/influxdb/v2/reference/syntax/annotated-csv/) for `tables`: one
 * block per table with its #group, #datatype and #default annotations, blocks separated by an empty line, values
 * quoted as RFC 4180 wants (commas, quotes and line breaks inside error messages).
 */
export function annotatedCsv(tables: CsvTable[]): string {
  const cell = (v: string | number | boolean | null): string => {
    if (v === null) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return tables
    .map((t, i) => {
      const names = t.columns.map((c) => c[0]);
      return [
        `#group,false,false,${t.columns.map((c) => String(c[2])).join(',')}`,
        `#datatype,string,long,${t.columns.map((c) => c[1]).join(',')}`,
        `#default,${cell(t.result)},,${names.map(() => '').join(',')}`,
        `,result,table,${names.join(',')}`,
        ...t.rows.map((r) => `,,${i},${r.map(cell).join(',')}`),
      ].join('\r\n');
    })
    .join('\r\n\r\n');
}

/**
 * The table InfluxDB appends to a 200 answer when a query fails after some results were sent
 * (docs.influxdata.com/influxdb/v2/api/#operation/PostQuery: "error" and "reference" columns).
 */
export function errorTable(message: string, reference = ''): string {
  const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [
    '#datatype,string,string',
    '#group,true,true',
    '#default,,',
    ',error,reference',
    `,${cell(message)},${cell(reference)}`,
  ].join('\r\n');
}
