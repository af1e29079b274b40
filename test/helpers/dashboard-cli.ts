// Test helper: a real `tunefeed` CLI process started with --dashboard 0; resolves once it printed its URL.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The running process, its dashboard's base URL and token, and its stderr so far. */
export interface DashboardProcess {
  child: ChildProcessWithoutNullStreams;
  base: string;
  token: string;
  url: string;
  stderr: () => string;
  /** Resolves when stderr matches. */
  waitStderr: (re: RegExp) => Promise<void>;
  stop: () => Promise<void>;
}

/** `tunefeed <args> --dashboard 0` with extra environment. */
export async function startDashboardCli(args: string[], env: Record<string, string> = {}): Promise<DashboardProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), ...args, '--dashboard', '0'],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn', ...env },
    },
  );
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of waiters.splice(0))
      if (w.re.test(stderr)) w.resolve();
      else waiters.push(w);
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const waitStderr = (re: RegExp) =>
    re.test(stderr)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ re, resolve })),
          exited.then(() => {
            throw new Error(`tunefeed exited before ${String(re)}:\n${stderr.slice(-2000)}`);
          }),
        ]);
  await waitStderr(/tunefeed dashboard: (\S+)/);
  const url = /tunefeed dashboard: (\S+)/.exec(stderr)![1];
  const u = new URL(url);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { child, url, base: u.origin, token: u.searchParams.get('token')!, stderr: () => stderr, waitStderr, stop };
}
