// A test server in a child process: its port from the first `listening on <host>:<port>` line, and a clean stop.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Resolves with the port the child prints; rejects when it exits first (with `why()`, e.g. its stderr, appended). */
export async function listeningPort(
  child: ChildProcess & { stdout: Readable },
  name: string,
  why: () => string = () => '',
): Promise<number> {
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}${why()}`)));
  });
  child.stdout.resume();
  return port;
}

/** SIGTERM, and wait for the exit (at once when it has exited already). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}
