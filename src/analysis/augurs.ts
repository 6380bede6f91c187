// @bsull/augurs in Node: it is a wasm-bindgen web build, whose default init() fetches a file: URL and fails in
// Node, so each submodule is initialised once, synchronously, from its .wasm beside the package's entry file
// (docs/research/forecast-libraries.md). Its errors are thrown as plain strings; errorText turns any into text.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initSync as initMstl, MSTL } from '@bsull/augurs/mstl';

const require = createRequire(import.meta.url);
let mstlReady = false;

export function loadMstl(): typeof MSTL {
  if (!mstlReady) {
    const dir = dirname(require.resolve('@bsull/augurs'));
    initMstl({ module: readFileSync(join(dir, 'mstl_bg.wasm')) });
    mstlReady = true;
  }
  return MSTL;
}

export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  return String(e);
}
