// Reading request bodies with a hard limit on the decompressed size, and gzip (the official InfluxDB clients
// compress by default). The limit is enforced while streaming, so a gzip bomb stops at the limit; a body can also
// be consumed as it arrives (streamBody), so a large one never has to be held whole.

import { createGunzip } from 'node:zlib';
import type { Request } from 'express';
import { AppError, tooLarge } from '../errors.js';

/** What a request's headers say of its body. */
export interface BodyHead {
  /** Content-Length, if the request has one (chunked bodies do not). */
  contentLength: number | undefined;
  gzip: boolean;
}

/**
 * Checks a body's headers before any of it is read: an unsupported Content-Encoding is a 415, a Content-Length
 * over `limit` a 413 (the body is then drained unread).
 */
export function bodyHead(req: Request, limit: number): BodyHead {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    req.resume();
    throw new AppError('unsupported media type', `Content-Encoding "${encoding}" is not supported; use gzip or none`);
  }
  const raw = req.headers['content-length'];
  const declared = raw === undefined ? undefined : Number(raw);
  if (declared !== undefined && Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  return {
    contentLength: declared !== undefined && Number.isFinite(declared) ? declared : undefined,
    gzip: encoding === 'gzip',
  };
}

/**
 * Streams a request body to `onChunk` as it arrives, decompressed, at most `limit` bytes after decompression;
 * `total` is the decoded bytes so far. When `onChunk` throws or rejects, or the limit is passed, reading stops and
 * the rest of the body is drained without being decompressed. Resolves to the decoded size.
 */
export async function streamBody(
  req: Request,
  limit: number,
  onChunk: (chunk: Buffer, total: number) => void | Promise<void>,
): Promise<number> {
  const { gzip } = bodyHead(req, limit);
  const gunzip = gzip ? createGunzip() : null;
  // The request itself is not destroyed when reading stops early: its rest is drained, and the answer still sent.
  const source: AsyncIterable<Buffer> = gunzip ? req.pipe(gunzip) : req.iterator({ destroyOnReturn: false });
  // pipe() does not pass the request's errors on (a client that goes away mid-body): the gunzip stream must end too.
  const abandon = (e: Error) => gunzip?.destroy(e);
  if (gunzip) req.once('error', abandon);
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size > limit) throw tooLarge(limit);
      await onChunk(chunk, size);
    }
  } catch (e) {
    if (gunzip) {
      req.unpipe(gunzip);
      gunzip.destroy();
    }
    req.resume();
    if (e instanceof AppError || isClientAbort(e)) throw e;
    if (gunzip) throw new AppError('invalid', 'the request body is not valid gzip');
    throw e;
  } finally {
    req.off('error', abandon);
  }
  return size;
}

/** A body whose client went away before sending all of it. */
export function isClientAbort(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ECONNRESET';
}

/**
 * A whole request body as sent (still compressed, if it is), at most `limit` bytes: for a small gzip body that a
 * parse worker inflates (api/write.ts).
 */
export async function readRawBody(req: Request, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new AppError('invalid', `the request body is longer than its Content-Length (${limit})`);
      chunks.push(chunk);
    }
  } catch (e) {
    req.resume();
    throw e;
  }
  return Buffer.concat(chunks, size);
}

/**
 * A whole request body, at most `limit` bytes after decompression (see streamBody). `onRead`, called with the
 * decoded bytes so far before each chunk is kept, may throw to stop reading.
 */
export async function readBody(req: Request, limit: number, onRead?: (decoded: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const size = await streamBody(req, limit, (chunk, total) => {
    onRead?.(total);
    chunks.push(chunk);
  });
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

/** A 415 unless the request says its body is JSON. */
export function requireJson(req: Request): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new AppError('unsupported media type', 'send JSON with "Content-Type: application/json"');
  }
}

/**
 * A JSON request body: `Content-Type: application/json`, at most `limit` bytes, valid UTF-8 and JSON. With
 * `emptyAs`, a body of only whitespace stands for that value (all defaults) rather than being an error.
 */
export async function readJson(
  req: Request,
  limit: number,
  emptyAs?: unknown,
  onRead?: (decoded: number) => void,
): Promise<unknown> {
  requireJson(req);
  const text = decodeUtf8(await readBody(req, limit, onRead));
  if (emptyAs !== undefined && text.trim() === '') return emptyAs;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new AppError('invalid', `the body is not valid JSON: ${e instanceof Error ? e.message : 'parse error'}`);
  }
}
