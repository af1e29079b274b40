// Reads ffmpeg's stderr (-v info plus showinfo) line by line: input stream facts, output frame size, frame times.

/** The first video stream of the input, as ffmpeg reports it before decoding. */
export interface InputStream {
  codec: string;
  width: number;
  height: number;
  /** Degrees from the `rotate` tag or the display matrix; 0 when none. */
  rotation: number;
  /** Average frame rate ffmpeg reports (`N fps`); 0 when it reports none. */
  fps: number;
}

const STREAM = /^\s*Stream #\d+:\d+.*?: Video: (\S+).*?, (\d+)x(\d+)[\s,]/;
const ROTATE_TAG = /^\s*rotate\s*:\s*(-?\d+(?:\.\d+)?)/;
const DISPLAY = /displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees/;
const FPS = /, (\d+(?:\.\d+)?)(k?) fps/;
const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[\d.e+-]+)/;

/** Accumulates what ffmpeg says; `onHeader` fires once the output stream (and so the frame size) is known. */
export class FfmpegLog {
  input: InputStream | null = null;
  output: { width: number; height: number } | null = null;
  /** Presentation times (seconds) of the frames delivered, in order. */
  readonly times: number[] = [];
  /** Error-looking lines, newest last (bounded). */
  readonly errors: string[] = [];
  #section: 'none' | 'input' | 'output' = 'none';
  #partial = '';

  constructor(private readonly onHeader: (log: FfmpegLog) => void) {}

  /** Feeds a stderr chunk; complete lines are parsed, the rest waits for the next chunk. */
  push(chunk: string): void {
    const lines = (this.#partial + chunk).split(/\r?\n|\r/);
    this.#partial = lines.pop() ?? '';
    for (const l of lines) this.#line(l);
  }

  /** Parses what is left when the process has exited. */
  end(): void {
    if (this.#partial) this.#line(this.#partial);
    this.#partial = '';
  }

  #line(line: string): void {
    if (line.startsWith('Input #')) this.#section = 'input';
    else if (line.startsWith('Output #')) this.#section = 'output';
    const info = SHOWINFO.exec(line);
    if (info) {
      this.times.push(Number(info[3]));
      return;
    }
    const s = STREAM.exec(line);
    if (s) return this.#stream(s);
    const rot = ROTATE_TAG.exec(line) ?? DISPLAY.exec(line);
    if (rot && this.#section === 'input' && this.input && !this.output) {
      this.input.rotation ||= Math.round(Number(rot[1])) % 360;
      return;
    }
    if (/error|invalid|not found|no such|matches no streams|does not contain|unsupported|corrupt/i.test(line)) {
      this.errors.push(line.trim());
      if (this.errors.length > 20) this.errors.shift();
    }
  }

  #stream(s: RegExpExecArray): void {
    const [w, h] = [Number(s[2]), Number(s[3])];
    if (this.#section === 'input' && !this.input) {
      const f = FPS.exec(s.input);
      const fps = f ? Number(f[1]) * (f[2] ? 1000 : 1) : 0;
      this.input = { codec: s[1], width: w, height: h, rotation: 0, fps };
    } else if (this.#section === 'output' && !this.output) {
      this.output = { width: w, height: h };
      this.onHeader(this);
    }
  }
}

/**
 * True when the frame intervals are not constant: one interval differs from the median by more than `tolerance`
 * of it (the slack absorbs millisecond time bases, where 29.97 fps alternates 33 and 34 ms).
 */
export function isVariableRate(times: readonly number[], tolerance = 0.1): boolean {
  if (times.length < 3) return false;
  const d = times.slice(1).map((t, i) => t - times[i]);
  const median = [...d].sort((a, b) => a - b)[d.length >> 1];
  if (!(median > 0)) return true;
  return d.some((x) => Math.abs(x - median) > tolerance * median);
}

/** A skip reason for a failed or short decode, from ffmpeg's own words. */
export function classifyFailure(log: FfmpegLog): { reason: string; message: string } {
  const msg = log.errors.at(-1) ?? 'ffmpeg failed without a message';
  const all = log.errors.join('\n');
  if (/matches no streams|does not contain any stream|no video stream/i.test(all))
    return { reason: 'no_video_stream', message: 'the file has no video stream' };
  if (/Decoder \(codec .*\) not found|unsupported codec|Unknown decoder|codec not currently supported/i.test(all))
    return { reason: 'unsupported_codec', message: msg };
  if (/moov atom not found|end of file|truncat|partial file/i.test(all)) return { reason: 'truncated', message: msg };
  return { reason: 'corrupt', message: msg };
}
