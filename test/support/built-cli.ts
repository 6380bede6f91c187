// Vitest global setup: the end-to-end tests run the built `resultant` command (bin/resultant.js, which loads dist/),
// as `npm start` and `npx resultant` run it, not the TypeScript source through a loader (that cost about 1.3 s of
// every spawned command). dist/ is rebuilt here when a source file is newer than it; a fresh clone has it from
// `npm ci` (the prepare script), and `vitest` in watch mode rebuilds before each rerun.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT } from './child.js';

/** The built entry the spawned commands load; its time is the build's (tsc writes every file). */
const BUILT = join(ROOT, 'dist', 'src', 'cli', 'run.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether dist/ is older than a source file or the compiler settings it was built with (or missing). */
function buildIsStale(): boolean {
  let built: number;
  try {
    built = statSync(BUILT).mtimeMs;
  } catch {
    return true;
  }
  const inputs = Math.max(
    newestSource(join(ROOT, 'src')),
    statSync(join(ROOT, 'tsconfig.json')).mtimeMs,
    statSync(join(ROOT, 'tsconfig.build.json')).mtimeMs,
  );
  return inputs > built;
}

function ensureBuilt(): void {
  if (!buildIsStale()) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

export default function setup(project: TestProject): void {
  ensureBuilt();
  project.onTestsRerun(() => ensureBuilt());
}
