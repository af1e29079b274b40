// Runs ffmpeg on one clip and hands each decoded rgb24 frame to a sink: bounded in frames, bytes, time and resizes.
import { spawn } from 'node:child_process';
import { ffmpegBinary } from './ffmpeg-binary.js';
import { classifyFailure, FfmpegLog, isVariableRate, type InputStream } from './ffmpeg-log.js';

/** Limits and options of one decode. */
export interface ReadFramesOptions {
  /** Frames to decode from the start of the clip. */
  frames: number;
  /** Kill ffmpeg after this long. @default 120000 */
  timeoutMs?: number;
  /** Refuse frames with more pixels than this. @default 178956970 */
  limitInputPixels?: number;
  /**
   * Refuse clips whose width × height × frames exceeds this (a decompression bomb's analogue).
   * @default 2147483648
   */
  maxVideoPixels?: number;
  /** Frame sinks running at once; ffmpeg's output is paused beyond this. @default 4 */
  sinkConcurrency?: number;
  signal?: AbortSignal;
}

/** The decode's outcome: the frames handed to the sink, or why the clip must be skipped. */
export type ReadFramesResult =
  { ok: true; count: number; input: InputStream; times: number[] } | { ok: false; reason: string; message: string };

/** This thread's running ffmpeg processes, so a closing pool can end them (a paused pipe would block them forever). */
const live = new Set<FrameReader>();

/** Kills every ffmpeg this thread started and has not seen exit; their reads end as `aborted`. Returns the count. */
export function killRunningFfmpeg(): number {
  const n = live.size;
  for (const r of live) r.abort();
  return n;
}

type Sink = (frame: Buffer, index: number, width: number, height: number) => Promise<void>;

