// Node 20 ESM loader for @bsull/augurs (wasm-bindgen --target web build).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { initSync as initMstl, MSTL } from '@bsull/augurs/mstl';
import { initSync as initEts, AutoETS } from '@bsull/augurs/ets';

const require = createRequire(import.meta.url);
// package.json is not in "exports", so resolve the main entry (core.js) and take its dir
const pkgDir = dirname(require.resolve('@bsull/augurs'));
const wasmBytes = (name) => readFileSync(join(pkgDir, `${name}_bg.wasm`));

let loaded = false;
export function loadAugurs() {
  if (!loaded) {
    initMstl({ module: wasmBytes('mstl') });
    initEts({ module: wasmBytes('ets') });
    loaded = true;
  }
  return { MSTL, AutoETS };
}
