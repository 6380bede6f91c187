// Pushes the dashboards to a running Grafana through its HTTP API (POST /api/dashboards/db, overwrite: true,
// fixed uids), into a fixed folder. Idempotent: a dashboard Grafana already holds unchanged is left alone, so
// repeated runs neither fail nor pile up versions. Every failure becomes an AppError whose message says what to fix.
import { AppError } from '../errors.js';
import type { Dashboard, DashboardFile } from './model.js';

export const FOLDER = { uid: 'resultant', title: 'Resultant' } as const;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Grafana answers are small JSON documents; a larger one is not Grafana. */
const MAX_RESPONSE_BYTES = 5_000_000;

export interface GrafanaTarget {
  url: string;
  token: string;
  timeoutMs?: number;
}

export interface ProvisionedDashboard {
  uid: string;
  title: string;
  file: string;
  result: 'created' | 'updated' | 'unchanged';
  version: number | null;
  url: string | null;
}

interface Answer {
  status: number;
  body: unknown;
}

export async function provisionDashboards(
  target: GrafanaTarget,
  files: DashboardFile[],
): Promise<ProvisionedDashboard[]> {
  const grafana = new GrafanaClient(target);
  await grafana.ensureFolder();
  const done: ProvisionedDashboard[] = [];
  for (const f of files) {
    try {
      done.push(await grafana.pushDashboard(f));
    } catch (e) {
      // Say which dashboards made it before the failure, so a retry is not a guess.
      if (e instanceof AppError)
        throw new AppError(e.code, e.message, { ...e.details, provisioned: done }, e.retryAfter);
      throw e;
    }
  }
  return done;
}

class GrafanaClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly target: GrafanaTarget) {
    // GRAFANA_URL may carry a sub path (root_url behind a proxy): keep it, drop a trailing slash.
    this.base = target.url.replace(/\/+$/, '');
    this.timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async ensureFolder(): Promise<void> {
    const got = await this.call('GET', `/api/folders/${FOLDER.uid}`);
    if (got.status === 200) return;
    if (got.status !== 404) this.fail(got, `reading folder "${FOLDER.uid}"`);
    const made = await this.call('POST', '/api/folders', { uid: FOLDER.uid, title: FOLDER.title });
    // 409/412: created meanwhile by someone else, which is what we wanted.
    if (made.status === 200 || made.status === 409 || made.status === 412) return;
    this.fail(made, `creating folder "${FOLDER.title}"`);
  }

  async pushDashboard(f: DashboardFile): Promise<ProvisionedDashboard> {
    const d = f.dashboard;
    const current = await this.call('GET', `/api/dashboards/uid/${encodeURIComponent(d.uid)}`);
    if (current.status !== 200 && current.status !== 404) this.fail(current, `reading dashboard "${d.uid}"`);
    const existing = current.status === 200 ? asRecord(current.body) : null;
    if (
      existing &&
      sameDashboard(asRecord(existing.dashboard), d) &&
      asRecord(existing.meta).folderUid === FOLDER.uid
    ) {
      const stored = asRecord(existing.dashboard);
      return {
        uid: d.uid,
        title: d.title,
        file: f.file,
        result: 'unchanged',
        version: typeof stored.version === 'number' ? stored.version : null,
        url: typeof asRecord(existing.meta).url === 'string' ? (asRecord(existing.meta).url as string) : null,
      };
    }
    const saved = await this.call('POST', '/api/dashboards/db', {
      // id null + a fixed uid: Grafana matches on the uid, so the dashboard keeps its URL across pushes.
      dashboard: { ...d, id: null },
      folderUid: FOLDER.uid,
      overwrite: true,
      message: 'provisioned by Resultant',
    });
    if (saved.status !== 200) this.fail(saved, `saving dashboard "${d.uid}" (${d.title})`);
    const body = asRecord(saved.body);
    return {
      uid: d.uid,
      title: d.title,
      file: f.file,
      result: existing ? 'updated' : 'created',
      version: typeof body.version === 'number' ? body.version : null,
      url: typeof body.url === 'string' ? body.url : null,
    };
  }

  private async call(method: 'GET' | 'POST', path: string, json?: unknown): Promise<Answer> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.target.token}`,
          Accept: 'application/json',
          ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (e) {
      throw networkError(this.base, this.timeoutMs, e);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw networkError(this.base, this.timeoutMs, e);
    }
    if (text.length > MAX_RESPONSE_BYTES) {
      throw new AppError('unavailable', `the answer from ${this.base}${path} is too large to be Grafana's`, {
        grafana_status: res.status,
      });
    }
    let body: unknown = null;
    try {
      body = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body };
  }

  private fail(a: Answer, doing: string): never {
    const said = asRecord(a.body);
    const detail = typeof said.message === 'string' ? `: ${said.message.slice(0, 300)}` : '';
    const details = {
      grafana_status: a.status,
      ...(typeof said.status === 'string' ? { grafana_reason: said.status } : {}),
    };
    const where = `Grafana at ${this.base}`;
    let message: string;
    switch (a.status) {
      case 401:
        message = `${where} rejected GRAFANA_TOKEN (401 Unauthorized) while ${doing}: set GRAFANA_TOKEN to a valid service account token`;
        break;
      case 403:
        message = `${where} refused ${doing} (403 Forbidden): the service account of GRAFANA_TOKEN needs the Editor role (or write access to folder "${FOLDER.title}")`;
        break;
      case 404:
        message = `${where} answered 404 Not Found while ${doing}: check that GRAFANA_URL is Grafana's root URL (including any sub path)${detail}`;
        break;
      case 412: {
        const reason = typeof said.status === 'string' ? said.status : 'precondition failed';
        const hint =
          reason === 'name-exists'
            ? `another dashboard in folder "${FOLDER.title}" already has this title with a different uid: rename or delete it`
            : reason === 'version-mismatch'
              ? 'the dashboard was changed in Grafana at the same time: run the provisioning again'
              : reason === 'plugin-dashboard'
                ? 'a plugin owns a dashboard with this uid'
                : 'Grafana refused the change';
        message = `${where} refused ${doing} (412 ${reason}): ${hint}${detail}`;
        break;
      }
      default:
        message = `${where} answered ${a.status} while ${doing}${detail}`;
    }
    // No Retry-After: a wrong token, URL or a conflict does not heal by waiting.
    throw new AppError('unavailable', message, details);
  }
}

function networkError(base: string, timeoutMs: number, e: unknown): AppError {
  const name = (e as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new AppError('unavailable', `Grafana at ${base} did not answer within ${timeoutMs / 1000} s`, {}, 5);
  }
  // undici puts the system error (ECONNREFUSED, ENOTFOUND, ...) in cause.
  const cause = (e as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (e as { code?: string }).code;
  return new AppError(
    'unavailable',
    `cannot reach Grafana at ${base}${code ? ` (${code})` : ''}: check GRAFANA_URL and that Grafana is running`,
    {},
    5,
  );
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Equal apart from what Grafana assigns itself (id, version). */
function sameDashboard(stored: Record<string, unknown>, ours: Dashboard): boolean {
  const strip = (o: Record<string, unknown>) => {
    const { id: _id, version: _version, ...rest } = o;
    return rest;
  };
  return canonical(strip(stored)) === canonical(strip(ours as unknown as Record<string, unknown>));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
