import { describe, expect, it } from 'vitest';
import { ownCopy } from './own-copy.js';

describe('ownCopy', () => {
  it('gives back the same text, lone surrogates and all', () => {
    const body = `${'x'.repeat(1000)}héllo \uD800 wörld 😀 \uDC00${'y'.repeat(1000)}`;
    for (const s of ['', 'a', body.slice(1000, 1020), '\uD800', '\uDFFF\uD800', 'tab\tnew\nline'])
      expect(ownCopy(s)).toBe(s);
  });
});
