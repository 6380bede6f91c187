// How `npm start` runs the service, read from package.json (`VAR=value ... node --flag ... bin/resultant.js serve`):
// the image and the systemd unit are held to it, and the benchmarks start the service with it (bench/common.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NpmStart {
  /** The environment it sets, as `VAR=value` words. */
  settings: string[];
  /** Node's flags. */
  flags: string[];
  /** The script and its arguments (`bin/resultant.js serve`). */
  args: string[];
}

export function npmStart(root: string): NpmStart {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  const script = words.indexOf('bin/resultant.js');
  const settings = words.slice(0, node);
  const flags = words.slice(node + 1, script);
  if (
    node < 0 ||
    script < node ||
    !settings.every((w) => /^[A-Z_]+=/.test(w)) ||
    !flags.every((w) => w.startsWith('--'))
  )
    throw new Error(`npm start is not "[VAR=value ...] node [--flag ...] bin/resultant.js ...": ${pkg.scripts.start}`);
  return { settings, flags, args: words.slice(script) };
}