/** ffmpeg's arguments: first video stream only, no rotation, every decoded frame once (no CFR duplication). */
export function ffmpegArgs(path: string, frames: number): string[] {
  return [
    ...['-hide_banner', '-nostdin', '-nostats', '-v', 'info', '-noautorotate', '-i', path],
    ...['-map', '0:v:0', '-an', '-sn', '-dn', '-vf', 'showinfo', '-vsync', 'passthrough'],
    ...['-frames:v', String(frames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
  ];
}

/** Why the input cannot be decoded as asked, before any frame is read; null when it can. */
function refuse(input: InputStream, o: ReadFramesOptions): { reason: string; message: string } | null {
  if (input.rotation % 360 !== 0)
    return { reason: 'rotated', message: `rotation metadata of ${input.rotation}°: re-encode the clip upright` };
  const px = input.width * input.height;
  if (px > (o.limitInputPixels ?? 178956970))
    return { reason: 'pixel_limit', message: `${input.width}x${input.height} frames exceed the pixel limit` };
  const limit = o.maxVideoPixels ?? 2 ** 31;
  if (px * o.frames > limit)
    return {
      reason: 'pixel_limit',
      message: `${input.width}x${input.height}x${o.frames} exceeds the video pixel limit ${limit}`,
    };
  return null;
}

/** Decodes the first `o.frames` frames of `path`; never rejects for a bad clip. */
export function readFrames(path: string, o: ReadFramesOptions, sink: Sink): Promise<ReadFramesResult> {
  return new Promise((resolve) => new FrameReader(path, o, sink, resolve).start());
}

/** One ffmpeg process and the bookkeeping around it (kept in a class so each step stays a short method). */
class FrameReader {
  #failure: { reason: string; message: string } | null = null;
  #frameBytes = 0;
  #frame: Buffer | null = null;
  #filled = 0;
  #count = 0;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  #inFlight = new Set<Promise<void>>();
  #log = new FfmpegLog((l) => this.#onHeader(l));
  #child: ReturnType<typeof spawn> | null = null;

  constructor(
    private readonly path: string,
    private readonly o: ReadFramesOptions,
    private readonly sink: Sink,
    private readonly done: (r: ReadFramesResult) => void,
  ) {}

  start(): void {
    if (this.o.signal?.aborted) return this.done({ ok: false, reason: 'aborted', message: 'the read was aborted' });
    const child = spawn(ffmpegBinary(), ffmpegArgs(this.path, this.o.frames), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    live.add(this);
    const timer = setTimeout(
      () => this.#fail('timeout', `ffmpeg ran over ${this.o.timeoutMs ?? 120000} ms`),
      this.o.timeoutMs ?? 120000,
    );
    const onAbort = (): void => this.#fail('aborted', 'the read was aborted');
    this.o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8').on('data', (s: string) => this.#log.push(s));
    child.stdout.on('data', (b: Buffer) => this.#onData(b));
    child.on('error', (err) => this.#fail('ffmpeg_missing', `cannot run ffmpeg: ${err.message}`));
    child.on('close', (code) => {
      live.delete(this);
      clearTimeout(timer);
      this.o.signal?.removeEventListener('abort', onAbort);
      void this.#finish(code);
    });
  }

  abort(): void {
    this.#fail('aborted', 'the decode pool was closed');
  }

  #fail(reason: string, message: string): void {
    this.#failure ??= { reason, message };
    this.#child?.kill('SIGKILL');
  }

  #onHeader(log: FfmpegLog): void {
    const input = log.input;
    if (!input || !log.output) return this.#fail('corrupt', 'ffmpeg reported no input video stream');
    const refused = refuse(input, this.o);
    if (refused) return this.#fail(refused.reason, refused.message);
    this.#frameBytes = log.output.width * log.output.height * 3;
    const early = this.#early;
    this.#early = [];
    for (const b of early) this.#onData(b);
  }

  #onData(b: Buffer): void {
    if (this.#failure) return;
    if (!this.#frameBytes) {
      this.#early.push(b); // stdout can run ahead of the stderr line that gives the frame size
      this.#earlyBytes += b.length;
      if (this.#earlyBytes > 64 << 20) this.#fail('corrupt', 'ffmpeg wrote 64 MiB before naming the frame size');
      return;
    }
    let at = 0;
    while (at < b.length) {
      if (this.#count >= this.o.frames) return this.#fail('corrupt', 'ffmpeg wrote more frames than asked');
      this.#frame ??= Buffer.allocUnsafe(this.#frameBytes);
      const n = b.copy(this.#frame, this.#filled, at);
      at += n;
      this.#filled += n;
      if (this.#filled === this.#frameBytes) this.#emit();
    }
  }

  #emit(): void {
    const { width, height } = this.#log.output!;
    const p = this.sink(this.#frame!, this.#count++, width, height).catch((err: Error) => {
      this.#fail('corrupt', `frame ${this.#count - 1}: ${err.message}`);
    });
    this.#frame = null;
    this.#filled = 0;
    this.#inFlight.add(p);
    if (this.#inFlight.size >= (this.o.sinkConcurrency ?? 4)) this.#child?.stdout?.pause();
    void p.finally(() => {
      this.#inFlight.delete(p);
      if (this.#inFlight.size < (this.o.sinkConcurrency ?? 4)) this.#child?.stdout?.resume();
    });
  }

  async #finish(code: number | null): Promise<void> {
    this.#log.end();
    await Promise.all(this.#inFlight);
    if (this.#failure) return this.done({ ok: false, ...this.#failure });
    const input = this.#log.input;
    if (!input || !this.#log.output) return this.done({ ok: false, ...classifyFailure(this.#log) });
    if (this.#count < this.o.frames) {
      const why = code === 0 && !this.#log.errors.length ? 'too_few_frames' : classifyFailure(this.#log).reason;
      const tail = this.#log.errors.at(-1);
      const message = `decoded ${this.#count} of ${this.o.frames} frames${tail ? `: ${tail}` : ''}`;
      return this.done({ ok: false, reason: why === 'corrupt' ? 'truncated' : why, message });
    }
    const times = this.#log.times.slice(0, this.#count);
    if (isVariableRate(times))
      return this.done({ ok: false, reason: 'variable_frame_rate', message: 'frame intervals vary (VFR clip)' });
    this.done({ ok: true, count: this.#count, input, times });
  }
}
