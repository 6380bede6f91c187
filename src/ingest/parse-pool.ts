// The parse pool: line-protocol request bodies to write batches on a small pool of worker threads (or inline when
// the pool has no workers). The outcome is the same either way; the workers only move the CPU work off the main thread.
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { AppError, type ErrorCode, tooLarge } from '../errors.js';
import { workerEntry } from '../worker-entry.js';
import { decodeLineBytes } from './line-bytes.js';
import type { Precision } from './line-protocol.js';
import { compileMappings, type MappingSpecs, type UnknownMeasurements } from './mapping.js';
import { type PackedBatch, SeriesInterner, unpackBatch } from './transfer.js';
import { type DecodeOutcome, type IngestRules, SeriesCache, STRICT_RULES } from './validate.js';

/** The ingest rules as settings (config.ts): plain data, so they can go to the workers as their workerData. */
export interface IngestSettings {
  mappings: MappingSpecs;
  unknown: UnknownMeasurements;
}

export function rulesOf(settings: IngestSettings | undefined): IngestRules {
  return settings ? { mappings: compileMappings(settings.mappings), unknown: settings.unknown } : STRICT_RULES;
}

export interface ParseOptions {
  precision: Precision;
  nowUs: number;
  minTimeUs?: number;
  /** Line number of the body's first line, when it is a slice of a larger body (default 1). */
  firstLine?: number;
  /** The body is gzip: inflated first, to at most `maxBytes` (else a 413). */
  gzip?: { maxBytes: number };
}

/** A body's outcome, and its size decoded (after inflating). */
export type Decoded = DecodeOutcome & { bytes: number };

export interface ParseRequest {
  id: number;
  body: ArrayBuffer;
  opts: ParseOptions;
}

export type ParseResponse =
  | {
      id: number;
      ok: true;
      batch: PackedBatch;
      untimed: number;
      skipped: number;
      skippedNames: string[];
      bytes: number;
    }
  | { id: number; ok: false; line: number; message: string; bytes: number }
  /** A refusal of the whole body (not UTF-8, not gzip, too large), as the AppError to answer with. */
  | { id: number; ok: false; refused: { code: ErrorCode; message: string; details: Record<string, unknown> } }
  | { id: number; ok: false; error: string };

/**
 * Inflates (when `opts.gzip`) and decodes a body: what the workers and the inline pool run. A body that is not gzip,
 * inflates past the limit or is not UTF-8 throws its AppError.
 */
export function decodeBody(body: Uint8Array, opts: ParseOptions, cache: SeriesCache, rules: IngestRules): Decoded {
  let bytes = body;
  if (opts.gzip) {
    try {
      bytes = gunzipSync(body, { maxOutputLength: opts.gzip.maxBytes });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(opts.gzip.maxBytes);
      throw new AppError('invalid', 'the request body is not valid gzip');
    }
  }
  return { ...decodeLineBytes(bytes, opts, cache, rules), bytes: bytes.length };
}

/** How many parse workers suit this machine: one core stays with the main thread and DuckDB. */
export function defaultParseWorkers(): number {
  return Math.max(0, Math.min(4, cpus().length - 1));
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: ParseResponse) => void; reject: (e: unknown) => void }>;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly cache = new SeriesCache();
  private readonly interner = new SeriesInterner();
  private nextId = 1;
  private closing = false;
  private readonly entry = workerEntry(import.meta.url, 'parse-worker');
  private readonly rules: IngestRules;

  /** Without `settings`, measurements other than ours are refused (STRICT_RULES). */
  constructor(
    workers: number,
    private readonly settings?: IngestSettings,
  ) {
    this.rules = rulesOf(settings);
    for (let i = 0; i < workers; i++) {
      const slot: Slot = { worker: null as unknown as Worker, pending: new Map() };
      this.start(slot);
      this.slots.push(slot);
    }
  }

  /** Starts (or restarts, after a crash) the worker of a slot. */
  private start(slot: Slot): void {
    const worker = new Worker(this.entry, { workerData: this.settings ?? null });
    slot.worker = worker;
    const fail = (e: unknown) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('message', (res: ParseResponse) => {
      const p = slot.pending.get(res.id);
      slot.pending.delete(res.id);
      if (slot.pending.size === 0) worker.unref();
      p?.resolve(res);
    });
    worker.on('error', fail);
    worker.on('exit', () => {
      fail(new Error('parse worker exited'));
      if (!this.closing) this.start(slot);
    });
    worker.unref();
  }

  async decode(body: Buffer, opts: ParseOptions): Promise<Decoded> {
    if (this.slots.length === 0) return decodeBody(body, opts, this.cache, this.rules);
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    // Copy into a buffer of our own to transfer: `body` may share Node's pooled memory.
    const own = new Uint8Array(body.length);
    own.set(body);
    const res = await new Promise<ParseResponse>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      // An idle worker must not keep the process alive; a busy one must, until it answers.
      slot.worker.ref();
      slot.worker.postMessage({ id, body: own.buffer, opts } satisfies ParseRequest, [own.buffer]);
    });
    if (res.ok) {
      const batch = await unpackBatch(res.batch, this.interner);
      const { untimed, skipped, skippedNames, bytes } = res;
      return { ok: true, batch, untimed, skipped, skippedNames, bytes };
    }
    if ('refused' in res) throw new AppError(res.refused.code, res.refused.message, res.refused.details);
    if ('error' in res) throw new Error(`parse worker failed: ${res.error}`);
    return { ok: false, line: res.line, message: res.message, bytes: res.bytes };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
