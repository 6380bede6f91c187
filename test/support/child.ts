// Runs the real `resultant` command in a child process for end-to-end tests: the built one (bin/resultant.js), which
// built-cli.ts (the suite's global setup) rebuilds when the source is newer.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../bin/resultant.js', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export interface ChildOptions {
  /**
   * The largest file the process may write (`ulimit -f`, in whole 512-byte blocks): a write past it fails with
   * EFBIG ("File too large") as a full disk fails with ENOSPC, and SIGXFSZ is ignored so the process lives on.
   */
  fileSizeLimitBytes?: number;
}

export function runCli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
  opts: ChildOptions = {},
): Child {
  const command = [process.execPath, ENTRY, ...args];
  const [file, argv] =
    opts.fileSizeLimitBytes === undefined
      ? [command[0]!, command.slice(1)]
      : [
          'sh',
          [
            '-c',
            'trap "" XFSZ; ulimit -f "$0" && exec "$@"',
            String(Math.floor(opts.fileSizeLimitBytes / 512)),
            ...command,
          ],
        ];
  const proc = spawn(file, argv, {
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
export async function serve(env: Record<string, string>, opts: ChildOptions = {}): Promise<Child & { url: string }> {
  const c = runCli(['serve'], { RESULTANT_PORT: '0', ...env }, undefined, opts);
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
    c.exited.then(
      (code) => reject(new Error(`server exited with ${code}: ${c.stderr()}`)),
      () => undefined,
    );
  });
  return { ...c, url };
}
