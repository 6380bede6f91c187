// The layering rules in biome.json catch what they are for, and let through what is allowed: Biome runs with the
// project's own rules over small files in a temporary tree shaped like this repository (the import targets need
// not exist: the rules read import specifiers). `npm run lint` applies the same rules to the real tree.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';

const run = promisify(execFile);
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

const FILES: Record<string, string> = {
  'src/api/uses-duckdb.ts': "import { DuckDBStore } from '../store/duckdb/index.js';\nexport const a = DuckDBStore;\n",
  'src/api/uses-influx-client.ts':
    "import { InfluxDB } from '@influxdata/influxdb-client';\nexport const a = InfluxDB;\n",
  'src/api/uses-test.ts': "import { batchOf } from '../../test/support/helpers.js';\nexport const a = batchOf;\n",
  'src/api/uses-port.ts': "import type { Store } from '../store/types.js';\nexport type A = Store;\n",
  'src/model/uses-store.ts': "import type { Store } from '../store/types.js';\nexport type A = Store;\n",
  'src/store/duckdb/uses-duckdb.ts':
    "import { DuckDBInstance } from '@duckdb/node-api';\nexport const a = DuckDBInstance;\n",
  'src/api/uses-duckdb.test.ts':
    "import { DuckDBStore } from '../store/duckdb/index.js';\nexport const a = DuckDBStore;\n",
  'src/cycle/a.ts': "import { b } from './b.js';\nexport const a = (): unknown => b;\n",
  'src/cycle/b.ts': "import { a } from './a.js';\nexport const b = (): unknown => a;\n",
};

describe('the layering rules (biome.json)', () => {
  let dir: string;
  let found: Map<string, string[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resultant-layering-'));
    // The project's rules without its git integration (the temporary tree is no repository).
    const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
    delete config.vcs;
    delete config.$schema;
    writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
    for (const [path, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const out = await run(BIOME, ['lint', '--reporter=github', '--max-diagnostics=none', '.'], { cwd: dir }).then(
      (r) => r.stdout,
      (e: { stdout?: string }) => e.stdout ?? '',
    );
    found = new Map();
    for (const line of out.split('\n')) {
      const m = /^::error title=lint\/\w+\/(\w+),file=([^,]+),.*::(.*)$/.exec(line);
      if (!m) continue;
      const file = m[2]!.slice(dir.length + 1);
      found.set(file, [...(found.get(file) ?? []), `${m[1]}: ${m[3]}`]);
    }
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps database clients and store adapters inside src/store', () => {
    expect(found.get('src/api/uses-duckdb.ts')?.join()).toMatch(/noRestrictedImports: Only src\/store talks/);
    expect(found.get('src/api/uses-influx-client.ts')?.join()).toMatch(/noRestrictedImports: Only src\/store talks/);
    expect(found.get('src/store/duckdb/uses-duckdb.ts')).toBeUndefined();
    expect(found.get('src/api/uses-port.ts')).toBeUndefined();
  });

  it('keeps src/model free of src/store', () => {
    expect(found.get('src/model/uses-store.ts')?.join()).toMatch(/src\/model is the data model/);
  });

  it('keeps test code out of production code, and lets tests use a real adapter', () => {
    expect(found.get('src/api/uses-test.ts')?.join()).toMatch(/does not import test code/);
    expect(found.get('src/api/uses-duckdb.test.ts')).toBeUndefined();
  });

  it('refuses import cycles', () => {
    expect(found.get('src/cycle/a.ts')?.join()).toMatch(/noImportCycles/);
    expect(found.get('src/cycle/b.ts')?.join()).toMatch(/noImportCycles/);
  });
});
