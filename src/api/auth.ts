// Token authentication (docs/http-api.md): `Authorization: Token <t>` or `Bearer <t>`; the v1 write endpoint also
// takes `?p=<t>` or a basic-auth password, as InfluxDB 1.x clients send them. Tokens are compared as SHA-256
// digests in constant time, against every configured token, so timing reveals neither a match nor a length.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';

export type Access = 'read' | 'write';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The middleware that checks a request's token; `access` says which (the HTTP reference test reads it). */
export type TokenCheck = ((req: Request, res: Response, next: NextFunction) => void) & { readonly access: Access };

export interface Auth {
  enabled: boolean;
  require(access: Access, opts?: { v1?: boolean }): TokenCheck;
}

/**
 * `tokens` may do everything; `readTokens` may only read (a write, a rule change or provisioning answers 403).
 * Without any token the service is open.
 */
export function createAuth(tokens: string[], publicRead: boolean, readTokens: string[] = []): Auth {
  const full = tokens.map(digest);
  const readOnly = readTokens.map(digest);
  const anyOf = (list: Buffer[], d: Buffer): boolean => {
    let ok = false;
    for (const t of list) ok = timingSafeEqual(d, t) || ok;
    return ok;
  };
  const enabled = full.length + readOnly.length > 0;
  return {
    enabled,
    require(access, opts = {}) {
      const check = (req: Request, _res: Response, next: NextFunction): void => {
        if (!enabled || (access === 'read' && publicRead)) {
          next();
          return;
        }
        const token = presentedToken(req, opts.v1 === true);
        if (token === null) {
          throw new AppError('unauthorized', 'a token is required: send the header "Authorization: Token <token>"');
        }
        const d = digest(token);
        // Both lists are always compared, so timing does not tell which one a token is in.
        const isFull = anyOf(full, d);
        const isReadOnly = anyOf(readOnly, d);
        if (!isFull && !isReadOnly) throw new AppError('unauthorized', 'the token is not valid');
        if (access === 'write' && !isFull) {
          throw new AppError(
            'forbidden',
            'this token may only read (RESULTANT_READ_TOKENS); writes, rule changes and provisioning need one of RESULTANT_AUTH_TOKENS',
          );
        }
        next();
      };
      return Object.assign(check, { access });
    },
  };
}

function presentedToken(req: Request, v1: boolean): string | null {
  const header = req.headers.authorization;
  if (header) {
    const m = /^(Token|Bearer)\s+(\S.*)$/i.exec(header);
    if (m) return m[2]!.trim();
    if (v1) {
      const b = /^Basic\s+(\S+)$/i.exec(header);
      if (b) {
        const decoded = Buffer.from(b[1]!, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        return i >= 0 ? decoded.slice(i + 1) : null;
      }
    }
    return null;
  }
  if (v1 && typeof req.query.p === 'string' && req.query.p.length > 0) return req.query.p;
  return null;
}
