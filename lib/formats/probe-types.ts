// Result types shared by the header probes (pure functions on a byte prefix) and the driver that feeds them.

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp' | 'tiff' | 'avif' | 'heic';

/** Why a file could not be probed. */
export type ProbeFailureReason = 'unsupported' | 'corrupt' | 'truncated';

/** Dimensions as displayed: width/height already swapped for EXIF orientations 5–8. */
export interface ProbeOk {
  kind: 'ok';
  format: ImageFormat;
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** Frame count when the header states it cheaply; `animated` when known to have several. */
  frames?: number;
  animated?: boolean;
}

export interface ProbeFail {
  kind: 'fail';
  reason: ProbeFailureReason;
  message: string;
}

/**
 * The probe needs bytes it does not have: read from `offset` (at least `min` bytes) and call `resume` with
 * a buffer that starts at `offset`. JPEG uses this to jump over big APP segments (C2PA) without reading them.
 */
export interface ProbeNeed {
  kind: 'need';
  offset: number;
  min: number;
  resume: (buf: Buffer, eof: boolean) => ProbeOutcome;
}

export type ProbeOutcome = ProbeOk | ProbeFail | ProbeNeed;

export function ok(
  format: ImageFormat,
  width: number,
  height: number,
  orientation = 1,
  extra: Partial<ProbeOk> = {},
): ProbeOutcome {
  if (!(width > 0 && height > 0)) return fail('corrupt', `${format} header states ${width}x${height}`);
  const swap = orientation >= 5 && orientation <= 8;
  return { kind: 'ok', format, width: swap ? height : width, height: swap ? width : height, orientation, ...extra };
}

export function fail(reason: ProbeFailureReason, message: string): ProbeFail {
  return { kind: 'fail', reason, message };
}

/** Ask for more of the file, or report truncation if the buffer already reaches the end. */
export function needOrTruncated(
  format: ImageFormat,
  eof: boolean,
  offset: number,
  min: number,
  resume: (buf: Buffer, eof: boolean) => ProbeOutcome,
): ProbeOutcome {
  if (eof) return fail('truncated', `${format} header ends before its dimensions (needed bytes at ${offset})`);
  return { kind: 'need', offset, min, resume };
}
