// Reading request bodies with a hard limit on the decompressed size, and gzip (the official InfluxDB clients
// compress by default). The limit is enforced while streaming, so a gzip bomb stops at the limit.
import type { Request } from 'express';
import { createGunzip } from 'node:zlib';
import { AppError } from '../errors.js';

export async function readBody(req: Request, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new AppError('unsupported media type', `Content-Encoding "${encoding}" is not supported; use gzip or none`);
  }
  const tooLarge = (): AppError =>
    new AppError('request too large', `the request body is larger than ${limit} bytes (after decompression)`, {
      limit,
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge();
  }
  const source: NodeJS.ReadableStream = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > limit) {
        req.unpipe();
        req.resume();
        throw tooLarge();
      }
      chunks.push(buf);
    }
  } catch (e) {
    if (e instanceof AppError) throw e;
    if (encoding === 'gzip') throw new AppError('invalid', 'the request body is not valid gzip');
    throw e;
  }
  return Buffer.concat(chunks, size);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new AppError('invalid', 'the request body is not valid UTF-8');
  }
}

/**
 * A JSON request body: `Content-Type: application/json`, at most `limit` bytes, valid UTF-8 and JSON. With
 * `emptyAs`, a body of only whitespace stands for that value (all defaults) rather than being an error.
 */
export async function readJson(req: Request, limit: number, emptyAs?: unknown): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AppError('unsupported media type', 'send JSON with "Content-Type: application/json"');
  }
  const text = decodeUtf8(await readBody(req, limit));
  if (emptyAs !== undefined && text.trim() === '') return emptyAs;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('invalid', `the body is not valid JSON: ${e instanceof Error ? e.message : 'parse error'}`);
  }
}
