// POST /api/v1/reports (docs/http-api.md; /openapi.json), declared as a route (route.ts): {type, format, days, filter} -> the document, with its content type.

import { collectGarbage } from '../memory.js';
import { EXTENSIONS, ReportRequest, streamReport } from '../report/index.js';
import { collectAfter } from './heavy.js';
import { errorResponse, type Route, route } from './route.js';
import { sourcesOf } from './sources.js';
import { drained } from './stream.js';

const MAX_BODY = 16 * 1024;

export const reportRoutes: Route[] = [
  route({
    method: 'post',
    path: '/api/v1/reports',
    auth: 'read',
    summary: 'A report document (Markdown, HTML, JSON or CSV)',
    otherParameters: 'allowed',
    body: {
      media: 'application/json',
      schema: ReportRequest,
      required: true,
      read: {
        maxBytes: MAX_BODY,
        emptyAs: {},
        refusal: (errors) =>
          `invalid report request: ${errors.map((e) => `${e.path || 'body'}: ${e.message}`).join('; ')}`,
      },
    },
    before: () => [collectAfter],
    responses: {
      '200': {
        description: 'the report',
        media: { 'text/markdown': null, 'text/html': null, 'application/json': null, 'text/csv': null },
      },
      '400': errorResponse('invalid body; errors[] names each field'),
      '415': errorResponse('not JSON'),
    },
    async handler({ res, body, env: { deps } }) {
      const request = { ...body, tz: body.tz ?? deps.config.timezone };
      // The first section is built before the answer starts (its failure is a plain error answer); the rest are sent
      // as they are built, so a long report neither sits whole in memory nor keeps the client waiting for a first byte.
      const { head, contentType, pieces } = await streamReport(sourcesOf(deps), request, {
        onError: (err, section) => deps.logger.error({ err, section }, 'report section failed'),
      });
      let gone = false;
      res.once('close', () => (gone = !res.writableFinished));
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader(
        'Content-Disposition',
        `inline; filename="resultant-${head.type}-${head.stop.slice(0, 10)}.${EXTENSIONS[request.format]}"`,
      );
      res.setHeader('Cache-Control', 'no-store');
      for await (const piece of pieces) {
        if (gone) return; // the client left: leaving the loop stops the sections not yet built
        if (!res.write(piece)) await drained(res);
        collectGarbage(); // a section's data is garbage once it is written
      }
      res.end();
    },
  }),
];
