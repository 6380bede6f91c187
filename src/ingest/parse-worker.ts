// A parse worker: UTF-8 decoding, line-protocol parsing and validation off the main thread, so parsing one
// request runs beside the appends of others (and the event loop stays free for reads).
import { parentPort, workerData } from 'node:worker_threads';
import { decodeLineBytes } from './line-bytes.js';
import type { IngestSettings, ParseRequest, ParseResponse } from './parse-pool.js';
import { rulesOf } from './parse-pool.js';
import { packBatch } from './transfer.js';
import { SeriesCache } from './validate.js';

const cache = new SeriesCache();
const rules = rulesOf((workerData as IngestSettings | null) ?? undefined);

parentPort!.on('message', (req: ParseRequest) => {
  let res: ParseResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = decodeLineBytes(new Uint8Array(req.body), req.opts, cache, rules);
    if (out.ok) {
      const p = packBatch(out.batch);
      res = {
        id: req.id,
        ok: true,
        batch: p.packed,
        untimed: out.untimed,
        skipped: out.skipped,
        skippedNames: out.skippedNames,
      };
      transfer = p.transfer;
    } else res = { id: req.id, ok: false, line: out.line, message: out.message };
  } catch (e) {
    res = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(res, transfer);
});
