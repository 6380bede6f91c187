// Where a worker thread's module is: the compiled .js beside the caller, or, when running from source (tests,
// tsx), a tiny module that registers tsx's loader in the worker first (Node 20 does not pass loader hooks to
// workers).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `callerUrl` is the caller's import.meta.url; `name` the worker module's file name without extension. */
export function workerEntry(callerUrl: string, name: string): URL {
  if (!callerUrl.endsWith('.ts')) return new URL(`./${name}.js`, callerUrl);
  const pkg = createRequire(callerUrl).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
  const target = new URL(`./${name}.ts`, callerUrl).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(target)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
