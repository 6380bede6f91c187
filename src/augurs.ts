// @bsull/augurs in Node (forecasting and seasonal anomaly detection share it). It is a wasm-bindgen "web" build:
// its default init() fetches a file: URL, which Node's fetch refuses, so each module used here is initialised once,
// synchronously, with its .wasm bytes from beside the package's entry file (docs/research/forecast-libraries.md).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AutoETS, initSync as initEts } from '@bsull/augurs/ets';
import { initSync as initMstl, MSTL } from '@bsull/augurs/mstl';

let loaded = false;

export function loadAugurs(): { MSTL: typeof MSTL; AutoETS: typeof AutoETS } {
  if (!loaded) {
    // The package exports no package.json; its main entry sits beside the .wasm files.
    const dir = dirname(createRequire(import.meta.url).resolve('@bsull/augurs'));
    initMstl({ module: readFileSync(join(dir, 'mstl_bg.wasm')) });
    initEts({ module: readFileSync(join(dir, 'ets_bg.wasm')) });
    loaded = true;
  }
  return { MSTL, AutoETS };
}

export function loadMstl(): typeof MSTL {
  return loadAugurs().MSTL;
}

/** augurs throws plain strings from Rust; this keeps their message. */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function augursError(e: unknown): Error {
  return e instanceof Error ? e : new Error(errorText(e));
}
