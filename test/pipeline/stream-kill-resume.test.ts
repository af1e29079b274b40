// The real `tunefeed stream` binary (node --import tsx lib/cli/main.ts): killed with SIGKILL mid-stream while saving
// its state, then resumed from that state, it writes exactly the frames of one uninterrupted run.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResumeState } from '../../lib/pipeline/resume-file.js';
import { rngFor } from '../../lib/sampling/rng.js';
import { writeStreamConfig } from '../helpers/stream-config.js';

const CLI = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));
const EPOCHS = 3;
const IMAGES = 24;
const BATCHES = (EPOCHS * IMAGES) / 2;

/** Splits a binary stream into whole frames (magic, u32 header length, u64 payload length); `rest`: a cut frame. */
function frames(buf: Buffer): { whole: Buffer[]; rest: number } {
  const whole: Buffer[] = [];
  let at = 0;
  while (at + 16 <= buf.length) {
    if (buf.toString('ascii', at, at + 4) !== 'TFB1') throw new Error(`no frame magic at byte ${at}`);
    const end = at + 16 + buf.readUInt32LE(at + 4) + Number(buf.readBigUInt64LE(at + 8));
    if (end > buf.length) break;
    whole.push(buf.subarray(at, end));
    at = end;
  }
  return { whole, rest: buf.length - at };
}

interface Streamed {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: Buffer;
  err: string;
}

/** Runs `tunefeed stream`; with `killAfterFrames`, stops reading after that many frames and sends SIGKILL. */
function stream(args: string[], thread: boolean, killAfterFrames?: number): Promise<Streamed> {
  const env = { ...process.env, NODE_OPTIONS: '', TUNEFEED_LOG_LEVEL: 'warn' };
  const c = spawn(process.execPath, ['--import', 'tsx', CLI, 'stream', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, TUNEFEED_PREFETCH_THREAD: thread ? '1' : '0' },
  });
  const chunks: Buffer[] = [];
  let err = '';
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  c.stdout.on('data', (d: Buffer) => {
    chunks.push(d);
    if (killAfterFrames !== undefined && c.exitCode === null && !c.killed)
      if (frames(Buffer.concat(chunks)).whole.length >= killAfterFrames) {
        // The writer blocks on the full pipe while we hold still, so it is mid-stream when the kill lands.
        c.stdout.pause();
        c.kill('SIGKILL');
        c.stdout.resume();
      }
  });
  return new Promise((resolve) =>
    c.on('close', (code, signal) => resolve({ code, signal, out: Buffer.concat(chunks), err })),
  );
}

for (const thread of [true, false])
  t.test(
    `tunefeed stream killed mid-stream, then --resume: frames equal one uninterrupted run (thread: ${thread})`,
    async (t) => {
      const dir = t.testdir({});
      const cfg = await writeStreamConfig(dir, 'kr', IMAGES);
      const base = [cfg, '--format', 'binary', '--epochs', String(EPOCHS), '--seed', '4', '--prefetch', '2'];
      const ref = await stream(base, thread);
      t.equal(ref.code, 0, 'the uninterrupted run exits 0', { stderr: ref.err });
      const whole = frames(ref.out);
      t.equal(whole.whole.length, BATCHES, `${IMAGES} images × ${EPOCHS} epochs in batches of 2`);
      const state = join(dir, 'state.json');
      const at = 1 + rngFor('stream-kill', thread ? 1 : 0).below(10);
      const killed = await stream([...base, '--save-state', state], thread, at);
      t.equal(killed.signal, 'SIGKILL', `killed after reading ${at} frames`);
      const cut = frames(killed.out);
      const saved = parseResumeState(JSON.parse(await readFile(state, 'utf8')), state);
      t.comment(`killed run: ${cut.whole.length} whole frames + ${cut.rest} bytes; state at step ${saved.step}`);
      t.ok(cut.whole.length < BATCHES, `the kill landed mid-stream (${cut.whole.length} of ${BATCHES} frames)`);
      t.ok(
        cut.whole.length >= saved.step && cut.whole.length <= saved.step + 1,
        `the state names every frame written (${saved.step}) and at most the one being written is past it`,
      );
      t.ok(
        cut.whole.slice(0, saved.step).every((f, i) => f.equals(whole.whole[i])),
        `the ${saved.step} frames before the state equal the uninterrupted run's`,
      );
      const resumed = await stream([...base, '--resume', state, '--save-state', join(dir, 'state2.json')], thread);
      t.equal(resumed.code, 0, 'the resumed run exits 0', { stderr: resumed.err });
      const rest = frames(resumed.out);
      t.equal(rest.rest, 0, 'the resumed run ends on a frame boundary');
      t.equal(
        rest.whole.length,
        BATCHES - saved.step,
        `the resumed run writes the ${BATCHES - saved.step} frames left`,
      );
      t.ok(
        rest.whole.every((f, i) => f.equals(whole.whole[saved.step + i])),
        'every resumed frame equals the uninterrupted run at the same position',
      );
    },
  );
