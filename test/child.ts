// Runs the real `resultant` command in a child process (through tsx, from source) for end-to-end tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../src/cli/run.ts', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function runCli(args: string[], env: Record<string, string> = {}, input?: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, RESULTANT_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  if (input !== undefined) proc.stdin!.end(input);
  else proc.stdin!.end();
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs a command to its end. */
export async function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const c = runCli(args, env, input);
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** Starts `resultant serve` and resolves with its URL once it listens. */
export async function serve(env: Record<string, string>): Promise<Child & { url: string }> {
  const c = runCli(['serve'], { RESULTANT_PORT: '0', ...env });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${c.stderr()} ${c.stdout()}`)), 30_000);
    const check = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(c.stdout());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    c.proc.stdout!.on('data', check);
    c.exited.then((code) => reject(new Error(`server exited with ${code}: ${c.stderr()}`)), () => undefined);
  });
  return { ...c, url };
}
