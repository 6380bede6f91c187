// A parse worker: UTF-8 decoding, line-protocol parsing and validation off the main thread, so parsing one
// request runs beside the appends of others (and the event loop stays free for reads).
import { parentPort } from 'node:worker_threads';
import type { ParseRequest, ParseResponse } from './parser.js';
import { decodeLineProtocolBytes } from './parser.js';
import { packBatch } from './transfer.js';
import { SeriesCache } from './validate.js';

const cache = new SeriesCache();

parentPort!.on('message', (req: ParseRequest) => {
  let res: ParseResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = decodeLineProtocolBytes(new Uint8Array(req.body), req.opts, cache);
    if (out.ok) {
      const p = packBatch(out.batch);
      res = { id: req.id, ok: true, batch: p.packed, untimed: out.untimed };
      transfer = p.transfer;
    } else res = { id: req.id, ok: false, line: out.line, message: out.message };
  } catch (e) {
    res = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(res, transfer);
});
