// What a real child process printed, for tests that run commands: exit code, stdout and stderr once it has closed.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** What a finished process printed. */
export interface ChildOutput {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Collects `child`'s stdout and stderr until it closes (every byte read); with `producer`, a process piped into
 * `child`, its stderr is collected too. Rejects when the child cannot be started.
 */
export function childOutput(
  child: ChildProcess & { stdout: Readable; stderr: Readable },
  producer?: ChildProcess & { stderr: Readable },
): Promise<ChildOutput> {
  let out = '',
    err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  for (const p of [child, producer])
    p?.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
  return new Promise((resolve, reject) => {
    child.on('error', reject); // could not start (ENOENT, EACCES)
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
