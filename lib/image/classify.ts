// Why a decode failed, in the scan's words: the header probe and the tail check first, then the codec's message.
import { classifyDecodeError } from '../formats/decode-check.js';
import { probeImage, tailLooksComplete } from '../formats/probe.js';
import type { SkipReason } from '../formats/skip-reason.js';

/**
 * The scan calls a file `truncated` when its end marker is missing and it fails to decode, whatever the codec said
 * (libpng says "read error", libwebp "unable to parse"); the stream has the whole file, so it can judge the same way.
 */
export function classifyDecodeFailure(message: string, bytes: Buffer): SkipReason {
  if (/pixel limit/i.test(message)) return 'pixel_limit';
  const probe = probeImage(bytes, true);
  if (probe.kind === 'fail') return probe.reason;
  if (probe.kind === 'ok') {
    const tail = bytes.subarray(Math.max(0, bytes.length - 64));
    if (!tailLooksComplete(probe.format, tail, bytes, bytes.length)) return 'truncated';
  }
  return classifyDecodeError(message);
}
