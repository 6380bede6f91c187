import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, categorise, fingerprintOf, headline, MAX_MESSAGE_CHARS, normaliseMessage } from './fingerprint.js';

interface Fixture {
  cases: { message: string; error_type?: string; normalised: string; category: string }[];
  same: string[][];
  different: [string, string][];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/support/fixtures/error-messages.json', import.meta.url), 'utf8'),
) as Fixture;
const fp = (m: string) => fingerprintOf(null, normaliseMessage(m));

describe('normaliseMessage on real-looking messages (test/support/fixtures/error-messages.json)', () => {
  it.each(fixture.cases.map((c) => [c.message.split('\n')[0]!.slice(0, 70), c] as const))('%s', (_, c) => {
    expect(normaliseMessage(c.message)).toBe(c.normalised);
    expect(categorise(c.error_type ?? null, c.message)).toBe(c.category);
  });

  it('covers every category', () => {
    expect(new Set(fixture.cases.map((c) => c.category))).toEqual(new Set(CATEGORIES));
  });

  it('gives one fingerprint to messages that differ only in variable parts', () => {
    for (const group of fixture.same) {
      const prints = new Set(group.map(fp));
      expect(prints.size, `${group.map((m) => normaliseMessage(m)).join(' | ')}`).toBe(1);
    }
  });

  it('keeps apart messages that differ in status codes, errno, SQLSTATE, curl codes or words', () => {
    for (const [a, b] of fixture.different)
      expect(fp(a), `${normaliseMessage(a)} vs ${normaliseMessage(b)}`).not.toBe(fp(b));
  });

  it('is idempotent: normalising a normalised message changes nothing', () => {
    for (const c of fixture.cases) expect(normaliseMessage(c.normalised)).toBe(c.normalised);
  });
});

describe('fingerprints and headlines', () => {
  it('is SHA-1 of error type, a NUL and the normalised text, cut to 16 hex digits', () => {
    const text = normaliseMessage('timeout after 5 ms');
    expect(fingerprintOf('TimeoutError', text)).toBe(
      createHash('sha1').update(`TimeoutError\u0000${text}`).digest('hex').slice(0, 16),
    );
    expect(fingerprintOf('A', 'x')).not.toBe(fingerprintOf('B', 'x'));
    expect(fingerprintOf(null, 'x')).toBe(fingerprintOf('', 'x'));
  });

  it('takes the exception line of a Python traceback and the first line otherwise', () => {
    expect(
      headline('Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n    f()\nKeyError: 3\n'),
    ).toBe('KeyError: 3');
    expect(headline('\n\n  first line  \nsecond')).toBe('first line');
    expect(headline('')).toBe('');
  });

  it('reads at most MAX_MESSAGE_CHARS characters, also of hostile input', () => {
    const long = `${'x'.repeat(MAX_MESSAGE_CHARS)} 12345`;
    expect(normaliseMessage(long)).toBe('x'.repeat(MAX_MESSAGE_CHARS));
    // Inputs built to make backtracking regexes slow still finish (a hang would hit the test timeout).
    for (const unit of ['a.', '1.', 'a:', '0x', '/a', 'a-', "'", '"', 'ab12', '12:']) {
      expect(normaliseMessage(unit.repeat(5000)).length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    }
  });

  it('prefers error_type for the category and falls back to the message', () => {
    expect(categorise('TimeoutError', 'connection refused')).toBe('timeout');
    expect(categorise('CustomError', 'connection refused')).toBe('connection');
    expect(categorise(null, null)).toBe('other');
    expect(categorise('FileNotFoundError', null)).toBe('not_found'); // not ENOTFOUND (DNS)
  });
});
