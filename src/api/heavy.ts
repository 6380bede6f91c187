// Routes whose work leaves much garbage behind (analyses, reports, charts, forecasts): once the answer is sent, a
// garbage collection returns it, so the service's peak memory stays near what one such request needs (memory.ts).
import type { RequestHandler } from 'express';
import { collectGarbage } from '../memory.js';

export const collectAfter: RequestHandler = (_req, res, next) => {
  res.once('close', () => collectGarbage());
  next();
};
