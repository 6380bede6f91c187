// A parse worker: inflating small gzip bodies, line-protocol parsing and validation off the main thread, so parsing
// one request runs beside the appends of others (and the event loop stays free for reads).
import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '../errors.js';
import type { IngestSettings, ParseRequest, ParseResponse } from './parse-pool.js';
import { decodeBody, rulesOf } from './parse-pool.js';
import { packBatch } from './transfer.js';
import { SeriesCache } from './validate.js';

const cache = new SeriesCache();
const rules = rulesOf((workerData as IngestSettings | null) ?? undefined);

parentPort!.on('message', (req: ParseRequest) => {
  let res: ParseResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = decodeBody(new Uint8Array(req.body), req.opts, cache, rules);
    if (out.ok) {
      const p = packBatch(out.batch);
      const { untimed, skipped, skippedNames, bytes } = out;
      res = { id: req.id, ok: true, batch: p.packed, untimed, skipped, skippedNames, bytes };
      transfer = p.transfer;
    } else res = { id: req.id, ok: false, line: out.line, message: out.message, bytes: out.bytes };
  } catch (e) {
    res = isAppError(e)
      ? { id: req.id, ok: false, refused: { code: e.code, message: e.message, details: e.details } }
      : { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(res, transfer);
});
