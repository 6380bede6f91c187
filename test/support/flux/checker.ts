// The official Flux parser and semantic check (InfluxData's flux-lsp, compiled to WebAssembly) loaded in Node.
// @influxdata/flux-lsp-browser is built for bundlers: its glue module starts with
// `import * as wasm from './flux-lsp-browser_bg.wasm'` and reads `wasm.memory.buffer` at module level, which Node
// cannot import. So the glue is rewritten to take the instance through a setter, imported from a data: URL (it has
// no other relative imports), and the .wasm is instantiated here with the glue as its only import module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface FluxDiagnostic {
  /** 1-based, as editors show them. */
  line: number;
  column: number;
  message: string;
}

export interface FluxChecker {
  /** Error diagnostics of the parser and the semantic check (unknown functions, parameters, types it sees). */
  check(source: string): Promise<FluxDiagnostic[]>;
  close(): void;
}

/** The slice of the glue module used here (its .d.ts describes the package entry, not the rewritten copy). */
interface Glue {
  __setWasm(exports: Record<string, unknown>): void;
  Flux: new (script: string) => { is_valid(): boolean; free(): void };
  Lsp: new () => {
    onMessage(fn: (msg: string) => void): void;
    send(msg: string): Promise<unknown>;
    run(): Promise<unknown>;
    free(): void;
  };
}

// lib ES2023 without DOM declares no WebAssembly values, and @types/node 20 only its namespace: the part used here.
interface WasmModule {
  readonly brand: 'WebAssembly.Module';
}
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ exports: Record<string, unknown> }>;
  Module: { imports(module: WasmModule): { module: string; name: string; kind: string }[] };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface LspDiagnostic {
  message: string;
  severity?: number;
  range: { start: { line: number; character: number } };
}

const IMPORT_LINE = "import * as wasm from './flux-lsp-browser_bg.wasm';";
const VIEW_LINES =
  'cachedInt32Memory0 = new Int32Array(wasm.memory.buffer);\ncachedUint8Memory0 = new Uint8Array(wasm.memory.buffer);';
const DIAGNOSTICS_TIMEOUT_MS = 20_000;

function packageDir(): string {
  // The package has no "main"/"exports" for require; its package.json is resolvable.
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@influxdata/flux-lsp-browser/package.json'));
}

async function loadGlue(): Promise<Glue> {
  const dir = packageDir();
  const glue = readFileSync(join(dir, 'flux-lsp-browser_bg.js'), 'utf8');
  // A changed glue layout must fail loudly here rather than load something that accepts everything.
  if (!glue.includes(IMPORT_LINE) || !glue.includes(VIEW_LINES)) {
    throw new Error(
      'flux-lsp-browser_bg.js has an unexpected layout: update test/support/flux/checker.ts for this version',
    );
  }
  const patched = glue
    .replace(
      IMPORT_LINE,
      'let wasm;\nexport function __setWasm(w) { wasm = w; cachedInt32Memory0 = new Int32Array(wasm.memory.buffer); cachedUint8Memory0 = new Uint8Array(wasm.memory.buffer); }',
    )
    .replace(VIEW_LINES, '');
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(patched).toString('base64')}`)) as Glue &
    Record<string, unknown>;
  const module = await Wasm.compile(readFileSync(join(dir, 'flux-lsp-browser_bg.wasm')));
  // The language server logs its start-up at info level; keep warnings and errors.
  const quiet: Record<string, unknown> = { ...mod };
  for (const k of Object.keys(quiet)) {
    if (/^__wbg_(info|debug|log)_/.test(k)) quiet[k] = () => undefined;
  }
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of Wasm.Module.imports(module)) {
    imports[imp.module] = quiet;
  }
  const instance = await Wasm.instantiate(module, imports);
  mod.__setWasm(instance.exports);
  return mod;
}

/**
 * Loads the checker, starts its language server and proves on a broken script that it reports errors, so a
 * loader that silently accepts everything cannot make the Flux tests pass.
 */
export async function loadFluxChecker(): Promise<FluxChecker> {
  const glue = await loadGlue();
  const lsp = new glue.Lsp();
  const waiting = new Map<string, (d: LspDiagnostic[]) => void>();
  lsp.onMessage((raw) => {
    const msg = JSON.parse(raw) as { method?: string; params?: { uri: string; diagnostics: LspDiagnostic[] } };
    if (msg.method !== 'textDocument/publishDiagnostics' || !msg.params) return;
    const resolve = waiting.get(msg.params.uri);
    if (resolve) {
      waiting.delete(msg.params.uri);
      resolve(msg.params.diagnostics);
    }
  });
  // run() resolves only when the server stops; it lives as long as the checker.
  void lsp.run().catch(() => undefined);
  const send = (o: Record<string, unknown>) => lsp.send(JSON.stringify({ jsonrpc: '2.0', ...o }));
  await send({ id: 1, method: 'initialize', params: { capabilities: {} } });
  await send({ method: 'initialized', params: {} });

  let docs = 0;
  const check = async (source: string): Promise<FluxDiagnostic[]> => {
    const uri = `file:///check-${++docs}.flux`;
    const published = new Promise<LspDiagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(uri);
        reject(
          new Error(`the Flux language server sent no diagnostics for ${uri} within ${DIAGNOSTICS_TIMEOUT_MS} ms`),
        );
      }, DIAGNOSTICS_TIMEOUT_MS);
      waiting.set(uri, (d) => {
        clearTimeout(timer);
        resolve(d);
      });
    });
    await send({
      method: 'textDocument/didOpen',
      params: { textDocument: { uri, languageId: 'flux', version: 1, text: source } },
    });
    const diagnostics = await published;
    await send({ method: 'textDocument/didClose', params: { textDocument: { uri } } });
    // LSP severity 1 is Error; warnings and hints do not fail a script.
    const errors = diagnostics
      .filter((d) => (d.severity ?? 1) === 1)
      .map((d) => ({ line: d.range.start.line + 1, column: d.range.start.character + 1, message: d.message }));
    // The library's own semantic check as a second opinion: if it rejects what the server did not flag,
    // that is still a failure.
    const flux = new glue.Flux(source);
    const valid = flux.is_valid();
    flux.free();
    if (!valid && errors.length === 0) {
      errors.push({ line: 1, column: 1, message: 'the Flux semantic check rejects the script (no message given)' });
    }
    return errors;
  };

  const probe = await check('from(bucket: "b") |> range(start: -1h) |> aggregateWindo(every: 1h, fn: mean)');
  if (!probe.some((d) => d.message.includes('aggregateWindo'))) {
    throw new Error(
      `the Flux checker did not reject an unknown function (got ${JSON.stringify(probe)}): loader broken`,
    );
  }
  return {
    check,
    close() {
      lsp.free();
    },
  };
}
