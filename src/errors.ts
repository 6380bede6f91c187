// The closed set of error codes of the public contract (docs/http-api.md) and the one place that maps them to
// HTTP statuses. Domain code throws AppError with a code, never an HTTP status.
import type { z } from 'zod';

export const ERROR_CODES = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  'not found': 404,
  'request too large': 413,
  'unsupported media type': 415,
  // A partial write, as InfluxDB 2 answers it: the points that could be stored are, the others are named.
  'unprocessable entity': 422,
  'too many requests': 429,
  unavailable: 503,
  'internal error': 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function codeToStatus(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/** An error whose message is safe to show to the client. Extra fields are merged into the JSON body. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  /** Seconds for a Retry-After header (503/429). */
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, retryAfter?: number) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

export const invalid = (message: string, details: Record<string, unknown> = {}): AppError =>
  new AppError('invalid', message, details);

/** A field-level problem of a request body: where (dotted path, e.g. "filter.region") and what. */
export interface BodyError {
  path: string;
  message: string;
}

/**
 * The issues of a failed schema parse (zod's `error.issues`) as BodyErrors; unknown fields (zod's one issue at the
 * object, with their `keys`) become one error each at the field's own path.
 */
export function bodyErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[],
): BodyError[] {
  const at = (path: readonly PropertyKey[]) => path.map(String).join('.');
  return issues.flatMap((i) =>
    i.keys?.length
      ? i.keys.map((k) => ({ path: at([...i.path, k]), message: i.message }))
      : [{ path: at(i.path), message: i.message }],
  );
}

/**
 * Parses a request body with its schema; a failure is a 400 worded by `refusal` from the problems found, with
 * every problem in `errors`.
 */
export function checkBody<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  refusal: (errors: BodyError[]) => string,
): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const errors = bodyErrors(r.error.issues);
  throw invalid(refusal(errors), { errors });
}

/** The 400 for a time range whose `stop` parameter is not after its `start`. */
export const stopNotAfterStart = (): AppError =>
  invalid('parameter "stop" must be after "start"', { parameter: 'stop' });

export const notFound = (message: string): AppError => new AppError('not found', message);

/** A request body larger than `limit` bytes once decompressed (413). */
export const tooLarge = (limit: number): AppError =>
  new AppError('request too large', `the request body is larger than ${limit} bytes (after decompression)`, { limit });

export const unavailable = (message: string, retryAfter = 1): AppError =>
  new AppError('unavailable', message, {}, retryAfter);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** The JSON body for an error; internal errors never carry the original message. */
export function errorBody(e: AppError): Record<string, unknown> {
  if (e.code === 'internal error') return { code: e.code, message: 'internal error' };
  return { ...e.details, code: e.code, message: e.message };
}
