// Token authentication (CONTRACT.md §3): `Authorization: Token <t>` or `Bearer <t>`; the v1 write endpoint also
// takes `?p=<t>` or a basic-auth password, as InfluxDB 1.x clients send them. Tokens are compared as SHA-256
// digests in constant time, against every configured token, so timing reveals neither a match nor a length.
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors.js';

export type Access = 'read' | 'write';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface Auth {
  enabled: boolean;
  require(access: Access, opts?: { v1?: boolean }): (req: Request, res: Response, next: NextFunction) => void;
}

export function createAuth(tokens: string[], publicRead: boolean): Auth {
  const digests = tokens.map(digest);
  const matches = (presented: string): boolean => {
    const d = digest(presented);
    let ok = false;
    for (const t of digests) ok = timingSafeEqual(d, t) || ok;
    return ok;
  };
  return {
    enabled: digests.length > 0,
    require(access, opts = {}) {
      return (req, _res, next) => {
        if (digests.length === 0 || (access === 'read' && publicRead)) return next();
        const token = presentedToken(req, opts.v1 === true);
        if (token === null) {
          throw new AppError('unauthorized', 'a token is required: send the header "Authorization: Token <token>"');
        }
        if (!matches(token)) throw new AppError('unauthorized', 'the token is not valid');
        next();
      };
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
