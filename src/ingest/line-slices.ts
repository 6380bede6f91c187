// Cutting a line-protocol body into slices of whole lines as it arrives, so a large body is parsed piece by piece
// and never held whole (decoded, as text, or as one parse's garbage). Lines end at "\n" only, as forEachLine reads
// them; that byte never occurs inside a multi-byte UTF-8 character, so every slice is valid UTF-8 when the body is.

const NEWLINE = 0x0a;

export interface Slice {
  bytes: Buffer;
  /** Line number of the slice's first line in the whole body (1-based). */
  firstLine: number;
}

export class LineSlicer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private nextLine = 1;

  /** `sliceBytes`: a slice is cut once at least this many bytes wait and a line ends. */
  constructor(private readonly sliceBytes: number) {}

  /** Takes the next chunk of the body; returns a slice when enough whole lines have arrived. */
  push(chunk: Buffer): Slice | null {
    if (chunk.length === 0) return null;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.sliceBytes) return null;
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    // The chunk is all one line's middle: wait for the line's end.
    if (lastNewline === -1) return null;
    const rest = chunk.subarray(lastNewline + 1);
    this.pending[this.pending.length - 1] = chunk.subarray(0, lastNewline + 1);
    const slice = this.cut(this.pendingBytes - rest.length);
    if (rest.length > 0) {
      // Copied: a view would keep the whole chunk alive with it.
      this.pending = [Buffer.from(rest)];
      this.pendingBytes = rest.length;
    }
    return slice;
  }

  /** The end of the body: what is left (possibly nothing, or a last line without "\n"). */
  end(): Slice | null {
    return this.pendingBytes > 0 ? this.cut(this.pendingBytes) : null;
  }

  private cut(size: number): Slice {
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, size);
    this.pending = [];
    this.pendingBytes = 0;
    const slice = { bytes, firstLine: this.nextLine };
    this.nextLine += countNewlines(bytes);
    return slice;
  }
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i !== -1; i = b.indexOf(NEWLINE, i + 1)) n++;
  return n;
}
