// GET /: the built-in dashboard, static files from the package's dashboard/ folder (no build step). The page holds
// no data; it reads the API with the reader's token, so it needs no authentication of its own.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** The folder, found from src/api (tsx, vitest) and from dist/src/api (built). */
export function dashboardDir(): string | null {
  for (const rel of ['../../dashboard/', '../../../dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}

// Only this origin's scripts and styles; charts arrive as blob: images.
const CSP =
  "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function dashboardRouter(): Router {
  const r = Router();
  const dir = dashboardDir();
  if (!dir) return r;
  r.use(
    express.static(dir, {
      index: 'index.html',
      fallthrough: true,
      maxAge: 0,
      setHeaders(res) {
        res.setHeader('Content-Security-Policy', CSP);
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );
  return r;
}
