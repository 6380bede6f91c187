// examples/: the systemd unit starts what the package ships, with settings the service accepts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { npmStart } from '../support/npm-start.js';

const root = new URL('../..', import.meta.url).pathname;
const unitPath = join(root, 'examples/resultant.service');

/** A unit file's keys per section (repeated keys keep every value). */
function unitOf(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) out.set(head[1]!, (section = new Map()));
    else {
      const i = line.indexOf('=');
      expect(i, line).toBeGreaterThan(0);
      expect(section, line).not.toBeNull();
      const k = line.slice(0, i);
      section!.set(k, [...(section!.get(k) ?? []), line.slice(i + 1)]);
    }
  }
  return out;
}

describe('examples/resultant.service', () => {
  const unit = unitOf(readFileSync(unitPath, 'utf8'));
  const service = unit.get('Service')!;

  it('runs the shipped command line with the service settings it accepts', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    // As `npm start` runs it: the same Node flags and environment.
    const start = npmStart(root);
    expect(service.get('ExecStart')).toEqual([
      ['/usr/bin/node', ...start.flags, '/opt/resultant/bin/resultant.js serve'].join(' '),
    ]);
    expect(existsSync(join(root, 'bin/resultant.js'))).toBe(true);
    const env = Object.fromEntries(service.get('Environment')!.map((e) => e.split('=') as [string, string]));
    for (const setting of start.settings) expect(service.get('Environment')).toContain(setting);
    expect(env.MALLOC_ARENA_MAX).toBe('2');
    const config = loadConfig(env);
    expect(config.dbPath).toBe('/var/lib/resultant/resultant.duckdb');
    expect(service.get('ReadWritePaths')).toEqual(['/var/lib/resultant']);
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('passes systemd-analyze verify where systemd is installed', () => {
    if (!existsSync('/usr/bin/systemd-analyze')) return;
    const r = spawnSync('/usr/bin/systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    // It may warn about what only the target machine has (the user, /opt/resultant); never about the unit's syntax.
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Unknown (key|section)|Failed to parse|Invalid/i);
  });
});
