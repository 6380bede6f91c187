// Loads @bsull/augurs in Node. The package is a wasm-bindgen "web" build: its default init() fetches a file: URL,
// which Node's fetch refuses, so each module used here is initialised synchronously with its .wasm bytes
// (docs/research/forecast-libraries.md §1).
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

/** augurs throws plain strings from Rust; make them Errors with the message kept. */
export function augursError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : JSON.stringify(e));
}
