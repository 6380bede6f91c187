// Slicing a line-protocol body as it arrives: whatever the chunks, the slices are the body's whole lines in order,
// numbered as the body numbers them, and a slice is cut only once enough bytes wait.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSlicer, type Slice } from './line-slices.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function sliceAll(body: Buffer, cuts: number[], sliceBytes: number): Slice[] {
  const slicer = new LineSlicer(sliceBytes);
  const out: Slice[] = [];
  let at = 0;
  for (const end of [...cuts.filter((c) => c < body.length).sort((a, b) => a - b), body.length]) {
    const s = slicer.push(body.subarray(at, end));
    if (s) out.push(s);
    at = end;
  }
  const last = slicer.end();
  if (last) out.push(last);
  return out;
}

describe('line slices', () => {
  it("give back the body whole, each but the last ending a line, numbered from the body's first line", () => {
    const line = fc.stringMatching(/^[a-z =,"é€\r]{0,40}$/);
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 60 }),
        fc.array(fc.nat(3000)),
        fc.integer({ min: 1, max: 200 }),
        (lines, cuts, sliceBytes) => {
          const body = Buffer.from(lines.join('\n'));
          const slices = sliceAll(body, cuts, sliceBytes);
          expect(Buffer.concat(slices.map((s) => s.bytes)).equals(body)).toBe(true);
          let before = 0;
          slices.forEach((s, i) => {
            expect(s.firstLine).toBe(1 + before);
            if (i < slices.length - 1) {
              expect(s.bytes.at(-1)).toBe(0x0a);
              expect(s.bytes.length).toBeGreaterThanOrEqual(1);
            }
            // Cut between characters: every slice of a valid UTF-8 body is valid UTF-8.
            expect(() => utf8.decode(s.bytes)).not.toThrow();
            before += s.bytes.filter((b) => b === 0x0a).length;
          });
        },
      ),
    );
  });

  it('cuts a slice once enough bytes wait and a line ends, and waits for the end of a long line', () => {
    const slicer = new LineSlicer(10);
    expect(slicer.push(Buffer.from('abc\nde'))).toBeNull();
    expect(slicer.push(Buffer.from('fghijklmnop'))).toBeNull();
    const s = slicer.push(Buffer.from('q\nrs'));
    expect(s?.bytes.toString()).toBe('abc\ndefghijklmnopq\n');
    expect(s?.firstLine).toBe(1);
    const last = slicer.end();
    expect(last?.bytes.toString()).toBe('rs');
    expect(last?.firstLine).toBe(3);
    expect(slicer.end()).toBeNull();
  });
});
