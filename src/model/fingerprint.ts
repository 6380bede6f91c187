// Error messages -> stable fingerprints and categories, so that "timeout after 5012 ms on 10.0.3.7" and "timeout
// after 4980 ms on 10.0.9.1" count as one failure. Variable parts are replaced by placeholders in Sentry's order
// (getsentry/sentry grouping/parameterization.py: email, url, host, ip, uuid, hex, date, duration, number; notes/
// analytics-and-forecasting.md §4.1), with ReportPortal's rule of keeping HTTP status codes, which tell failures
// apart. The fingerprint is a SHA-1 of error type and normalised text.
import { createHash } from 'node:crypto';
import { ownCopy } from './own-copy.js';

export const CATEGORIES = [
  'timeout',
  'connection',
  'permission',
  'resource',
  'validation',
  'not_found',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Messages are cut to this many characters before and after normalising (the first line carries the signal). */
export const MAX_MESSAGE_CHARS = 2000;

const TLDS =
  'com|net|org|io|dev|app|cloud|ai|co|us|eu|de|uk|fr|jp|cn|ru|in|br|local|localdomain|internal|lan|corp|home|svc|test|example|invalid';
const MONTHS = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec';
const DAYS = 'mon|tue|wed|thu|fri|sat|sun';

/** A replacer that leaves a match that is just a quoted placeholder alone and replaces anything else by `to`. */
const KEEP_PLACEHOLDER =
  (to: string) =>
  (m: string): string =>
    /^["'`]<\w+>["'`]$/.test(m) ? m : to;

// Each rule: a pattern and its placeholder, applied in order on the text left by the earlier ones.
const RULES: [RegExp, string | ((m: string) => string)][] = [
  // Object hashes first (com.acme.Service@5e9f23b4), so they are not taken for an e-mail address.
  [/@[0-9a-f]{4,}\b(?![.\w])/gi, '@<hex>'],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b/gi, '<email>'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, '<url>'],
  // ISO 8601 / RFC 3339 date-times (T or space), optional fraction and zone; then plain dates.
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/gi, '<date>'],
  // RFC 822/1123 and JS Date strings: "Mon, 21 Nov 2026 10:00:00 GMT", "Sat Nov 21 2026 10:00:00 GMT+0000".
  [
    new RegExp(
      `\\b(?:(?:${DAYS})[a-z]*,? )?\\d{1,2} (?:${MONTHS})[a-z]* \\d{4}(?: \\d{2}:\\d{2}(?::\\d{2})?(?: ?(?:GMT|UTC|[+-]\\d{4}))?)?`,
      'gi',
    ),
    '<date>',
  ],
  [
    new RegExp(
      `\\b(?:(?:${DAYS})[a-z]* )?(?:${MONTHS})[a-z]* \\d{1,2},? \\d{4}(?: \\d{2}:\\d{2}(?::\\d{2})?(?: ?(?:GMT|UTC)(?:[+-]\\d{4})?)?)?`,
      'gi',
    ),
    '<date>',
  ],
  [/\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\[(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\](?::\d{1,5})?/gi, '<ip>'],
  // IPv4 with optional port; IPv6 (full or :: compressed, at least two groups and a colon pair or 7 colons).
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '<ip>'],
  [
    /(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])|(?<![\w:])(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}::(?:[0-9a-f]{1,4}:)*[0-9a-f]{0,4}(?![\w:])/gi,
    '<ip>',
  ],
  // Host names ending in a common TLD (not followed by another dot-part, so java.net.SocketException stays).
  [new RegExp(`\\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+(?:${TLDS})\\b(?![.\\w-])(?::\\d{1,5}\\b)?`, 'gi'), '<host>'],
  // Absolute paths: Unix (two or more segments) and Windows drive paths.
  [/(?<![\w/<>])(?:\/[\w.@%+~-]+){2,}\/?/g, '<path>'],
  [/\b[a-z]:\\(?:[^\\\s"'<>:|?*]+\\)*[^\\\s"'<>:|?*]*/gi, '<path>'],
  // Quoted strings (single, double, back quotes) keep their quotes so "expected '<str>'" still reads.
  // A quote that holds only a placeholder ("<url>") is kept whole, so its closing quote cannot open the next match.
  [/"<\w+>"|"(?:[^"\\\n]|\\.){0,500}"/g, KEEP_PLACEHOLDER('"<str>"')],
  [/(?<![a-z])'<\w+>'|(?<![a-z])'(?:[^'\\\n]|\\.){0,500}'/gi, KEEP_PLACEHOLDER("'<str>'")],
  [/`[^`\n]{0,500}`/g, '`<str>`'],
  // Whatever follows an "id" word is an identifier, whatever its shape ("request id 3ade68", "job_id=abc-1").
  [/\b((?:[a-z]+[ _-])?id)(\s*[:=#]\s*|\s+)(?!<)[\w.-]+/gi, '$1$2<id>'],
  [/\b0x[0-9a-f]+\b/gi, '<hex>'],
  // Hex ids of 8+ characters with a digit (one case: SHA-1, MD5, Mongo ids), and short git SHAs of 7 characters
  // with both digits and letters.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])(?:[0-9a-f]{8,}|[0-9A-F]{8,})\b/g, '<hex>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7}\b/g, '<hex>'],
  // Durations: a number with a time unit; sizes: a number with a byte unit (2048Mi, 1.5 GB, 512k).
  [/(?<![\w.])\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|m|mins?|minutes?|h|hrs?|hours?)\b/gi, '<duration>'],
  [/(?<![\w.])\d+(?:\.\d+)?\s?(?:[kmgtp]i?b|[kmgtp]i|[kmgtp]|bytes?)\b/gi, '<size>'],
];

// A number that is not part of an identifier (sha256, E11000, x86_64 and v2 stay).
const NUMBER = /(?<![\w.])[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?!\w)(?!\.\d)/gi;
// Three-digit codes after these words, or before a reason phrase, are HTTP statuses and kept.
const STATUS_BEFORE = /(?:\bhttp(?:\/\d(?:\.\d)?)?|\bstatus(?: code)?|\bcode|\bresponse|\breturned|\berror)[\s:=#]*$/i;
const STATUS_AFTER =
  /^ (?:OK|Created|Accepted|No Content|Moved|Found|See Other|Not Modified|Bad Request|Unauthori[sz]ed|Payment Required|Forbidden|Not Found|Method Not Allowed|Not Acceptable|Request Timeout|Conflict|Gone|Precondition Failed|Payload Too Large|Unsupported Media Type|Unprocessable|Too Many Requests|Internal Server Error|Not Implemented|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i;
// Numbers after these words name the kind of error (errno, SQLSTATE, exit code, curl's exit status) and are kept.
const CODE_BEFORE = /(?:\berrno|\bsqlstate|\bexit(?:ed)?(?: with)?(?: code| status)|\bcurl: \()[\s:=#[]*$/i;

/** The first meaningful line of a message: the last line of a Python traceback, else the first non-empty line. */
export function headline(message: string): string {
  const text = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return '';
  if (/^Traceback \(most recent call last\)/.test(lines[0]!)) {
    // The exception line is the last one that is not a frame or source line (frames start with "File ").
    for (let i = lines.length - 1; i > 0; i--) if (!/^File "/.test(lines[i]!)) return lines[i]!;
  }
  return lines[0]!;
}

/** Replaces the variable parts of an error message by placeholders (see the rule list above). */
export function normaliseMessage(message: string): string {
  let s = headline(message);
  // Two calls because TypeScript's replace overloads take a string or a function, not their union.
  for (const [re, to] of RULES) s = typeof to === 'string' ? s.replace(re, to) : s.replace(re, to);
  s = s.replace(NUMBER, (m: string, offset: number, whole: string) => {
    const before = whole.slice(Math.max(0, offset - 30), offset);
    if (CODE_BEFORE.test(before)) return m;
    const status =
      /^[1-5]\d\d$/.test(m) &&
      (STATUS_BEFORE.test(before) || STATUS_AFTER.test(whole.slice(offset + m.length, offset + m.length + 30)));
    return status ? m : '<num>';
  });
  // Placeholders are longer than what they replace: cut again so the text stays bounded.
  return s.replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE_CHARS);
}

/** Stable 16-hex-digit fingerprint of error type and normalised message. */
export function fingerprintOf(errorType: string | null, normalised: string): string {
  return createHash('sha1')
    .update(`${errorType ?? ''}\u0000${normalised}`)
    .digest('hex')
    .slice(0, 16);
}

// Keyword rules, first match wins; checked on error_type first, then on the message. Timeouts come first because
// "connection timed out" is a timeout; permission before not-found because "403 forbidden" is about access.
const CATEGORY_RULES: [Category, RegExp][] = [
  // An assertion is a check of the result, whatever value it saw (assert 503 == 200).
  ['validation', /\bassert(?:ion)?(?:error)?\b|AssertionError/i],
  [
    'timeout',
    /time[ds]?[\s_-]?out|timed?[\s_-]?out|deadline[\s_-]?exceeded|\bE(?:SOCKET)?TIMEDOUT\b|\b(?:408|504)\b|took too long/i,
  ],
  [
    'connection',
    /connect|\b(?:ECONNREFUSED|ECONNRESET|ECONNABORTED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)\b|could not resolve|resolve host|socket|network|unreachable|broken pipe|reset by peer|dns|getaddrinfo|name resolution|tls|ssl|handshake|certificate|unavailable|\b(?:502|503)\b|bad gateway/i,
  ],
  [
    'permission',
    /permission|denied|forbidden|unauthori[sz]ed|not authori[sz]ed|\b(?:EACCES|EPERM)\b|access[\s_-]?denied|\b(?:401|403)\b|credential|auth(?:entication)?[\s_-]?(?:failed|error|required)|invalid[\s_-]?token|token[\s_-]?expired/i,
  ],
  [
    'resource',
    /out[\s_-]?of[\s_-]?memory|\boom\b|\b(?:ENOMEM|ENOSPC)\b|no space left|disk (?:is )?full|quota|too many open files|\b(?:EMFILE|ENFILE)\b|resource[\s_-]?exhausted|exhausted|rate[\s_-]?limit|too many requests|\b429\b|memory|heap|cpu|throttl|capacity|insufficient|limit exceeded|\bpool\b/i,
  ],
  [
    'not_found',
    /not[\s_-]?found|no such|\bENOENT\b|does not exist|doesn't exist|missing|\b404\b|unknown (?:file|path|route|resource|model)/i,
  ],
  [
    'validation',
    /invalid|validat|assert|expected|mismatch|malformed|schema|parse|syntax|illegal[\s_-]?argument|bad request|\b(?:400|422)\b|type ?error|value ?error|unexpected|must be|should be|constraint/i,
  ],
];

/**
 * The category of a failure: from `error_type` when a rule matches it, else from the normalised message (what the
 * fingerprint is made of, so one fingerprint always has one category: "expected 200 but got 503" and "... got 500"
 * are one pattern, and a bare number is no status code), else "other".
 */
export function categorise(errorType: string | null, message: string | null): Category {
  return categoryOf(errorType, message === null ? null : normaliseMessage(message));
}

/** The category from `error_type` and an already normalised message. */
function categoryOf(errorType: string | null, pattern: string | null): Category {
  for (const text of [errorType, pattern]) {
    if (!text) continue;
    for (const [cat, re] of CATEGORY_RULES) if (re.test(text)) return cat;
  }
  return 'other';
}

/** Characters of a failure message kept as an example of its pattern. */
export const EXAMPLE_CHARS = 500;

/** Placeholder pattern of a failure without a message. */
export const NO_MESSAGE = '<no message>';

/** What a failed result is grouped by: computed once, when the result is written, and stored with it. */
export interface FailureKind {
  fingerprint: string;
  category: Category;
  errorType: string | null;
  /** The normalised message the fingerprint is computed from. */
  pattern: string;
}

/** Kinds of recent messages: a fleet repeats its errors, and normalising one takes about 13 µs. */
const recentKinds = new Map<string, FailureKind>();
const MAX_RECENT_KINDS = 10_000;

/** The fingerprint, category and normalised pattern of a failed result's error type and message. */
export function failureKindOf(errorType: string | null, message: string | null): FailureKind {
  const key = `${errorType === null ? '\u0001' : errorType}\u0000${message === null ? '\u0001' : message}`;
  const known = recentKinds.get(key);
  if (known) return known;
  const pattern = message === null || message.trim() === '' ? NO_MESSAGE : ownCopy(normaliseMessage(message));
  const kind: FailureKind = {
    fingerprint: fingerprintOf(errorType, pattern),
    category: categoryOf(errorType, pattern),
    errorType: errorType === null ? null : ownCopy(errorType),
    pattern,
  };
  if (recentKinds.size >= MAX_RECENT_KINDS) recentKinds.clear();
  recentKinds.set(ownCopy(key), kind);
  return kind;
}
