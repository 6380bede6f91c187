// A stand-in for Grafana's HTTP API on a loopback port, written from Grafana's API documentation (folders,
// dashboards by uid, POST /api/dashboards/db with its 401/404/412 answers), for testing provisioning without a
// Grafana server. It keeps what it is sent, so tests can check the end state and count the writes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface StoredDashboard {
  dashboard: Record<string, unknown>;
  folderUid: string;
  version: number;
}

export interface FakeGrafana {
  url: string;
  token: string;
  dashboards: Map<string, StoredDashboard>;
  folders: Map<string, string>;
  requests: { method: string; path: string; auth: string | undefined }[];
  /** Answer every POST /api/dashboards/db with this status and body instead of saving. */
  forceSave: { status: number; body: unknown } | null;
  /** Never answer (for timeouts). */
  hang: boolean;
  close(): Promise<void>;
}

export async function startFakeGrafana(token = 'glsa_test_token'): Promise<FakeGrafana> {
  const fake: Omit<FakeGrafana, 'url' | 'close'> = {
    token,
    dashboards: new Map(),
    folders: new Map(),
    requests: [],
    forceSave: null,
    hang: false,
  };
  let nextId = 1;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    fake.requests.push({ method: req.method ?? '', path, auth: req.headers.authorization });
    if (fake.hang) return; // the socket stays open without an answer
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    if (req.headers.authorization !== `Bearer ${fake.token}`) return send(res, 401, { message: 'Unauthorized' });
    const folder = /^\/api\/folders\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && folder) {
      const title = fake.folders.get(folder[1]!);
      return title ? send(res, 200, { uid: folder[1], title }) : send(res, 404, { message: 'folder not found' });
    }
    if (req.method === 'POST' && path === '/api/folders') {
      const b = JSON.parse(raw) as { uid: string; title: string };
      if (fake.folders.has(b.uid)) return send(res, 409, { message: 'a folder with the same uid already exists' });
      fake.folders.set(b.uid, b.title);
      return send(res, 200, { uid: b.uid, title: b.title });
    }
    const byUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && byUid) {
      const d = fake.dashboards.get(decodeURIComponent(byUid[1]!));
      if (!d) return send(res, 404, { message: 'Dashboard not found' });
      return send(res, 200, {
        dashboard: { ...d.dashboard, version: d.version },
        meta: { folderUid: d.folderUid, url: `/d/${String(d.dashboard.uid)}`, provisioned: false },
      });
    }
    if (req.method === 'POST' && path === '/api/dashboards/db') {
      if (fake.forceSave) return send(res, fake.forceSave.status, fake.forceSave.body);
      const b = JSON.parse(raw) as { dashboard: Record<string, unknown>; folderUid?: string; overwrite?: boolean };
      const uid = String(b.dashboard.uid);
      const folderUid = b.folderUid ?? '';
      if (b.folderUid && !fake.folders.has(b.folderUid)) return send(res, 400, { message: 'folder not found' });
      for (const [otherUid, d] of fake.dashboards) {
        if (otherUid !== uid && d.folderUid === folderUid && d.dashboard.title === b.dashboard.title) {
          return send(res, 412, {
            status: 'name-exists',
            message: 'A dashboard with the same name in the folder already exists',
          });
        }
      }
      const existing = fake.dashboards.get(uid);
      if (existing && !b.overwrite && b.dashboard.version !== existing.version) {
        return send(res, 412, {
          status: 'version-mismatch',
          message: 'The dashboard has been changed by someone else',
        });
      }
      const version = (existing?.version ?? 0) + 1;
      const { version: _v, ...rest } = b.dashboard;
      fake.dashboards.set(uid, { dashboard: { ...rest, id: nextId++ }, folderUid, version });
      return send(res, 200, { id: nextId, uid, url: `/d/${uid}/x`, status: 'success', version, slug: 'x' });
    }
    return send(res, 404, { message: 'Not found' });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { message: 'fake failed' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
}
