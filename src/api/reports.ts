// POST /api/v1/reports (CONTRACT.md §3.2): {type, format, days, filter} -> the document, with its content type.
import { Router } from 'express';
import { bodyErrors, invalid } from '../errors.js';
import { createReport, EXTENSIONS, ReportRequest } from '../report/index.js';
import type { AppDeps } from './app.js';
import type { Auth } from './auth.js';
import { readJson } from './body.js';
import { sourcesOf } from './charts.js';

const MAX_BODY = 16 * 1024;

export function reportsRouter(deps: AppDeps, auth: Auth): Router {
  const r = Router();
  r.post('/api/v1/reports', auth.require('read'), async (req, res) => {
    const body = await readJson(req, MAX_BODY, {});
    const parsed = ReportRequest.safeParse(body);
    if (!parsed.success) {
      const errors = bodyErrors(parsed.error.issues);
      throw invalid(`invalid report request: ${errors.map((e) => `${e.path || 'body'}: ${e.message}`).join('; ')}`, { errors });
    }
    const request = { ...parsed.data, tz: parsed.data.tz ?? deps.config.timezone };
    const { report, body: doc, contentType } = await createReport(sourcesOf(deps), request);
    const day = report.stop.slice(0, 10);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Disposition', `inline; filename="resultant-${report.type}-${day}.${EXTENSIONS[request.format]}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.send(doc);
  });
  return r;
}
