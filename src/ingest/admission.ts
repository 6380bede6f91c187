// Admission of writes before their bodies are read. Every write reserves room for its decoded body in one budget
// shared by the writes being read (decompressed and parsed), and for its estimated points in the ingest queue. A
// write that does not fit is refused at once (503 + Retry-After) from its headers alone, before any of its body is
// decompressed or parsed, so a refusal costs next to nothing and the memory of the writes being read stays bounded.
// The reservation grows with the bytes actually decompressed; it ends when the write's batch goes to the ingest
// queue (whose own bound on points then holds it) or when the request ends otherwise (refused, invalid, or
// abandoned by its client).
import { unavailable } from '../errors.js';

/** What admission needs to know of the ingest queue (IngestQueue has it). */
export interface QueueRoom {
  /** Points waiting or being written. */
  readonly depth: number;
  /** Points the queue holds before it refuses. */
  readonly capacity: number;
}

/**
 * How many times larger than its gzip body a line-protocol body is assumed to be until it has been decompressed
 * (line protocol of test results compresses 10 to 30 times). A body that turns out larger grows its reservation
 * as it decompresses (WriteTicket.read).
 */
export const GZIP_EXPANSION = 32;
/**
 * Reservation of a body without Content-Length (chunked, as Telegraf sends), before it has been read: it grows with
 * the bytes decompressed, so a large one holds the budget only as far as it has got.
 */
export const UNKNOWN_LENGTH_START = 256 * 1024;

/** Decoded bytes per point assumed for estimating a write's points from its size, by body format. */
export const BYTES_PER_POINT = { lineProtocol: 64, json: 128 } as const;

export interface WriteRequestHead {
  /** Content-Length, if the request has one. */
  contentLength: number | undefined;
  gzip: boolean;
}

/** The decoded bytes a write is expected to hold, from its headers alone (never more than the body limit). */
export function estimateDecodedBytes(head: WriteRequestHead, maxBodyBytes: number): number {
  if (head.contentLength === undefined) return Math.min(maxBodyBytes, UNKNOWN_LENGTH_START);
  return Math.min(maxBodyBytes, head.gzip ? head.contentLength * GZIP_EXPANSION : head.contentLength);
}

export interface AdmissionOptions {
  /** Decoded body bytes the writes being read may hold together. */
  maxBytes: number;
}

export class WriteAdmission {
  private bytes = 0;
  private points = 0;
  /** The writes being read, oldest first (a Set keeps insertion order). */
  private readonly open = new Set<WriteTicket>();

  constructor(
    private readonly queue: QueueRoom,
    private readonly opts: AdmissionOptions,
  ) {}

  /** Decoded bytes reserved by the writes being read. */
  get reservedBytes(): number {
    return this.bytes;
  }

  get capacityBytes(): number {
    return this.opts.maxBytes;
  }

  /** Writes being read. */
  get writes(): number {
    return this.open.size;
  }

  /**
   * Admits a write expected to hold `bytes` decoded bytes, `bytesPerPoint` to a point, or refuses it (AppError
   * `unavailable`). One write larger than everything is still admitted when nothing else is being read or waits in
   * the queue, as the queue does, so a lone large write is never refused for ever.
   */
  admit(bytes: number, bytesPerPoint: number): WriteTicket {
    const points = Math.ceil(bytes / bytesPerPoint);
    const why = this.refusal(bytes, points);
    if (why) throw unavailable(why, 1);
    const ticket = new WriteTicket(this, bytesPerPoint);
    this.open.add(ticket);
    this.take(ticket, bytes, points);
    return ticket;
  }

  /** Why `bytes` and `points` more do not fit now, or null when they do (always when nothing is in flight). */
  private refusal(bytes: number, points: number): string | null {
    if (this.open.size === 0 && this.queue.depth === 0) return null;
    if (this.bytes + bytes > this.opts.maxBytes) {
      return `too many large writes are being read (${this.bytes} of ${this.opts.maxBytes} bytes of request bodies, RESULTANT_INGEST_MAX_BYTES); retry shortly`;
    }
    if (this.queue.depth + this.points + points > this.queue.capacity) {
      return `the ingest queue has no room for this write (${this.queue.depth} points waiting to be written, about ${this.points} more being read); retry shortly`;
    }
    return null;
  }

  private take(ticket: WriteTicket, bytes: number, points: number): void {
    ticket.bytes += bytes;
    ticket.points += points;
    this.bytes += bytes;
    this.points += points;
  }

  /** @internal WriteTicket.read */
  grow(ticket: WriteTicket, decoded: number): void {
    if (decoded <= ticket.bytes) return;
    const bytes = decoded - ticket.bytes;
    const points = Math.max(0, Math.ceil(decoded / ticket.bytesPerPoint) - ticket.points);
    // The oldest write being read may always grow, so writes that outgrow their estimate together cannot all be
    // refused in turn for ever; its overshoot is bounded by the body limit.
    const oldest = this.open.values().next().value === ticket;
    if (!oldest) {
      const why = this.refusal(bytes, points);
      if (why) throw unavailable(why, 1);
    }
    this.take(ticket, bytes, points);
  }

  /** @internal WriteTicket.release */
  release(ticket: WriteTicket): void {
    if (!this.open.delete(ticket)) return;
    this.bytes -= ticket.bytes;
    this.points -= ticket.points;
    ticket.bytes = 0;
    ticket.points = 0;
  }
}

/** One admitted write's reservation, while its body is read. */
export class WriteTicket {
  /** Decoded bytes reserved. */
  bytes = 0;
  /** Estimated points reserved. */
  points = 0;

  constructor(
    private readonly admission: WriteAdmission,
    readonly bytesPerPoint: number,
  ) {}

  /**
   * `decoded` bytes of the body have been read (after decompression): the reservation grows to cover them, or
   * the write is refused (AppError `unavailable`) when there is no room for more.
   */
  read(decoded: number): void {
    this.admission.grow(this, decoded);
  }

  /**
   * The body is read: its batch goes to the queue (which counts its points from then on), or the request is over.
   * Safe to call more than once.
   */
  release(): void {
    this.admission.release(this);
  }
}
